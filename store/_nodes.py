"""The client's requests to nodes: signed PUTs (retried when a node is unreachable or busy),
bounded GETs, JSON answers parsed with a depth limit, and what nodes declare in /info (their
region, and the id a write's signature must name)."""

from __future__ import annotations

import math
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import orjson

from . import auth
from ._calls import Scope
from ._http import REPLY_LIMIT, Reply, Transport
from .auth import Signer
from .errors import NodeError, StoreError

SIGN_WINDOW = 600
"""Seconds a write's signature stays valid (nodes accept at most an hour)."""
MAX_RETRY_AFTER = 5.0
"""The longest a client waits on a node's Retry-After."""
_NODE_ID = re.compile(r"0x[0-9a-f]{64}")


@dataclass(frozen=True)
class Info:
    """What a node declares: its region and its id (what write signatures name)."""

    region: str
    id: bytes


class Nodes:
    """HTTP to store nodes with a total deadline and a minimum rate per request; writes signed
    by ``signer`` for the node they go to."""

    def __init__(
        self,
        *,
        timeout: float,
        deadline: float,
        retries: int,
        signer: Signer | None,
        min_rate: int = 0,
        ca_file: str | None = None,
    ) -> None:
        self.http = Transport(timeout=timeout, deadline=deadline, min_rate=min_rate, ca_file=ca_file)
        self.retries = retries
        self.signer = signer
        self.infos: dict[str, Info] = {}
        self._signatures: OrderedDict[tuple[bytes, str, int], tuple[int, str]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def regions(self) -> dict[str, str]:
        """The region of every node that has answered /info."""
        return {node: info.region for node, info in list(self.infos.items())}

    def close(self) -> None:
        self.http.close()

    def _signed(self, node: str, path: str, size: int) -> dict[str, str]:
        """The Authorization header for ``PUT path`` of ``size`` bytes on ``node`` (reused while fresh)."""
        if self.signer is None:
            return {}
        info = self.info(node)
        if info is None:
            raise NodeError(node, "unreachable (its /info, which names the id a write is signed for, did not answer)")
        now = time.time()
        with self._lock:
            cached = self._signatures.get((info.id, path, size))
        if cached is not None and cached[0] - now > SIGN_WINDOW / 2:
            return {"Authorization": cached[1]}
        expires = int(now) + SIGN_WINDOW
        header = auth.authorization(self.signer, path, size, expires, node=info.id)
        with self._lock:
            self._signatures[(info.id, path, size)] = (expires, header)
            while len(self._signatures) > 256:
                self._signatures.popitem(last=False)
        return {"Authorization": header}

    def put(self, node: str, path: str, body: bytes) -> None:
        """A signed PUT, retried when the node cannot be reached or asks to retry (503)."""
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                reply = self.http.request("PUT", node + path, body=body, headers=self._signed(node, path, len(body)))
            except NodeError as exc:
                if last or not exc.reason.startswith("unreachable"):
                    raise
                time.sleep(0.05 * (attempt + 1))
                continue
            if reply.status in (200, 201):
                return
            if reply.status != 503 or last:
                raise NodeError(node, reply.reason())
            time.sleep(retry_after(reply))

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

    def info(self, node: str, *, fresh: bool = False) -> Info | None:
        """What the node declares in /info, or None when it does not answer (``fresh``: ask again)."""
        if fresh or node not in self.infos:
            self.infos.pop(node, None)
            try:
                body = self.get_json(node, "/info", limit=REPLY_LIMIT)
            except StoreError:
                return None
            if not isinstance(body, dict):
                return None
            region, node_id = body.get("region", ""), body.get("id")
            if not isinstance(region, str) or len(region) > 64:
                return None
            if not isinstance(node_id, str) or not _NODE_ID.fullmatch(node_id):
                return None
            self.infos[node] = Info(region, bytes.fromhex(node_id[2:]))
        return self.infos.get(node)

    def region_of(self, node: str, *, fresh: bool = False) -> str | None:
        """The node's declared region, or None when it does not answer (``fresh``: ask again)."""
        info = self.info(node, fresh=fresh)
        return None if info is None else info.region


def retry_after(reply: Reply) -> float:
    """The seconds a 503 asks to wait: between 0.05 and `MAX_RETRY_AFTER` (1 when it says no number)."""
    try:
        wait = float(reply.headers.get("retry-after", "1"))
    except ValueError:
        return 1.0
    if not math.isfinite(wait):  # "nan" and "inf" parse as floats; sleeping on them raises or hangs
        return 1.0
    return min(max(wait, 0.05), MAX_RETRY_AFTER)
