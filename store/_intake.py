"""A node's uploads: everything is checked before the body is read (name, declared length,
uploads in progress in all and of this writer, the writer's recent failures, signature, writer,
quota); the body then streams to a staged file, hashed as it comes, with an idle timeout between
chunks and a minimum rate, and is renamed into place when it is right."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import tempfile
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from . import auth
from .backends import Backend, DiskFull, disk_full
from .errors import (
    BadUpload,
    LengthRequired,
    NodeBusy,
    QuotaExceeded,
    TooLarge,
    TooManyFailures,
    UploadStalled,
    WriterRefused,
    WritersUnavailable,
)
from .quota import QuotaBook
from .settings import NodeLimits

log = logging.getLogger("store.node")

FLUSH = 4 * 1024 * 1024
"""Bytes of body gathered before one write to the staged file (off the event loop)."""
_DIGITS = re.compile(r"[0-9]{1,18}")
GRACE = 1.0
"""Seconds an upload may take before its minimum rate applies."""
Authorize = Callable[[str], bool]
"""Whether a signer (checksum address) may write. Called in a thread of its own unless it has a
false ``blocking`` attribute (`ListedWriters`: a set lookup, answered on the event loop)."""
Check = str | Callable[[Path, str], Awaitable[None]]
"""The sha256 (hex) a body must have, or an async check of the staged file and its sha256."""
Charge = Callable[[], None]
"""Turns an upload's quota reservation into the charge of a newly stored object (a SQLite
commit, in the storing thread)."""


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

    def write(self, pieces: list[bytes]) -> None:
        """Hashes and writes the pieces as they came (joining them first would copy every byte once more)."""
        for piece in pieces:
            self._hash.update(piece)
        try:
            fh = self._file()
            for piece in pieces:
                fh.write(piece)
        except OSError as exc:
            raise DiskFull("no space left on this node") if disk_full(exc) else exc from None

    def finish(self, tail: list[bytes]) -> tuple[Path, str]:
        """Writes the last pieces, fsyncs the staged file; returns it and the body's sha256 (hex)."""
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


class _Writers:
    """Each writer's uploads in progress and its failed uploads of the last `failure_window`."""

    def __init__(self, limits: NodeLimits) -> None:
        self.limits = limits
        self.uploads: dict[str, int] = {}
        self.failures: dict[str, deque[float]] = {}

    def admit(self, writer: str, now: float) -> None:
        """Counts an upload of ``writer`` in; raises `TooManyFailures` or `NodeBusy` instead."""
        failed = self.failures.get(writer)
        while failed and failed[0] <= now - self.limits.failure_window:
            failed.popleft()
        if failed and len(failed) >= self.limits.max_failed_uploads:
            wait = failed[0] + self.limits.failure_window - now
            raise TooManyFailures(
                f"{writer} made {len(failed)} failed uploads in the last {self.limits.failure_window:g}s "
                f"(the most this node takes); retry in {wait:.0f}s",
                wait,
            )
        if self.uploads.get(writer, 0) >= self.limits.max_writer_uploads:
            held = self.uploads[writer]
            raise NodeBusy(f"{writer} has {held} uploads in progress (the most this node takes of one writer)")
        self.uploads[writer] = self.uploads.get(writer, 0) + 1

    def leave(self, writer: str, *, failed: bool, now: float) -> None:
        left = self.uploads.pop(writer, 1) - 1
        if left:
            self.uploads[writer] = left
        if failed:
            if len(self.failures) > 10_000:  # forget writers whose failures have all expired
                horizon = now - self.limits.failure_window
                self.failures = {w: d for w, d in self.failures.items() if d and d[-1] > horizon}
            self.failures.setdefault(writer, deque(maxlen=max(1, self.limits.max_failed_uploads))).append(now)


