"""Transactions sent while the embedded chain's writer is busy share its next block; each one
that is refused fails alone, with the error it gets when sent alone, and changes nothing."""

from __future__ import annotations

import random
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger import CHAIN_ID, EmbeddedChain, dev_account
from ledger._embedded import TransactionTimeout
from ledger._view import Reverted
from ledger.rpc import ACTED_REVERT_MAX, Dispatcher, RPCError, workload

from ..conftest import free_port, start_chain_server, stop
from .test_evm import asm, push

FEES = {"maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9, "chainId": CHAIN_ID}
RECIPIENT = dev_account(9).address


def _raw(sender: LocalAccount, nonce: int, **fields: Any) -> bytes:
    tx = {"to": RECIPIENT, "value": 1000 + nonce, "gas": 21_000, "nonce": nonce, **FEES, **fields}
    if tx["to"] is None:
        del tx["to"]  # a contract creation
    return bytes(sender.sign_transaction(tx).raw_transaction)


def _outcome(send: Callable[[bytes], bytes], raw: bytes) -> bytes | BaseException:
    try:
        return send(raw)
    except Exception as exc:
        return exc


def _send_together(chain: EmbeddedChain, raws: list[bytes]) -> list[bytes | BaseException]:
    """Sends ``raws`` from one thread each while the writer is held, so that all of them are
    waiting when it is free (in this order: each waits before the next one is sent)."""
    out: list[bytes | BaseException | None] = [None] * len(raws)

    def send(i: int) -> None:
        out[i] = _outcome(chain.send_raw_transaction, raws[i])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(raws))]
    with chain.locked():
        for i, thread in enumerate(threads):
            thread.start()
            while len(chain._queue) <= i:  # this one is queued behind the held writer
                time.sleep(0.001)
    for thread in threads:
        thread.join(timeout=60)
    assert all(o is not None for o in out)
    return out  # type: ignore[return-value]


def _alone(raw: bytes, *, tx_timeout: float | None = None) -> bytes | BaseException:
    return _outcome(EmbeddedChain(tx_timeout=tx_timeout).send_raw_transaction, raw)


def _same_error(got: bytes | BaseException, alone: bytes | BaseException) -> None:
    assert isinstance(got, BaseException) and isinstance(alone, BaseException), (got, alone)
    assert (type(got), str(got)) == (type(alone), str(alone))


def _block_of(chain: EmbeddedChain, tx_hash: bytes) -> int:
    with chain.view() as view:
        found = view.transaction_location(tx_hash)
    assert found is not None
    return int(found[0].header.block_number)


def test_transactions_sent_together_share_one_block(tmp_path: Path) -> None:
    chain = EmbeddedChain(tmp_path)
    raws = [_raw(dev_account(i), 0) for i in range(8)]
    hashes = _send_together(chain, raws)
    assert chain.head().block_number == 1
    assert all(isinstance(h, bytes) and _block_of(chain, h) == 1 for h in hashes)
    with chain.view() as view:
        block = view.block(view.head())
        assert [tx.hash for tx in block.transactions] == hashes  # in the order they came
        assert all(r.state_root == b"\x01" for r in view.receipts(block))
    # a lone sender still gets a block of its own
    chain.send_raw_transaction(_raw(dev_account(0), 1))
    assert chain.head().block_number == 2


def test_only_mined_blocks_set_how_many_a_miner_waits_for() -> None:
    """A miner waits briefly for as many transactions as recent blocks mined (`_gather`). Forty
    transactions sent only to be refused must not make every later block wait, and a wait that
    runs out forgets the recent sizes (a burst costs the blocks after it at most one wait)."""
    chain = EmbeddedChain()
    poor = Web3().eth.account.create()
    refused = _send_together(chain, [_raw(poor, n) for n in range(40)])
    assert all(isinstance(r, BaseException) for r in refused)
    assert chain._groups == [0]  # nothing mined: nothing to wait for
    _send_together(chain, [_raw(dev_account(i), 0) for i in range(8)])
    assert chain._groups == [0, 8]
    chain.send_raw_transaction(_raw(dev_account(0), 1))  # alone: waits for seven that never come
    assert chain._groups == [1]


