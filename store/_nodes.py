"""The client's requests to nodes: signed PUTs (retried when a node is unreachable or busy),
bounded GETs, JSON answers parsed with a depth limit, and the regions nodes declare."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

import orjson
from eth_account.signers.local import LocalAccount

from . import auth
from ._calls import Scope
from ._http import REPLY_LIMIT, Reply, Transport
from .errors import NodeError, StoreError

SIGN_WINDOW = 600
"""Seconds a write's signature stays valid (nodes accept at most an hour)."""


class Nodes:
    """HTTP to store nodes with a total deadline per request; writes signed by ``signer``."""

    def __init__(self, *, timeout: float, deadline: float, retries: int, signer: LocalAccount | None) -> None:
        self.http = Transport(timeout=timeout, deadline=deadline)
        self.retries = retries
        self.signer = signer
        self.regions: dict[str, str] = {}
        self._signatures: OrderedDict[tuple[str, int], tuple[int, str]] = OrderedDict()
        self._lock = threading.Lock()

    def close(self) -> None:
        self.http.close()

    def _signed(self, path: str, size: int) -> dict[str, str]:
        """The Authorization header for ``PUT path`` of ``size`` bytes (reused while fresh)."""
        if self.signer is None:
            return {}
        now = time.time()
        with self._lock:
            cached = self._signatures.get((path, size))
        if cached is not None and cached[0] - now > SIGN_WINDOW / 2:
            return {"Authorization": cached[1]}
        expires = int(now) + SIGN_WINDOW
        header = auth.authorization(self.signer, path, size, expires)
        with self._lock:
            self._signatures[(path, size)] = (expires, header)
            while len(self._signatures) > 256:
                self._signatures.popitem(last=False)
        return {"Authorization": header}

    def put(self, node: str, path: str, body: bytes) -> None:
        """A signed PUT, retried when the node cannot be reached or asks to retry (503)."""
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                reply = self.http.request("PUT", node + path, body=body, headers=self._signed(path, len(body)))
            except NodeError as exc:
                if last or not exc.reason.startswith("unreachable"):
                    raise
                time.sleep(0.05 * (attempt + 1))
                continue
            if reply.status in (200, 201):
                return
            if reply.status != 503 or last:
                raise NodeError(node, reply.reason())
            time.sleep(_retry_after(reply))

    def get(self, node: str, path: str, *, limit: int, scope: Scope | None = None) -> bytes:
        """The body of a 200 answer, at most ``limit`` bytes; `NodeError` otherwise."""
        reply = self.http.request("GET", node + path, limit=limit, scope=scope)
        if reply.status != 200:
            raise NodeError(node, reply.reason())
        return reply.body

    def get_json(self, node: str, path: str, *, limit: int) -> object:
        """A node's JSON answer, read within ``limit`` bytes and parsed with a depth limit."""
        try:
            return orjson.loads(self.get(node, path, limit=limit))
        except orjson.JSONDecodeError as exc:
            raise NodeError(node, f"not JSON: {exc}") from None

    def region_of(self, node: str, *, fresh: bool = False) -> str | None:
        """The node's declared region, or None when it does not answer (``fresh``: ask again)."""
        if fresh or node not in self.regions:
            self.regions.pop(node, None)
            try:
                info = self.get_json(node, "/info", limit=REPLY_LIMIT)
            except StoreError:
                return None
            region = info.get("region", "") if isinstance(info, dict) else None
            if not isinstance(region, str) or len(region) > 64:
                return None
            self.regions[node] = region
        return self.regions[node]


def _retry_after(reply: Reply) -> float:
    try:
        return min(max(float(reply.headers.get("retry-after", "1")), 0.05), 5.0)
    except ValueError:
        return 1.0
