"""What `ledger.connect` asks a node, counted between it and a served chain: a block read by
number is one request (web3's request cache, on for eth_chainId, would ask for the block a second
time to decide whether to cache it), the chain id is asked once, not before every call, a
`Transactor` whose sends follow one another reads the base fee from its receipts, not a block,
and a send checked against reverting is one request to the embedded chain (which refuses it as
it mines it, keeping nothing), an `eth_call` and a send to any other."""

from __future__ import annotations

import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger import ContractRevert, Token, TransactionRejected, Transactor, _tx, connect, deploy, dev_account
from ledger._tx import CHECKED_SEND

from ..conftest import http_server

if TYPE_CHECKING:
    from pathlib import Path


Errors = dict[str, tuple[bool, dict[str, Any] | int | str]]
"""Methods answered with an error by the proxy: (forwarded first?, the JSON-RPC error object, an
HTTP status to answer with, or junk to put where the error object goes)."""


@contextmanager
def counting(upstream: str, errors: Errors | None = None) -> Iterator[tuple[str, Counter[str]]]:
    """A proxy to ``upstream`` counting the JSON-RPC methods it forwards; a method in ``errors``
    is answered with its error instead (after being forwarded, or not at all)."""
    asked: Counter[str] = Counter()

    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            calls = orjson.loads(body)
            for call in calls if isinstance(calls, list) else [calls]:
                asked[call["method"]] += 1
            forwarded, error = (errors or {}).get(calls.get("method") if isinstance(calls, dict) else "", (True, {}))
            if forwarded:
                forward = urllib.request.Request(upstream, body, {"Content-Type": "application/json"})
                with urllib.request.urlopen(forward, timeout=30) as answer:  # noqa: S310 - a loopback URL
                    data = answer.read()
            status = 200
            if isinstance(error, int):
                status, data = error, b"{}"
            elif error or not forwarded:
                data = orjson.dumps({"jsonrpc": "2.0", "id": calls["id"], "error": error})
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    with http_server(Proxy) as url:
        yield url, asked


def test_a_block_read_by_number_is_one_request(served_chain: str) -> None:
    with counting(served_chain) as (url, asked):
        w3 = connect(url)
        head = w3.eth.block_number
        hashes = {bytes(w3.eth.get_block(number)["hash"]) for number in (0, head, 0, head)}
    assert len(hashes) == (1 if head == 0 else 2)
    assert asked["eth_getBlockByNumber"] == 4, asked


def test_the_chain_id_is_asked_once(served_chain: str) -> None:
    with counting(served_chain) as (url, asked):
        w3 = connect(url)
        for _ in range(5):
            w3.eth.call({"to": "0x" + "00" * 20, "data": "0x"})
        assert w3.eth.chain_id == w3.eth.chain_id
    assert asked["eth_call"] == 5
    assert asked["eth_chainId"] <= 1, asked


def _funded(url: str) -> LocalAccount:
    """A new account with ether of its own (no other test sends from it)."""
    account: LocalAccount = Account.create()
    Transactor(connect(url), dev_account(0)).send(to=account.address, value=10**18, gas=21_000)
    return account


def _transfers(url: str, count: int, sender: LocalAccount) -> list[dict[str, object]]:
    transactor = Transactor(connect(url), sender)
    return [transactor.send(to=dev_account(7).address, value=1, gas=21_000) for _ in range(count)]


def test_sends_that_follow_one_another_read_no_block(served_chain: str) -> None:
    sender = _funded(served_chain)
    with counting(served_chain) as (url, asked):
        receipts = _transfers(url, 4, sender)
    assert asked["eth_getBlockByNumber"] == 1, asked  # the first send's; then each receipt's price
    w3 = connect(served_chain)
    for before, after in zip(receipts, receipts[1:], strict=False):
        base = int(w3.eth.get_block(before["blockNumber"])["baseFeePerGas"])  # type: ignore[call-overload]
        cap = int(w3.eth.get_transaction(after["transactionHash"])["maxFeePerGas"])  # type: ignore[arg-type]
        assert cap == 2 * base + _tx.PRIORITY_FEE


def test_a_base_fee_too_old_or_not_learnt_is_read_again(served_chain: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_tx, "BASE_FEE_AGE", -1.0)  # every known fee is too old
    sender = _funded(served_chain)
    with counting(served_chain) as (url, asked):
        _transfers(url, 3, sender)
    assert asked["eth_getBlockByNumber"] == 3, asked
    sender = Transactor(connect(served_chain), dev_account(6))
    sender._learn_base_fee({"effectiveGasPrice": 5 * 10**9}, 5 * 10**9)  # at the cap: the tip may be cut
    assert sender._base_fee is None
    sender._learn_base_fee({"effectiveGasPrice": 5 * 10**9}, 6 * 10**9)
    assert sender._base_fee is not None and sender._base_fee[0] == 5 * 10**9 - _tx.PRIORITY_FEE


def _token(url: str, home: Path) -> str:
    """The address of a token deployed (with the rest) on the chain at ``url``."""
    w3 = connect(url)
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), home, audit_bps=0)
    return str(Token(w3, deployment).contract.address)