def test_those_waiting_while_a_block_is_mined_count_as_sending_with_it() -> None:
    """Eight senders could settle into two groups of four taking turns (each group queued while
    the other's block is mined, so the miner always finds as many as the last block held), and
    every block's fixed cost would be shared by four. The miner counts the recent senders whose
    next transactions queued while its block was mined as sending at once with it. What costs
    nothing to send does not count: a fresh key's transactions (refused for want of funds),
    replays of mined ones, a recent sender's far-future nonce."""
    chain = EmbeddedChain()
    poor = Web3().eth.account.create()
    burner = _raw(dev_account(0), 0, to=None, data=asm("JUMPDEST", push(0), "JUMP"), gas=3_000_000, value=0)
    _send_together(chain, [_raw(dev_account(i), 0) for i in range(1, 5)])  # block 1: four senders
    assert chain._groups == [4]
    junk = [_raw(poor, n) for n in range(4)] + [_raw(dev_account(i), 0) for i in (1, 2)] + [_raw(dev_account(1), 7)]
    later = [_raw(dev_account(i), 1) for i in range(1, 5)] + junk
    mining = threading.Thread(target=chain.send_raw_transaction, args=(burner,))
    mining.start()  # block 2: loops until its gas runs out (mined, status 0) after a while
    while not (chain._mining and not chain._queue):  # its group is taken: the block is being mined
        time.sleep(0.001)
    out: list[bytes | BaseException | None] = [None] * len(later)

    def send(i: int) -> None:
        out[i] = _outcome(chain.send_raw_transaction, later[i])

    queued = [threading.Thread(target=send, args=(i,)) for i in range(len(later))]
    for i, thread in enumerate(queued):
        thread.start()
        while len(chain._queue) <= i:
            time.sleep(0.001)
    for thread in (mining, *queued):
        thread.join(timeout=60)
    assert all(isinstance(o, bytes) for o in out[:4]) and all(isinstance(o, BaseException) for o in out[4:])
    with chain.view() as view:  # all queued while block 2 was mined; block 3 took them
        assert [len(view.block(view.header_at(n)).transactions) for n in (1, 2, 3)] == [4, 1, 4]
    # Block 2 counts its one and the four of block 1's senders whose next transactions waited:
    # five (not twelve, with the junk; not one, counting only what it mined). Block 3's miner
    # found eleven queued, did not wait, and mined four.
    assert chain._groups == [5, 4]


def test_a_refused_transaction_fails_alone_and_changes_nothing() -> None:
    sender, poor = dev_account(1), Web3().eth.account.create()
    slow_loop = {"to": None, "data": asm("JUMPDEST", push(0), "JUMP"), "gas": 29_000_000, "value": 0}
    refused = {
        "bad nonce": _raw(dev_account(2), 5),
        "insufficient funds": _raw(poor, 0),
        "over the block's gas": _raw(dev_account(3), 0, gas=30_000_001),
        "past its time": _raw(dev_account(4), 0, **slow_loop),
    }
    good = [_raw(sender, 0), _raw(dev_account(5), 0), _raw(sender, 1)]
    chain = EmbeddedChain(tx_timeout=0.5)
    got = _send_together(chain, [good[0], *refused.values(), good[1], good[2]])
    for (name, raw), outcome in zip(refused.items(), got[1:5], strict=True):
        alone = _alone(raw, tx_timeout=0.5)
        _same_error(outcome, alone)
        if name == "past its time":
            assert isinstance(outcome, TransactionTimeout)
    mined = [got[0], got[5], got[6]]
    assert all(isinstance(h, bytes) and _block_of(chain, h) == 1 for h in mined)
    assert chain.head().block_number == 1  # the refused ones made no block of their own either
    # the same good transactions alone in one block give the same state: the refused left nothing
    clean = EmbeddedChain()
    assert _send_together(clean, good) == mined
    assert chain.head().state_root == clean.head().state_root
    dispatcher = Dispatcher(chain)
    for account in (dev_account(2), dev_account(3), dev_account(4)):
        assert dispatcher.call("eth_getTransactionCount", [account.address, "latest"]) == "0x0"  # nonces free


def test_a_transaction_over_the_gas_left_waits_for_the_next_block() -> None:
    chain = EmbeddedChain()
    burner = _raw(dev_account(0), 0, to=None, data=b"\xfe", value=0, gas=20_000_000)  # INVALID: uses all its gas
    big = [burner, _raw(dev_account(1), 0, gas=20_000_000)]  # 20M more do not fit in what is left
    after = _raw(dev_account(1), 1)  # the same sender's next nonce waits with it
    other = _raw(dev_account(2), 0)
    got = _send_together(chain, [*big, after, other])
    assert all(isinstance(h, bytes) for h in got)
    assert [_block_of(chain, h) for h in got] == [1, 2, 2, 1]  # type: ignore[arg-type]


