"""uvicorn's httptools protocol with a bounded request head.

uvicorn times out idle keep-alive connections only after a first response, and gathers a
request's URL by appending chunk to chunk (quadratic, on the event loop): a client may open
connections and never finish a head, or send a URL of hundreds of megabytes. Here a head must
arrive within `head_timeout` seconds of the connection (or of its first byte, for later requests
on a kept-alive connection) and within `max_head` bytes; otherwise the connection is answered
408 or 431 and closed. A client that stops reading its answer for `write_timeout` seconds is
cut off (its unread answer would otherwise stay in memory for good).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class BoundedHttpToolsProtocol(HttpToolsProtocol):  # type: ignore[misc]
    """`HttpToolsProtocol` that closes connections whose request head is too slow or too large."""

    max_head = 64 * 1024
    head_timeout = 10.0
    write_timeout = 30.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_bytes = 0
        self._in_head = True
        self._write_timer: asyncio.TimerHandle | None = None
        self._head_timer: asyncio.TimerHandle | None = self.loop.call_later(self.head_timeout, self._head_expired)

    def data_received(self, data: bytes) -> None:
        counting = self._in_head
        super().data_received(data)
        if counting and self._in_head:
            self._head_bytes += len(data)
            if self._head_bytes > self.max_head and not self.transport.is_closing():
                self._refuse(431, f"request head larger than {self.max_head} bytes")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self._in_head:  # a later request on a kept-alive connection
            self._in_head, self._head_bytes = True, 0
            self._cancel_timer()
            self._head_timer = self.loop.call_later(self.head_timeout, self._head_expired)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._cancel_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timer()
        self._cancel_write_timer()
        super().connection_lost(exc)

    def pause_writing(self) -> None:
        """The client stopped reading: it has `write_timeout` seconds to start again."""
        super().pause_writing()
        if self._write_timer is None:
            self._write_timer = self.loop.call_later(self.write_timeout, self._write_expired)

    def resume_writing(self) -> None:
        self._cancel_write_timer()
        super().resume_writing()

    def _cancel_write_timer(self) -> None:
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None

    def _write_expired(self) -> None:
        self._write_timer = None
        self.transport.abort()  # a graceful close would wait for the client to read

    def _cancel_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_expired(self) -> None:
        self._head_timer = None
        if self._in_head and not self.transport.is_closing():
            self._refuse(408, f"request head not received within {self.head_timeout:g}s")

    def _refuse(self, status: int, message: str) -> None:
        reason = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}[status]
        body = message.encode()
        head = b"HTTP/1.1 %d %s\r\ncontent-type: text/plain\r\ncontent-length: %d\r\nconnection: close\r\n\r\n"
        self.transport.write(head % (status, reason, len(body)) + body)
        self.transport.close()


def bounded_protocol(*, max_head: int, head_timeout: float, write_timeout: float) -> type[Any]:
    """A protocol class for `uvicorn.Config(http=...)` with these bounds."""
    bounds = {"max_head": max_head, "head_timeout": head_timeout, "write_timeout": write_timeout}
    return type("ChainHttpProtocol", (BoundedHttpToolsProtocol,), bounds)
