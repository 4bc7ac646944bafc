"""What `ledger.connect` asks a node, counted between it and a served chain: a block read by
number is one request (web3's request cache, on for eth_chainId, would ask for the block a second
time to decide whether to cache it), and the chain id is asked once, not before every call."""

from __future__ import annotations

import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

import orjson

from ledger import connect

from ..conftest import http_server


@contextmanager
def counting(upstream: str) -> Iterator[tuple[str, Counter[str]]]:
    """A proxy to ``upstream`` counting the JSON-RPC methods it forwards."""
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
            forward = urllib.request.Request(upstream, body, {"Content-Type": "application/json"})
            with urllib.request.urlopen(forward, timeout=30) as answer:  # noqa: S310 - a loopback URL
                data = answer.read()
            self.send_response(200)
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
