"""Running a node's app under uvicorn with connection-level bounds.

uvicorn bounds connections (``limit_concurrency``: beyond it, 503) and idle keep-alive
connections, but not a connection that sends its request head slowly or never, nor one whose
reader stops reading a reply, nor how many connections one client holds. `GuardedProtocol` adds
those: a request head must arrive whole within ``head_timeout`` seconds and ``max_head`` bytes; a
reply that cannot be written for ``stall_timeout`` seconds aborts the connection (even when uvicorn
has begun closing it: a graceful close waits for the reader forever); one client address holds at
most ``per_client`` connections (beyond, a 503 and the connection is closed).
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import socket
import sys
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .settings import NodeLimits

log = logging.getLogger(__name__)
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nRetry-After: 1\r\n"
    b"Connection: close\r\nContent-Length: 86\r\n\r\n"
    b'{"title":"busy","status":503,"detail":"too many connections from this client address"}'
)


_MAX_PIECES = 64
"""Body pieces kept apart before they are joined (each costs ~90 bytes beside its own)."""


class _Pieces:
    """A request body received but not yet read by the app, as the pieces the parser gave.

    uvicorn keeps them in a bytearray (``+=``) and hands the app ``bytes(body)``: two copies of
    every byte a node receives. As one piece is what the app almost always finds waiting (reading
    pauses past 64 KiB, and a read gives at most 256 KiB), ``bytes()`` of this hands that piece
    over as it is, and joins only when there are more."""

    __slots__ = ("pieces", "size")

    def __init__(self) -> None:
        self.pieces: list[bytes | bytearray] = []
        self.size = 0

    def __iadd__(self, piece: bytes) -> _Pieces:
        if len(self.pieces) >= _MAX_PIECES:  # tiny pieces piling up: gathered as uvicorn would (amortized)
            first = self.pieces[0]
            gathered = first if isinstance(first, bytearray) else bytearray(first)
            gathered += b"".join(self.pieces[1:])
            self.pieces = [gathered]
        self.pieces.append(piece)
        self.size += len(piece)
        return self

    def __len__(self) -> int:
        return self.size

    def __bytes__(self) -> bytes:
        if len(self.pieces) == 1 and type(self.pieces[0]) is bytes:
            return self.pieces[0]
        return b"".join(self.pieces)


class HeadTooLarge(Exception):
    """Raised (inside the HTTP parser, which answers 400 and closes) when a request head is too large."""


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with time and size bounds on request heads and stalled writes."""

    head_timeout = 10.0
    stall_timeout = 10.0
    max_head = 64 * 1024
    per_client = 64
    clients: dict[str, int] = {}
    """Connections per client address (one dict per server: `run` makes a subclass)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._head_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._stall_timer: asyncio.TimerHandle | None = None
        self._lost = False
        super().connection_made(transport)
        self._address = self.client[0] if self.client else "?"
        held = self.clients.get(self._address, 0)
        self.clients[self._address] = held + 1
        if held >= self.per_client:
            log.info("refused a connection from %s: it holds %d already", self._address, held)
            transport.write(_BUSY)
            transport.close()
            return
        self._arm_head()

    def _arm_head(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_timeout, self._drop, "no complete request head")

    def _drop(self, why: str) -> None:
        if not self._lost:
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

    def on_body(self, body: bytes) -> None:
        """uvicorn's, keeping the pieces as they came (`_Pieces`) instead of appending them to a bytearray."""
        cycle = self.cycle
        if cycle is not None and not isinstance(cycle.body, _Pieces):  # uvicorn's fresh bytearray
            pieces = _Pieces()
            if cycle.body:
                pieces += bytes(cycle.body)
            cycle.body = pieces  # type: ignore[assignment]
        super().on_body(body)

    def on_headers_complete(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().on_headers_complete()

    def eof_received(self) -> bool:  # type: ignore[override]
        """A client that has sent its whole request and shut its side (``shutdown(SHUT_WR)``) is
        still answered: uvicorn's own returns None, so the transport closed before the answer was
        written whenever a route awaited anything. The connection closes after that answer. An
        end before the request's body is whole is a client gone: closed at once, as before."""
        if self.cycle is None or self.cycle.response_complete or self.cycle.more_body:
            return False
        self.cycle.keep_alive = False
        return True

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
        self._stall_timer = None
        if not self._lost:  # closing or not: a graceful close would wait on this reader forever
            log.info("dropped a connection from %s: it read nothing for %gs", _peer(self.client), self.stall_timeout)
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._lost:
            self._lost = True
            left = self.clients.get(self._address, 1) - 1
            if left > 0:
                self.clients[self._address] = left
            else:
                self.clients.pop(self._address, None)
        for timer in (self._head_timer, self._stall_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._stall_timer = None
        super().connection_lost(exc)


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
REUSED = 32 * 1024 * 1024
"""Bytes of freed memory glibc keeps for reuse instead of handing back to the kernel."""


def _keep_freed_memory() -> None:
    """Has glibc's malloc reuse freed body buffers (up to `REUSED`) instead of mapping fresh
    pages for each: a node copies every byte it receives a few times into buffers of ~256 KiB,
    and faulting those pages in cost as much kernel time as the copies (docs/benchmarks.md).
    Nothing happens on a C library without ``mallopt``."""
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, REUSED)
    mallopt(_M_TRIM_THRESHOLD, REUSED)


def _peer(client: Any) -> str:
    return f"{client[0]}:{client[1]}" if client else "?"


def run(
    app: Any,
    *,
    host: str,
    port: int,
    limits: NodeLimits,
    tls: tuple[str, str] | None = None,
    sock: socket.socket | None = None,
) -> None:
    """Serves ``app`` until interrupted (over TLS with ``tls``: certificate and key PEM files), on
    ``sock`` when it is given (bound already; it listens from here), else on ``host``:``port``.
    Exits with code 3 when it cannot start serving (uvicorn's own code for that)."""
    import uvicorn

    _keep_freed_memory()
    protocol = type(
        "NodeProtocol",
        (GuardedProtocol,),
        {
            "head_timeout": limits.idle_timeout,
            "stall_timeout": limits.idle_timeout,
            "max_head": limits.max_head,
            "per_client": limits.max_client_connections,
            "clients": {},
        },
    )
    max_connections, keep_alive = limits.max_connections, limits.keep_alive
    config = uvicorn.Config(
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
        ssl_certfile=tls[0] if tls else None,
        ssl_keyfile=tls[1] if tls else None,
    )
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock] if sock is not None else None)
    except KeyboardInterrupt:
        pass
    except OSError as exc:  # listening on a socket bound earlier: another took the port meanwhile
        log.error("cannot listen on %s:%s: %s", host, port, exc.strerror or exc)
        sys.exit(3)
    if not server.started:  # as uvicorn.run ends: the port was taken, or the app failed to start
        sys.exit(3)
