"""`ChainReader` (a store node's view calls, without web3) reads whatever answers as untrusted:
a liar, an oversized answer or silence is a `LedgerError`, never a crash or a guess."""

from __future__ import annotations

import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import orjson
import pytest

from ledger import ChainReader, ChainUnavailable, LedgerError, NotDeployed
from ledger.reader import MAX_ANSWER

from ..conftest import free_port, http_server

GENESIS = "0x" + "ab" * 32


class _Peer(BaseHTTPRequestHandler):
    answers: dict[str, bytes] = {}

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        method = orjson.loads(self.rfile.read(int(self.headers["Content-Length"])))["method"]
        body = self.answers.get(method, b'{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"no such method"}}')
        self.send_response(200)
        if body.startswith(b"DRIP"):  # a byte every 0.2 s: 30 s for the whole answer
            self.send_header("Content-Length", str(len(body) - 4))
            self.end_headers()
            for byte in body[4:]:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.2)
            return
        if body.startswith(b"SHORT"):  # promises more than it sends, then hangs up
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(body[5:])
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def peer() -> Iterator[tuple[str, dict[str, bytes]]]:
    answers: dict[str, bytes] = {}
    with http_server(type("Peer", (_Peer,), {"answers": answers})) as url:
        yield url, answers


def _result(value: object) -> bytes:
    return orjson.dumps({"jsonrpc": "2.0", "id": 1, "result": value})


def test_a_well_formed_view_is_read_word_by_word(peer: tuple[str, dict[str, bytes]]) -> None:
    url, answers = peer
    answers["eth_call"] = _result("0x" + (7).to_bytes(32, "big").hex() + (9).to_bytes(32, "big").hex())
    assert ChainReader(url).call("0x" + "11" * 20, "stakeOf(address)", "0x" + "22" * 20, words=2) == [7, 9]


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (_result("0x"), "answered 0 bytes"),  # no contract at the address
        (_result("0x" + "00" * 31), "answered 31 bytes"),
        (_result("0xzz"), "answered 0 bytes"),
        (_result(12), "answered 0 bytes"),
        (b'{"jsonrpc":"2.0","id":1,"error":{"code":3,"message":"execution reverted"}}', "execution reverted"),
        (b'{"jsonrpc":"2.0","id":1,"error":"a string"}', "a string"),
        (b"<html>a proxy</html>", "no JSON-RPC"),
        (b"[1, 2]", "no JSON-RPC"),
        (b"[" * 5000 + b"]" * 5000, "no JSON-RPC"),  # deeper than orjson's limit: refused, not a crash
        (_result("0x" + "00" * (MAX_ANSWER // 2 + 64)), "more than"),
    ],
)
def test_a_lying_or_broken_peer_is_a_ledger_error(peer: tuple[str, dict[str, bytes]], answer: bytes, why: str) -> None:
    url, answers = peer
    answers["eth_call"] = answer
    with pytest.raises(LedgerError, match=why):
        ChainReader(url).call("0x" + "11" * 20, "balanceOf(address)", "0x" + "22" * 20, words=1)


def test_a_peer_that_is_not_a_chain_has_no_deployment(peer: tuple[str, dict[str, bytes]], tmp_path) -> None:  # type: ignore[no-untyped-def]
    url, answers = peer
    answers["eth_chainId"] = _result("0x7a69")
    answers["eth_getBlockByNumber"] = _result({"hash": "not a hash"})
    with pytest.raises(LedgerError, match="does not answer as an Ethereum chain"):
        ChainReader(url).deployment(tmp_path)
    answers["eth_getBlockByNumber"] = _result({"hash": GENESIS})
    assert ChainReader(url).identity() == (31337, GENESIS)
    with pytest.raises(NotDeployed, match="no contracts deployed on chain 31337"):
        ChainReader(url).deployment(tmp_path)


def test_silence_is_an_unavailable_chain() -> None:
    with pytest.raises(ChainUnavailable, match="no Ethereum JSON-RPC node answers"):
        ChainReader(f"http://127.0.0.1:{free_port()}", timeout=2).request("eth_chainId", [])


def test_a_signature_it_cannot_encode_is_refused_before_asking() -> None:
    reader = ChainReader(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ValueError, match="not a function signature"):
        reader.call("0x" + "11" * 20, "stakeOf(address", "0x" + "22" * 20, words=1)
    with pytest.raises(ValueError, match="not a static ABI type"):
        reader.call("0x" + "11" * 20, "f(string)", "x", words=1)


def test_a_peer_dripping_its_answer_is_cut_off_at_the_deadline(peer: tuple[str, dict[str, bytes]]) -> None:
    """Each byte comes well within the timeout, the whole answer far beyond it: the call's one
    deadline ends it (a timeout per read alone would wait the 30 s out and then believe it)."""
    url, answers = peer
    answers["eth_call"] = b"DRIP" + _result("0x" + (1).to_bytes(32, "big").hex())[:150]
    with pytest.raises(ChainUnavailable, match="no Ethereum JSON-RPC node answers"):
        ChainReader(url, timeout=1.0).call("0x" + "11" * 20, "balanceOf(address)", "0x" + "22" * 20, words=1)


def test_an_answer_cut_short_is_a_ledger_error(peer: tuple[str, dict[str, bytes]]) -> None:
    url, answers = peer
    answers["eth_call"] = b"SHORT" + b'{"jsonrpc":"2.0"'
    with pytest.raises(LedgerError, match="no JSON-RPC"):
        ChainReader(url).call("0x" + "11" * 20, "balanceOf(address)", "0x" + "22" * 20, words=1)


@pytest.mark.parametrize("chain_id", ["0x" + "1" * 4000, "7a69", "0x", "0x7a69 "])
def test_a_chain_id_that_is_no_quantity_is_refused(peer: tuple[str, dict[str, bytes]], chain_id: str) -> None:
    url, answers = peer
    answers["eth_chainId"] = _result(chain_id)
    answers["eth_getBlockByNumber"] = _result({"hash": GENESIS})
    with pytest.raises(LedgerError, match="does not answer as an Ethereum chain"):
        ChainReader(url).identity()
