"""Read-only calls to a served chain over JSON-RPC, without web3.

A store node with ``--writers chain`` asks the chain one thing: whether an account has stake or a
market deposit. Importing web3 (and eth-account with it) takes ~1.6 s of CPU on the 2-core
development machine, in each of the six nodes `agora up` starts at once; `ChainReader` asks
with `http.client` and `ledger._abi` instead (docs/toolchain.md). Whatever answers is read as
untrusted: a call has one deadline for all of it (a watchdog shuts the socket down, so a peer
dripping a byte at a time is cut off too), answers are bounded in size and must be JSON-RPC
results of the expected shape, and anything else is a `LedgerError` (so a node fails closed).
"""

from __future__ import annotations

import http.client
import itertools
import re
import socket
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from ._abi import encode_static, keccak
from .errors import ChainUnavailable, LedgerError, NotDeployed
from .records import Deployment, is_current, read_record

MAX_ANSWER = 1 << 20
"""The most bytes read of one answer: a view of a few words needs far less."""
_SIGNATURE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\(([a-z0-9,]*)\)")
_HASH = re.compile(r"0x[0-9a-fA-F]{64}")
_CHAIN_ID = re.compile(r"0x[0-9a-fA-F]{1,16}")


class ChainReader:
    """Views of the contracts on the chain at ``url``, each a single ``eth_call``."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url, self.timeout = url, timeout
        self._ids = itertools.count(1)

    def request(self, method: str, params: list[Any]) -> Any:
        """The ``result`` of one JSON-RPC call, within ``timeout`` seconds in all.

        Raises:
            ChainUnavailable: nothing answers, or not all of it within ``timeout``.
            LedgerError: the answer is an error, oversized, or not JSON-RPC.
        """
        body = orjson.dumps({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params})
        try:
            status, raw = self._post(body)
        except (OSError, http.client.HTTPException) as exc:
            raise ChainUnavailable(f"no Ethereum JSON-RPC node answers at {self.url} ({type(exc).__name__})") from None
        if len(raw) > MAX_ANSWER:
            raise LedgerError(f"{self.url} answered {method} with more than {MAX_ANSWER:,} bytes")
        try:
            answer = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise LedgerError(f"{self.url} answered {method} with HTTP {status} and no JSON-RPC") from None
        if not isinstance(answer, dict) or ("result" not in answer and "error" not in answer):
            raise LedgerError(f"{self.url} answered {method} with HTTP {status} and no JSON-RPC")
        if "error" in answer:
            error = answer["error"] if isinstance(answer["error"], dict) else {}
            raise LedgerError(f"{method} failed at {self.url}: {str(error.get('message', answer['error']))[:200]}")
        return answer["result"]

    def _post(self, body: bytes) -> tuple[int, bytes]:
        """POSTs ``body``; the status and at most `MAX_ANSWER` + 1 bytes of the answer. A watchdog
        shuts the socket down at the deadline, wherever the exchange is (connecting aside, which
        the socket's own timeout bounds)."""
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ChainUnavailable(f"not an http(s) URL: {self.url}")
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = kind(parts.hostname, parts.port, timeout=self.timeout)
        deadline = time.monotonic() + self.timeout
        try:
            connection.connect()
            sock = connection.sock
            watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _shut, (sock,))
            watchdog.daemon = True
            watchdog.start()
            try:
                connection.request("POST", parts.path or "/", body=body, headers={"Content-Type": "application/json"})
                reply = connection.getresponse()
                raw = bytearray()
                while len(raw) <= MAX_ANSWER and (chunk := reply.read(min(65_536, MAX_ANSWER + 1 - len(raw)))):
                    raw += chunk
            finally:
                watchdog.cancel()
            if time.monotonic() > deadline:
                raise TimeoutError(f"no whole answer within {self.timeout}s")
            return reply.status, bytes(raw)
        finally:
            connection.close()

    def identity(self) -> tuple[int, str]:
        """The chain's id and its genesis block's hash (what a deployment record is kept under)."""
        chain_id = self.request("eth_chainId", [])
        genesis = self.request("eth_getBlockByNumber", ["0x0", False])
        hashed = str(genesis.get("hash")) if isinstance(genesis, dict) else ""
        if not isinstance(chain_id, str) or not _CHAIN_ID.fullmatch(chain_id) or not _HASH.fullmatch(hashed):
            raise LedgerError(f"{self.url} does not answer as an Ethereum chain (chain id, genesis block)")
        return _quantity(chain_id), hashed

    def deployment(self, home: Path) -> Deployment:
        """The deployment recorded under ``home`` for this chain (`NotDeployed` when there is none)."""
        return read_record(home, *self.identity())

    def code(self, address: str) -> bytes:
        """The runtime code at ``address`` in the latest block."""
        code = _data(self.request("eth_getCode", [address, "latest"]))
        if code is None:
            raise LedgerError(f"{self.url} answered eth_getCode with no hex")
        return code

    def current_deployment(self, home: Path) -> Deployment | None:
        """The deployment recorded under ``home`` for this chain when its contracts are still
        there with the current code (`records.is_current`), else None."""
        try:
            deployment = self.deployment(home)
        except NotDeployed:
            return None
        return deployment if is_current(deployment, self.code) else None

    def call(self, to: str, signature: str, *args: Any, words: int) -> list[int]:
        """The first ``words`` 32-byte words ``signature`` (``stakeOf(address)``, static argument
        types only) returns at ``to`` in the latest block, as unsigned integers.

        Raises:
            LedgerError: it reverted, or returned fewer words (no code at ``to``, say).
        """
        match = _SIGNATURE.fullmatch(signature)
        if match is None:
            raise ValueError(f"not a function signature: {signature}")
        types = [t for t in match.group(2).split(",") if t]
        data = keccak(signature.encode())[:4] + encode_static(types, list(args))
        raw = _data(self.request("eth_call", [{"to": to, "data": "0x" + data.hex()}, "latest"])) or b""
        if len(raw) < 32 * words:
            raise LedgerError(f"{signature} at {to} answered {len(raw)} bytes, not {32 * words} (no contract there?)")
        return [int.from_bytes(raw[32 * i : 32 * (i + 1)], "big") for i in range(words)]


def _shut(sock: socket.socket | None) -> None:
    """Ends a call at its deadline: the reading thread gets an OSError at once."""
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _data(result: Any) -> bytes | None:
    """The bytes of a JSON-RPC data string (``0x…``), or None when it is not one."""
    try:
        return bytes.fromhex(result.removeprefix("0x")) if isinstance(result, str) else None
    except ValueError:
        return None


def _quantity(value: str) -> int:
    try:
        return int(value, 16)
    except ValueError:
        raise LedgerError(f"not a JSON-RPC quantity: {value[:80]!r}") from None
