"""Running a node's app under uvicorn with connection-level bounds.

uvicorn bounds connections (``limit_concurrency``: beyond it, 503) and idle keep-alive
connections, but not a connection that sends its request head slowly or never, nor one whose
reader stops reading a reply. `GuardedProtocol` adds those: a request head must arrive whole
within ``head_timeout`` seconds and ``max_head`` bytes, and a reply that cannot be written for
``stall_timeout`` seconds drops the connection.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)


class HeadTooLarge(Exception):
    """Raised (inside the HTTP parser, which answers 400 and closes) when a request head is too large."""


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with time and size bounds on request heads and stalled writes."""

    head_timeout = 10.0
    stall_timeout = 10.0
    max_head = 64 * 1024

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._head_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._stall_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm_head()

    def _arm_head(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_timeout, self._drop, "no complete request head")

    def _drop(self, why: str) -> None:
        if not self.transport.is_closing():
            log.info("dropped a connection from %s: %s within %gs", _peer(self.client), why, self.head_timeout)
            self.transport.abort()

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > self.max_head:
            raise HeadTooLarge(f"request head over {self.max_head} bytes")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        self._arm_head()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().on_headers_complete()

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._stall_timer is None:
            self._stall_timer = self.loop.call_later(self.stall_timeout, self._stalled)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None

    def _stalled(self) -> None:
        if not self.transport.is_closing():
            log.info("dropped a connection from %s: it read nothing for %gs", _peer(self.client), self.stall_timeout)
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self._head_timer, self._stall_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._stall_timer = None
        super().connection_lost(exc)


def _peer(client: Any) -> str:
    return f"{client[0]}:{client[1]}" if client else "?"


def run(
    app: Any, *, host: str, port: int, idle_timeout: float, max_connections: int, keep_alive: float, max_head: int
) -> None:
    """Serves ``app`` until interrupted."""
    import uvicorn

    protocol = type(
        "NodeProtocol",
        (GuardedProtocol,),
        {"head_timeout": idle_timeout, "stall_timeout": idle_timeout, "max_head": max_head},
    )
    uvicorn.run(
        app,
        host=host,
        port=port,
        http=protocol,
        ws="none",
        lifespan="off",
        limit_concurrency=max_connections,
        timeout_keep_alive=int(keep_alive),
        log_level="warning",
        access_log=False,
        server_header=False,
    )
