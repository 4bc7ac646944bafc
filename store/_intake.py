"""A node's uploads: everything is checked before the body is read (name, declared length,
uploads in progress, signature, writer, quota); the body then streams to a staged file, hashed
as it comes, with an idle timeout between chunks, and is renamed into place when it is right."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from . import auth
from .backends import Backend, DiskFull, disk_full
from .errors import (
    BadName,
    BadUpload,
    LengthRequired,
    NodeBusy,
    NotFound,
    QuotaExceeded,
    StoreError,
    TooLarge,
    Unauthenticated,
    UploadStalled,
    WriterRefused,
    WritersUnavailable,
)
from .quota import QuotaBook
from .settings import NodeLimits

log = logging.getLogger("store.node")

FLUSH = 4 * 1024 * 1024
"""Bytes of body gathered before one write to the staged file (off the event loop)."""
Authorize = Callable[[str], bool]
Check = str | Callable[[Path, str], Awaitable[None]]
"""The sha256 (hex) a body must have, or an async check of the staged file and its sha256."""

# One table from the store's errors to HTTP answers (status, title).
STATUS: list[tuple[type[StoreError], int, str]] = [
    (BadName, 422, "bad name"),
    (NotFound, 404, "not found"),
    (LengthRequired, 411, "length required"),
    (TooLarge, 413, "too large"),
    (BadUpload, 400, "bad upload"),
    (UploadStalled, 408, "upload stalled"),
    (Unauthenticated, 401, "unauthenticated"),
    (WriterRefused, 403, "writer not accepted"),
    (NodeBusy, 503, "busy"),
    (WritersUnavailable, 503, "writers cannot be checked"),
    (QuotaExceeded, 507, "quota exceeded"),
    (DiskFull, 507, "insufficient storage"),
]


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"title": title, "status": status, "detail": detail},
        status,
        headers=headers,
        media_type="application/problem+json",
    )


def answer(request: Request, exc: Exception) -> Response:
    """The problem+json answer for a store error (registered as the app's exception handler)."""
    status, title = next(((s, t) for cls, s, t in STATUS if isinstance(exc, cls)), (400, "refused"))
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = auth.SCHEME
    if status == 503:
        headers["Retry-After"] = "1" if isinstance(exc, NodeBusy) else "5"
    if request.method == "PUT":
        headers["Connection"] = "close"  # the body may be unread: do not parse it as a request
    return problem(status, title, str(exc), headers)


class _Sink:
    """A staged upload: written and hashed chunk by chunk (called off the event loop; the file
    is made by the first write, so that costs no extra trip to a thread)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path: Path | None = None
        self._fh: BinaryIO | None = None
        self._hash = hashlib.sha256()

    def _file(self) -> BinaryIO:
        if self._fh is None:
            fd, name = tempfile.mkstemp(dir=self.directory, prefix="up-")
            self.path, self._fh = Path(name), os.fdopen(fd, "wb")
        return self._fh

    def write(self, data: bytes) -> None:
        self._hash.update(data)
        try:
            self._file().write(data)
        except OSError as exc:
            raise DiskFull("no space left on this node") if disk_full(exc) else exc from None

    def finish(self, tail: bytes) -> tuple[Path, str]:
        """Writes the last bytes, fsyncs the staged file; returns it and the body's sha256 (hex)."""
        self.write(tail)
        fh = self._file()
        try:
            fh.flush()
            os.fsync(fh.fileno())
        except OSError as exc:
            raise DiskFull("no space left on this node") if disk_full(exc) else exc from None
        finally:
            fh.close()
        assert self.path is not None
        return self.path, self._hash.hexdigest()

    def discard(self) -> None:
        if self._fh is not None:
            self._fh.close()
        if self.path is not None:
            self.path.unlink(missing_ok=True)


class Intake:
    """Takes uploads into ``backend`` within ``limits``; ``authorize`` None means open writes."""

    def __init__(
        self, backend: Backend, limits: NodeLimits, *, authorize: Authorize | None, quota: QuotaBook | None
    ) -> None:
        self.backend = backend
        self.limits = limits
        self.authorize = authorize
        self.quota = quota
        self.busy = 0
        # Writer checks (the chain, in `agora store serve --writers chain`) get threads of their
        # own, so a slow chain cannot take the threads that reads and uploads use.
        self._checks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="writers")

    async def take(self, request: Request, *, key: str, path: str, limit: int, check: Check) -> Response:
        """Stores the body of ``PUT path`` as ``key`` once ``check`` passes (see `Check`)."""
        size = _declared(request, limit)
        if self.busy >= self.limits.max_uploads:
            raise NodeBusy(f"{self.busy} uploads in progress (the most this node takes); retry shortly")
        self.busy += 1
        try:
            signer = await self._writer(request, path, size)
            reserved = 0
            if signer is not None and self.quota is not None and not await asyncio.to_thread(self.backend.exists, key):
                self.quota.reserve(signer, size)
                reserved = size
            charged = 0
            try:
                charged = await self._store(request, key=key, size=size, check=check)
            except ClientDisconnect:
                return Response(status_code=400)  # nobody is left to read it
            finally:
                if signer is not None and self.quota is not None:
                    await self._settle(signer, reserved, charged if reserved else 0)
            return JSONResponse({"stored": key.partition("/")[2], "bytes": size}, 201)
        finally:
            self.busy -= 1

    async def _settle(self, signer: str, reserved: int, charged: int) -> None:
        assert self.quota is not None
        self.quota.release(signer, reserved)
        if charged:  # a SQLite commit: off the event loop
            await asyncio.to_thread(self.quota.charge, signer, charged)

    async def _writer(self, request: Request, path: str, size: int) -> str | None:
        if self.authorize is None:
            return None
        signer = auth.verify(request.headers.get("authorization"), path=path, size=size)
        try:
            check = asyncio.get_running_loop().run_in_executor(self._checks, self.authorize, signer)
            allowed = await asyncio.wait_for(check, self.limits.idle_timeout)
        except TimeoutError:
            raise WritersUnavailable("the check of who may write took too long; retry shortly") from None
        except WritersUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever fails, writes fail closed
            log.warning("the writers check failed for %s: %s", signer, exc)
            raise WritersUnavailable("the check of who may write failed; retry shortly") from None
        if not allowed:
            raise WriterRefused(f"{signer} may not write to this node")
        return signer

    async def _store(self, request: Request, *, key: str, size: int, check: Check) -> int:
        """Streams, checks and stores the body; returns the bytes newly stored (0 for a rewrite)."""
        sink = _Sink(self.backend.staging())
        try:
            tail = await self._stream(request, sink, size, key)
            if isinstance(check, str):  # a shard: last bytes, hash check and move in one trip to a thread
                return await asyncio.to_thread(self._place, sink, tail, key, size, check)
            staged, digest = await asyncio.to_thread(sink.finish, tail)
            await check(staged, digest)
            return size if await asyncio.to_thread(self.backend.put_file, key, staged) else 0
        except BaseException:
            await asyncio.to_thread(sink.discard)
            raise

    def _place(self, sink: _Sink, tail: bytes, key: str, size: int, expected: str) -> int:
        staged, digest = sink.finish(tail)
        if digest != expected:
            raise BadUpload(f"the body hashes to {digest}, not {expected}")
        return size if self.backend.put_file(key, staged) else 0

    async def _stream(self, request: Request, sink: _Sink, size: int, key: str) -> bytes:
        """Receives the body into ``sink`` within the idle and upload timeouts; returns the last
        (< `FLUSH`) bytes, left for the trip to a thread that finishes the upload."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.limits.upload_timeout
        pending: list[bytes] = []
        buffered = got = 0
        more = True
        while more:
            wait = min(self.limits.idle_timeout, deadline - loop.time())
            try:
                if wait <= 0:
                    raise TimeoutError
                message = await asyncio.wait_for(request.receive(), wait)
            except TimeoutError:
                log.info("upload of %s stalled after %d of %d bytes", key, got, size)
                raise UploadStalled(
                    f"nothing for {self.limits.idle_timeout:g}s or over {self.limits.upload_timeout:g}s in all "
                    f"({got} of {size} bytes received)"
                ) from None
            if message["type"] == "http.disconnect":
                log.info("upload of %s ended: the client disconnected after %d of %d bytes", key, got, size)
                raise ClientDisconnect
            chunk: bytes = message.get("body", b"")
            more = bool(message.get("more_body", False))
            got += len(chunk)
            pending.append(chunk)
            buffered += len(chunk)
            if buffered >= FLUSH:
                await asyncio.to_thread(sink.write, b"".join(pending))
                pending, buffered = [], 0
        if got != size:
            raise BadUpload(f"received {got} bytes, {size} declared")
        return b"".join(pending)


def _declared(request: Request, limit: int) -> int:
    declared = request.headers.get("content-length")
    if declared is None:
        raise LengthRequired("a write must declare its Content-Length")
    if not declared.isdigit() or len(declared) > 18:
        raise BadUpload("Content-Length is not a number")
    size = int(declared)
    if size > limit:
        raise TooLarge(f"{size} bytes declared; this node takes at most {limit}")
    return size


def not_a_name(kind: str, name: str) -> BadName:
    shown = name[:80] + ("…" if len(name) > 80 else "")
    what = "the lower-case hex of its sha256" if kind == "shard" else "its canonical CIDv1 (base32, raw, sha2-256)"
    return BadName(f"{shown!r} is not a {kind} name: a {kind} is named by {what}")