def _stream(
    url: str, sender: LocalAccount, nonce: int, acknowledged: dict[bytes, tuple[int, bytes]], lock: threading.Lock
) -> None:
    """Sends transfers one after another until the server dies, noting each acknowledged one."""
    client = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 5}))
    try:
        while True:
            tx_hash = bytes(client.eth.send_raw_transaction(_raw(sender, nonce)))
            receipt = client.eth.get_transaction_receipt(tx_hash)  # there once acknowledged
            root = client.eth.get_block(receipt["blockNumber"])["stateRoot"]
            with lock:
                acknowledged[tx_hash] = (receipt["blockNumber"], root)
            nonce += 1
    except Exception:
        pass  # the server died mid-request: that request was never acknowledged


@pytest.mark.slow
def test_sigkill_loses_no_acknowledged_transaction_of_a_shared_block(tmp_path: Path) -> None:
    """Eight senders at once against `agora chain serve`, killed at random moments: every
    transaction whose hash came back is there after a restart, in the same block, with the
    same state root, and blocks did hold several transactions."""
    rng = random.Random(4242)
    senders = [dev_account(i) for i in range(8)]
    acknowledged: dict[bytes, tuple[int, bytes]] = {}
    lock = threading.Lock()
    for _round in range(4):
        port = free_port()
        proc = start_chain_server(tmp_path, port)
        url = f"http://127.0.0.1:{port}"
        w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 5}))
        for tx_hash, (block, root) in acknowledged.items():
            assert w3.eth.get_transaction_receipt(tx_hash)["blockNumber"] == block
            assert w3.eth.get_block(block)["stateRoot"] == root
        nonces = [w3.eth.get_transaction_count(s.address) for s in senders]

        killer = threading.Timer(rng.uniform(0.3, 1.0), proc.send_signal, args=(signal.SIGKILL,))
        killer.start()
        threads = [
            threading.Thread(target=_stream, args=(url, senders[i], nonces[i], acknowledged, lock))
            for i in range(len(senders))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        killer.join()
        proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL
    blocks = [block for block, _ in acknowledged.values()]
    assert len(acknowledged) > 20
    assert len(set(blocks)) < len(blocks)  # some blocks held several acknowledged transactions
    port = free_port()
    proc = start_chain_server(tmp_path, port)
    try:
        w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}"))
        for tx_hash, (block, root) in acknowledged.items():
            receipt = w3.eth.get_transaction_receipt(tx_hash)
            assert (receipt["blockNumber"], receipt["status"]) == (block, 1)
            assert w3.eth.get_block(block)["stateRoot"] == root
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_checked_transaction_that_reverts_leaves_its_block_to_the_others() -> None:
    """Sent checked (`agora_sendRawTransactionChecked`), a transaction whose execution reverts is
    refused with its revert data as it is mined: not in the block, its nonce unused, its sender
    charged nothing; the others sent with it share the block as before."""
    chain = EmbeddedChain()
    rpc = Dispatcher(chain)
    always_reverts = bytes.fromhex("6460006000fd6000526005601bf3")  # deploys code that reverts with no data
    created = chain.send_raw_transaction(_raw(dev_account(0), 0, to=None, data=always_reverts, gas=100_000, value=0))
    reverter = Web3.to_checksum_address(
        rpc.call("eth_getTransactionReceipt", ["0x" + created.hex()])["contractAddress"]
    )
    sender = dev_account(2).address
    balance = rpc.call("eth_getBalance", [sender, "latest"])
    raws = [_raw(dev_account(1), 0), _raw(dev_account(2), 0, to=reverter, value=0, gas=50_000), _raw(dev_account(3), 0)]
    out = chain.send_raw_transactions(raws, checked=True)
    assert isinstance(out[1], Reverted), out
    assert isinstance(out[0], bytes) and isinstance(out[2], bytes)
    assert _block_of(chain, out[0]) == _block_of(chain, out[2]) == chain.head().block_number == 2
    assert rpc.call("eth_getTransactionCount", [sender, "latest"]) == "0x0"
    assert rpc.call("eth_getBalance", [sender, "latest"]) == balance
    # sent plainly, the same transaction is mined, reverted (status 0), and paid for
    plain = chain.send_raw_transaction(raws[1])
    assert rpc.call("eth_getTransactionReceipt", ["0x" + plain.hex()])["status"] == "0x0"
    assert rpc.call("eth_getTransactionCount", [sender, "latest"]) == "0x1"