def _checked_sends(url: str, token: str, sender: LocalAccount) -> ContractRevert:
    """A checked transfer of 1 token (the sender holds none: it reverts), then two checked ether
    sends; returns the refusal, checked to have left the nonce and the chain's head as they were."""
    w3, transactor = connect(url), Transactor(connect(url), sender)
    data = "0xa9059cbb" + dev_account(1).address[2:].lower().rjust(64, "0") + f"{1:064x}"  # transfer(dev 1, 1)
    nonce, block = w3.eth.get_transaction_count(sender.address), w3.eth.block_number
    with pytest.raises(ContractRevert) as refused:
        transactor.send(to=token, data=data, gas=80_000, preflight=True)
    assert (w3.eth.get_transaction_count(sender.address), w3.eth.block_number) == (nonce, block)
    first = transactor.send(to=dev_account(1).address, value=1, gas=21_000, preflight=True)
    assert w3.eth.get_transaction(first["transactionHash"])["nonce"] == nonce  # the refused one's nonce
    assert transactor.send(to=dev_account(1).address, value=1, gas=21_000, preflight=True)["status"] == 1
    return refused.value


def test_a_checked_send_is_one_request_to_the_embedded_chain(served_chain: str, tmp_path: Path) -> None:
    token, sender = _token(served_chain, tmp_path), _funded(served_chain)
    with counting(served_chain) as (url, asked):
        refused = _checked_sends(url, token, sender)
    assert refused.name == "ERC20InsufficientBalance" and refused.args_by_name["needed"] == 1
    assert asked[CHECKED_SEND] == 3, asked
    assert asked["eth_call"] == 0 and asked["eth_sendRawTransaction"] == 0, asked


def test_other_chains_are_checked_by_a_call_first(anvil_url: str, tmp_path: Path) -> None:
    token, sender = _token(anvil_url, tmp_path), _funded(anvil_url)
    with counting(anvil_url) as (url, asked):
        refused = _checked_sends(url, token, sender)
    assert refused.name == "ERC20InsufficientBalance" and refused.args_by_name["needed"] == 1
    assert asked[CHECKED_SEND] == 1, asked  # asked once: anvil does not know it
    assert asked["eth_call"] == 3 and asked["eth_sendRawTransaction"] == 2, asked


@pytest.mark.parametrize("answer", [{"code": -32005, "message": "server busy: answers unread"}, 502, "junk"])
def test_a_checked_send_answered_with_an_error_after_it_was_mined_counts_as_sent_once(
    served_chain: str, answer: dict[str, Any] | int | str
) -> None:
    """A server (or a proxy before it) may answer a write it has mined with an error: a JSON-RPC
    one (busy: too many answers unread) or an HTTP one. The transaction was mined, so the send
    succeeds, and is neither checked by eth_call nor sent a second time."""
    sender, recipient = _funded(served_chain), Account.create().address
    with counting(served_chain, {CHECKED_SEND: (True, answer)}) as (url, asked):
        transactor = Transactor(connect(url), sender)
        assert transactor.send(to=recipient, value=5, gas=21_000, preflight=True)["status"] == 1
        assert transactor.send(to=recipient, value=5, gas=21_000, preflight=True)["status"] == 1  # the next nonce
    assert asked[CHECKED_SEND] == 2 and asked["eth_sendRawTransaction"] == 0 and asked["eth_call"] == 0, asked
    w3 = connect(served_chain)
    assert w3.eth.get_balance(recipient) == 10 and w3.eth.get_transaction_count(sender.address) == 2


def test_a_checked_send_refused_unmined_is_refused_as_a_plain_send(served_chain: str) -> None:
    """An error for a transaction that was not mined (a proxy refusing it, say) is the send's
    refusal, raised as `eth_sendRawTransaction`'s would be; nothing is sent another way."""
    sender = _funded(served_chain)
    refused = {"code": -32000, "message": "refused by the gateway's policy"}
    with counting(served_chain, {CHECKED_SEND: (False, refused)}) as (url, asked):
        transactor = Transactor(connect(url), sender)
        with pytest.raises(TransactionRejected, match="gateway"):
            transactor.send(to=dev_account(1).address, value=5, gas=21_000, preflight=True)
    assert asked["eth_sendRawTransaction"] == 0 and asked["eth_call"] == 0, asked
    assert connect(served_chain).eth.get_transaction_count(sender.address) == 0


@pytest.mark.parametrize("code", [-32601, -32004, -32600, 404, 405])
def test_a_chain_that_does_not_know_the_checked_send_is_asked_once(served_chain: str, code: int) -> None:
    """How nodes say they lack a method (JSON-RPC and anvil, Hardhat 3, Hardhat 2, a gateway that
    routes only the methods it knows): each makes the `Transactor` check by `eth_call` before
    each send from then on."""
    sender = _funded(served_chain)
    unknown: dict[str, Any] | int = code if code > 0 else {"code": code, "message": "method not found"}
    with counting(served_chain, {CHECKED_SEND: (False, unknown)}) as (url, asked):
        transactor = Transactor(connect(url), sender)
        for _ in range(3):
            assert transactor.send(to=dev_account(1).address, value=1, gas=21_000, preflight=True)["status"] == 1
    assert asked[CHECKED_SEND] == 1 and asked["eth_call"] == 3 and asked["eth_sendRawTransaction"] == 3, asked