class Intake:
    """Takes uploads into ``backend`` within ``limits``; ``authorize`` None means open writes;
    signatures must name this node's id, ``node``."""

    def __init__(
        self,
        backend: Backend,
        limits: NodeLimits,
        *,
        authorize: Authorize | None,
        quota: QuotaBook | None,
        node: bytes,
    ) -> None:
        self.backend = backend
        self.limits = limits
        self.authorize = authorize
        self.quota = quota
        self.node = node
        self.busy = 0
        self.writers = _Writers(limits)
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
            writer = signer or (request.client.host if request.client else "?")
            loop = asyncio.get_running_loop()
            self.writers.admit(writer, loop.time())
            failed = True
            try:
                response = await self._take(request, signer, key=key, size=size, check=check)
                failed = response.status_code != 201
                return response
            except (QuotaExceeded, DiskFull):
                failed = False  # refused before the body was read
                raise
            finally:
                self.writers.leave(writer, failed=failed, now=loop.time())
        finally:
            self.busy -= 1

    async def _take(self, request: Request, signer: str | None, *, key: str, size: int, check: Check) -> Response:
        reserved = False
        if signer is not None and self.quota is not None and not await exists(self.backend, key):
            self.quota.reserve(signer, size)
            reserved = True
        committed = False

        def commit() -> None:  # in the storing thread, once the object is new: a SQLite commit
            nonlocal committed
            assert self.quota is not None and signer is not None
            self.quota.commit(signer, size)  # the reservation becomes the charge in one step
            committed = True

        try:
            await self._store(request, key=key, size=size, check=check, charge=commit if reserved else None)
        except ClientDisconnect:
            return Response(status_code=400)  # nobody is left to read it
        finally:
            if reserved and not committed:
                assert self.quota is not None and signer is not None
                self.quota.release(signer, size)
        return JSONResponse({"stored": key.partition("/")[2], "bytes": size}, 201)

    async def _writer(self, request: Request, path: str, size: int) -> str | None:
        if self.authorize is None:
            return None
        signer = auth.verify(request.headers.get("authorization"), path=path, size=size, node=self.node)
        try:
            if getattr(self.authorize, "blocking", True):
                check = asyncio.get_running_loop().run_in_executor(self._checks, self.authorize, signer)
                allowed = await asyncio.wait_for(check, self.limits.idle_timeout)
            else:
                allowed = self.authorize(signer)
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

    async def _store(self, request: Request, *, key: str, size: int, check: Check, charge: Charge | None) -> None:
        """Streams, checks and stores the body; ``charge`` is called (in the same thread) when the
        object is new (not a rewrite)."""
        sink = _Sink(self.backend.staging())
        try:
            tail = await self._stream(request, sink, size, key)
            if isinstance(check, str):  # a shard: last bytes, hash check, move and charge in one trip to a thread
                await asyncio.to_thread(self._place, sink, tail, key, check, charge)
                return
            staged, digest = await asyncio.to_thread(sink.finish, tail)
            await check(staged, digest)
            await asyncio.to_thread(self._keep, key, staged, charge)
        except BaseException:
            await asyncio.to_thread(sink.discard)
            raise

    def _place(self, sink: _Sink, tail: list[bytes], key: str, expected: str, charge: Charge | None) -> None:
        staged, digest = sink.finish(tail)
        if digest != expected:
            raise BadUpload(f"the body hashes to {digest}, not {expected}")
        self._keep(key, staged, charge)

    def _keep(self, key: str, staged: Path, charge: Charge | None) -> None:
        if self.backend.put_file(key, staged) and charge is not None:
            charge()

    async def _stream(self, request: Request, sink: _Sink, size: int, key: str) -> list[bytes]:
        """Receives the body into ``sink`` within the idle and upload timeouts and at the minimum
        rate; returns the last (< `FLUSH`) bytes, left for the trip to a thread that finishes it."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        deadline = start + self.limits.upload_timeout
        rate = self.limits.min_upload_rate
        pending: list[bytes] = []
        buffered = got = 0
        more = True
        cap = asyncio.timeout(None)  # one timeout, moved before each wait: `wait_for` made a task per piece
        try:
            async with cap:
                while more:
                    # The rate is due once the first second has passed: by then `got` bytes must
                    # have come at `rate` a second, so the wait ends when what has come falls behind.
                    behind = start + GRACE + got / rate if rate > 0 else deadline
                    wait = min(self.limits.idle_timeout, deadline - loop.time(), behind - loop.time())
                    if wait <= 0:
                        raise TimeoutError
                    cap.reschedule(loop.time() + wait)
                    message = await request.receive()
                    cap.reschedule(None)
                    if message["type"] == "http.disconnect":
                        log.info("upload of %s ended: the client disconnected after %d of %d bytes", key, got, size)
                        raise ClientDisconnect
                    chunk: bytes = message.get("body", b"")
                    more = bool(message.get("more_body", False))
                    got += len(chunk)
                    pending.append(chunk)
                    buffered += len(chunk)
                    if buffered >= FLUSH:
                        await asyncio.to_thread(sink.write, pending)
                        pending, buffered = [], 0
        except TimeoutError:
            log.info("upload of %s stalled after %d of %d bytes", key, got, size)
            raise UploadStalled(
                f"nothing for {self.limits.idle_timeout:g}s, over {self.limits.upload_timeout:g}s in all, or "
                f"slower than {rate} bytes a second ({got} of {size} bytes received)"
            ) from None
        if got != size:
            raise BadUpload(f"received {got} bytes, {size} declared")
        return pending


async def exists(backend: Backend, key: str) -> bool:
    """Whether ``backend`` holds ``key``: asked on the event loop when that is a local stat, else in a thread."""
    return backend.exists(key) if getattr(backend, "local", False) else await asyncio.to_thread(backend.exists, key)


def _declared(request: Request, limit: int) -> int:
    declared = request.headers.get("content-length")
    if declared is None:
        raise LengthRequired("a write must declare its Content-Length")
    if not _DIGITS.fullmatch(declared):
        raise BadUpload("Content-Length is not a number")
    size = int(declared)
    if size > limit:
        raise TooLarge(f"{size} bytes declared; this node takes at most {limit}")
    return size