def test_a_checked_transaction_over_the_calls_gas_cap_is_refused_unsent(tmp_path: Path) -> None:
    """A refused checked transaction is paid by nobody, as a call is not: its gas is held to the
    calls' cap (`AGORA_RPC_GAS_CAP`), over which it is refused before it is executed."""
    port = free_port()
    proc = start_chain_server(tmp_path, port, env={"AGORA_RPC_GAS_CAP": "100000"})
    try:
        url = f"http://127.0.0.1:{port}"
        raw = _raw(dev_account(1), 0, gas=200_000)
        answer = requests.post(
            url,
            json={"jsonrpc": "2.0", "id": 1, "method": "agora_sendRawTransactionChecked", "params": ["0x" + raw.hex()]},
            timeout=30,
        ).json()
        assert "gas" in answer["error"]["message"] and "100000" in answer["error"]["message"], answer
        count = requests.post(
            url,
            json={
                "jsonrpc": "2.0",
                "id": 2,
                "method": "eth_getTransactionCount",
                "params": [dev_account(1).address, "latest"],
            },
            timeout=30,
        ).json()
        assert count["result"] == "0x0"
    finally:
        stop(proc)
    assert workload({"method": "agora_sendRawTransactionChecked"}) == "write"  # waits for the writer, not a reader


def test_a_mined_transaction_is_answered_even_when_answers_pile_up(tmp_path: Path) -> None:
    """Answers held by clients that do not read them are bounded (`AGORA_RPC_UNSENT_MAX`): past
    it a read is answered "busy". A write's answer is what was done: always sent, or its sender
    would take a mined transaction for a refused one and send it again."""
    port = free_port()
    proc = start_chain_server(tmp_path, port, env={"AGORA_RPC_UNSENT_MAX": "1"})  # every answer is over it
    try:
        url = f"http://127.0.0.1:{port}"

        def ask(method: str, *params: Any) -> dict[str, Any]:
            body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
            answer: dict[str, Any] = requests.post(url, json=body, timeout=30).json()
            return answer

        assert "AGORA_RPC_UNSENT_MAX" in ask("eth_blockNumber")["error"]["message"]
        raw = _raw(dev_account(1), 0)
        for method in ("eth_sendRawTransaction", "agora_sendRawTransactionChecked"):
            answer = ask(method, "0x" + raw.hex())
            assert answer.get("result") == "0x" + Web3.keccak(raw).hex(), answer
            raw = _raw(dev_account(1), 1)
        count = ask("eth_getTransactionCount", dev_account(1).address, "latest")
        assert "AGORA_RPC_UNSENT_MAX" in count["error"]["message"]
        # in a batch, each answer is bounded on its own: the transaction's is kept, the read's not
        raw = _raw(dev_account(1), 2)
        batch = [
            {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": ["0x" + raw.hex()]},
            {"jsonrpc": "2.0", "id": 2, "method": "eth_blockNumber", "params": []},
        ]
        sent, read = sorted(requests.post(url, json=batch, timeout=30).json(), key=lambda a: a["id"])
        assert sent["result"] == "0x" + Web3.keccak(raw).hex(), sent
        assert "AGORA_RPC_UNSENT_MAX" in read["error"]["message"], read
        # a refusal (nothing done) is bounded as any answer
        refused = ask("agora_sendRawTransactionChecked", "0x" + _raw(dev_account(3), 5).hex())  # a nonce ahead
        assert "AGORA_RPC_UNSENT_MAX" in refused["error"]["message"], refused
    finally:
        stop(proc)


def test_a_checked_refusal_carries_at_most_4_kib_of_revert_data() -> None:
    """A refused checked transaction costs its sender nothing: the revert data it is answered
    with is cut at `ACTED_REVERT_MAX`."""
    chain = EmbeddedChain()
    rpc = Dispatcher(chain)
    loud = bytes.fromhex("6561280060" + "00fd600052" + "6006601af3")  # deploys code reverting with 10 KiB
    created = chain.send_raw_transaction(_raw(dev_account(2), 0, to=None, data=loud, gas=99_000, value=0))
    reverter = rpc.call("eth_getTransactionReceipt", ["0x" + created.hex()])["contractAddress"]
    checked = _raw(dev_account(2), 1, to=Web3.to_checksum_address(reverter), value=0, gas=99_000)
    with pytest.raises(RPCError) as refused:
        rpc.call("agora_sendRawTransactionChecked", ["0x" + checked.hex()])
    assert refused.value.code == 3 and len(refused.value.data) == 2 + 2 * ACTED_REVERT_MAX
    assert rpc.call("eth_getTransactionCount", [dev_account(2).address, "latest"]) == "0x1"  # the refused one's unused
