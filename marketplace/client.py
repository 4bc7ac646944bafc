"""A client of the REST API: what `agora job …`, the tests and bench/ use to talk to it.

Keys never leave the client: uploads are signed here (store/auth.py's `StorePut` for
`/v1/blobs/{cid}`), requests are signed here (EIP-712, `JobRequest.sign`). Every error the API
answers is raised as an `ApiError` carrying its problem (type, detail, and the contract error's
name and arguments when a revert caused it).

It speaks HTTP through `http.client`, one keep-alive connection per thread: `requests` cost every
`agora job` command ~0.1 s of import before its first request (docs/toolchain.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import quote, urlencode, urlsplit

import orjson

from compute import DEFAULT_OUTPUT, Status, result_digest
from ledger import JobRequest
from store import authorization, cid_from_digest

from .wire import request_json

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from ledger import Key

DEFAULT_URL = "http://127.0.0.1:8000"
UPLOAD_VALID = 3600
"""Seconds an upload's signature stays valid (the API refuses more than an hour ahead)."""
_PIECE = 1 << 20
_PIECE_SSE = 4096
MAX_ERROR = 64 * 1024
"""Bytes of an error answer the client reads (a problem is well under 2 KiB)."""
MAX_JSON = 16 * 1024 * 1024
"""Bytes of a JSON answer the client reads."""
MAX_EVENT = 64 * 1024
"""Bytes one server-sent event (or line) may have."""
RECONNECTS = 30
"""Times in a row an event stream is resumed (a second apart) before the client gives up."""


class ApiError(Exception):
    """An answer that is not a success: its status and its problem (RFC 9457), or why there was none."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status, self.problem = status, problem
        detail = str(problem.get("detail") or problem.get("title") or f"HTTP {status}")
        if problem.get("error"):
            args = ", ".join(f"{k}={v}" for k, v in (problem.get("args") or {}).items())
            detail += f" [{problem['error']}({args})]"
        super().__init__(detail)

    @property
    def kind(self) -> str:
        return str(self.problem.get("type", "")).removeprefix("/problems/")


class BadStream(ApiError):
    """An event stream that breaks its bounds: not retried."""


@dataclass(frozen=True)
class Event:
    """One server-sent event of a job's stream."""

    id: str
    name: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Output:
    """A job's result as the API serves it: how the run ended, and the output bytes' CID."""

    status: str
    exit_code: int
    fuel_used: int
    output_cid: str
    result_digest: str
    size: int


def blob_cid(source: bytes | Path) -> str:
    """The content's CID (sha256), read piece by piece from a file."""
    if isinstance(source, bytes):
        return cid_from_digest(hashlib.sha256(source).digest())
    h = hashlib.sha256()
    with open(source, "rb") as fh:
        while piece := fh.read(_PIECE):
            h.update(piece)
    return cid_from_digest(h.digest())


class ApiClient:
    """The API at ``url``; ``signer`` signs uploads and requests."""

    def __init__(
        self, url: str = DEFAULT_URL, *, signer: Key | LocalAccount | None = None, timeout: float = 30.0
    ) -> None:
        self.url, self.signer, self.timeout = url.rstrip("/"), signer, timeout
        self.http = _Connections(self.url)
        self._contracts: dict[str, Any] | None = None
        self._terms: dict[str, Any] | None = None

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- plumbing -----------------------------------------------------------------------------
    def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: bytes | _Reading | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | tuple[float, float] | None = None,
    ) -> _Answer:
        """The answer, its body not yet read (stream it, or `_body` it); an error answer is raised
        as an `ApiError`, its body read to at most `MAX_ERROR` bytes. ``timeout``: seconds to
        connect and to wait for each piece of the answer (one figure, or the two)."""
        wait = self.timeout if timeout is None else timeout
        connect, read = wait if isinstance(wait, tuple) else (wait, wait)
        target = quote(path, safe=_PATH_SAFE) + ("?" + urlencode(params, doseq=True) if params else "")
        answer = self.http.request(method, target, body, headers or {}, connect=connect, read=read)
        if answer.status_code < 200 or 300 <= answer.status_code < 400:
            answer.close(drop=True)
            where = answer.headers.get("location", "")[:200]
            moved = f": it points to {where!r} (use that URL)" if where else ""
            raise ApiError(answer.status_code, {"detail": f"the API answered HTTP {answer.status_code}{moved}"})
        if answer.status_code >= 400:
            raw = _read(answer, MAX_ERROR, cut=True)
            try:
                problem = orjson.loads(raw)
            except orjson.JSONDecodeError:
                problem = {"detail": f"HTTP {answer.status_code}: {raw[:200].decode('utf-8', 'replace')}"}
            raise ApiError(answer.status_code, problem if isinstance(problem, dict) else {"detail": str(problem)})
        return answer

    def get(self, path: str, **params: Any) -> Any:
        query = {k: v for k, v in params.items() if v is not None}
        return _json(self._send("GET", path, params=query))

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return _json(self._send("POST", path, body=orjson.dumps(body), headers=_JSON))

    def _need_signer(self) -> Key | LocalAccount:
        if self.signer is None:
            raise ApiError(0, {"detail": "this needs a key to sign with (--from)"})
        return self.signer

    # -- reads --------------------------------------------------------------------------------
    def contracts(self) -> dict[str, Any]:
        if self._contracts is None:
            self._contracts = self.get("/v1/contracts")
        return self._contracts

    def health(self) -> dict[str, Any]:
        return dict(self.get("/healthz"))

    def job(self, job_id: str) -> dict[str, Any]:
        return dict(self.get(f"/v1/jobs/{job_id}"))

    def jobs(self, **filters: Any) -> dict[str, Any]:
        return dict(self.get("/v1/jobs", **filters))

    def events(self, job_id: str, *, last_event_id: str | None = None, timeout: float = 660.0) -> Iterator[Event]:
        """The job's events as they are indexed, until the stream ends (the job is final); a
        dropped stream is resumed with `Last-Event-ID`, so nothing is missed or repeated."""
        last, dropped = last_event_id, 0
        while True:
            headers = {"Accept": "text/event-stream"} | ({"Last-Event-ID": last} if last else {})
            try:
                answer = self._send("GET", f"/v1/jobs/{job_id}/events", headers=headers, timeout=(10, timeout))
                try:
                    for event in _sse(answer.chunks(_PIECE_SSE)):
                        last, dropped = event.id, 0
                        yield event
                finally:  # also when the caller stops early: the connection is not left mid-answer
                    answer.close()
                return
            except (OSError, http.client.HTTPException, ApiError) as exc:
                dropped += 1  # the API restarted or the connection dropped: resume after `last`
                if isinstance(exc, BadStream) or (isinstance(exc, ApiError) and exc.status):
                    raise
                if dropped >= RECONNECTS:
                    raise ApiError(0, {"detail": f"the event stream was lost {dropped} times in a row: {exc}"}) from exc
                time.sleep(1)

    def result(self, job_id: str) -> tuple[Output, bytes]:
        """How the job's run ended, and its output, checked: the bytes, the run status, exit code
        and fuel must make the result digest the API names as agreed (`compute.result_digest`),
        or nothing is returned (`ApiError`). At most a run's output limit is read."""
        answer = self._send("GET", f"/v1/jobs/{job_id}/result", timeout=(10, 600))
        h = answer.headers
        try:
            out = Output(
                status=h["x-agora-run-status"],
                exit_code=int(h["x-agora-exit-code"]),
                fuel_used=int(h["x-agora-fuel-used"]),
                output_cid=h.get("x-agora-output-cid", ""),
                result_digest=h["x-agora-result-digest"],
                size=int(h.get("content-length", "0")),
            )
            status = Status(out.status)
        except (KeyError, ValueError) as exc:
            answer.close(drop=True)
            raise ApiError(0, {"detail": f"the API's answer does not say how the run ended: {exc}"}) from exc
        data = _read(answer, DEFAULT_OUTPUT)
        if h.get("x-agora-proof") == "groth16":  # a ZK job's result block: its Pedersen commitment
            import zk  # ZK jobs only: a tenth of a second to import

            digest = zk.commitment(data) if data else b"\x00" * 32
        else:
            digest = result_digest(status, out.exit_code, hashlib.sha256(data).digest(), out.fuel_used)
        if "0x" + digest.hex() != out.result_digest.lower():
            raise ApiError(
                0, {"detail": f"the API sent an output that is not job {job_id}'s agreed result ({out.result_digest})"}
            )
        return out, data

    def blob(self, cid: str, *, max_size: int) -> bytes:
        """A stored blob by its manifest CID, at most ``max_size`` bytes, checked against the blob
        CID the API names for it (``X-Agora-Blob-Cid``)."""
        answer = self._send("GET", f"/v1/blobs/{cid}", timeout=(10, 60))
        named = answer.headers.get("x-agora-blob-cid", "")
        data = _read(answer, max_size)
        if blob_cid(data) != named:
            raise ApiError(0, {"detail": f"the API sent other bytes than blob {cid} ({named or 'no blob CID'})"})
        return data

    # -- writes -------------------------------------------------------------------------------
    def upload(
        self, source: bytes | Path, *, regions: list[str] | None = None, progress: Callable[[int], None] | None = None
    ) -> str:
        """Stores ``source`` through the API (signed by the signer); its manifest CID."""
        signer = self._need_signer()
        cid = blob_cid(source)
        size = len(source) if isinstance(source, bytes) else source.stat().st_size
        if self._terms is None:  # the API's id, which upload signatures name: asked once per client
            self._terms = self.get("/v1/blobs")
        node = bytes.fromhex(self._terms["id"][2:])
        header = authorization(signer, f"/v1/blobs/{cid}", size, int(time.time()) + UPLOAD_VALID, node=node)
        params = {"cid": cid} | ({"regions": ",".join(regions)} if regions else {})
        headers = {"Authorization": header, "Content-Type": "application/octet-stream", "Content-Length": str(size)}
        if isinstance(source, bytes):
            answer = self._send("POST", "/v1/blobs", params=params, body=source, headers=headers, timeout=(10, 600))
        else:
            with open(source, "rb") as fh:
                body = _Reading(fh, progress)
                answer = self._send("POST", "/v1/blobs", params=params, body=body, headers=headers, timeout=(10, 600))
        return str(_json(answer)["cid"])

    def submit(self, request: JobRequest) -> dict[str, Any]:
        """Signs ``request`` and submits it: the API's answer (`job_id`, `status`, `escrow`)."""
        signer = self._need_signer()
        contracts = self.contracts()
        signature = request.sign(signer, chain_id=contracts["chain_id"], market=contracts["contracts"]["JobMarket"])
        return dict(self.post("/v1/jobs", {"request": request_json(request), "signature": "0x" + signature.hex()}))

    def chain_time(self) -> int:
        """The chain's time (its head block's), which request deadlines count in."""
        return int(self.health()["chain_time"])


_JSON = {"Content-Type": "application/json"}


class _Reading:
    """A file sent as a body (its length in the request's Content-Length), telling progress; it
    starts again from where it began (its progress taken back) when a request is sent once more."""

    def __init__(self, fh: BinaryIO, progress: Callable[[int], None] | None) -> None:
        self.fh, self.progress = fh, progress
        self.start = fh.tell()
        self.sent = 0

    def read(self, n: int = -1) -> bytes:
        piece = self.fh.read(n)
        self.sent += len(piece)
        if self.progress and piece:
            self.progress(len(piece))
        return piece

    def rewind(self) -> None:
        self.fh.seek(self.start)
        if self.progress and self.sent:
            self.progress(-self.sent)
        self.sent = 0


class _Answer:
    """An answer whose body is read piece by piece: its status, its headers (lower-case names; a
    repeated one joined with commas). Closed, it gives its connection back to be used again when
    its body was read to the end, and closes it otherwise."""

    def __init__(
        self, pool: _Connections, conn: http.client.HTTPConnection, response: http.client.HTTPResponse
    ) -> None:
        self.pool, self.conn, self.response = pool, conn, response
        self.status_code = response.status
        self.headers: dict[str, str] = {}
        for name, value in response.getheaders():
            key = name.lower()
            self.headers[key] = f"{self.headers[key]}, {value}" if key in self.headers else value
        self._done = False

    def chunks(self, size: int) -> Iterator[bytes]:
        """The body as it arrives, at most ``size`` bytes a piece (chunked encoding undone); a
        connection that breaks or falls silent is an `ApiError` of status 0."""
        while True:
            try:
                piece = self.response.read1(size)
            except TimeoutError as exc:
                self.close(drop=True)
                raise ApiError(0, {"detail": "the API stopped sending its answer"}) from exc
            except (OSError, http.client.HTTPException) as exc:
                self.close(drop=True)
                raise ApiError(0, {"detail": f"the API's answer broke off ({type(exc).__name__})"}) from exc
            if not piece:
                return
            yield piece

    def close(self, *, drop: bool = False) -> None:
        """Done with the answer (again: nothing more happens)."""
        if self._done:
            return
        self._done = True
        whole = self.response.isclosed() or self.response.length == 0  # 0: a sized body read whole
        self.response.close()
        self.pool.give_back(self.conn, reuse=whole and not drop and not self.response.will_close)


class _Connections:
    """Keep-alive connections to the API, each serving one request at a time: a request takes an
    idle one (or opens one) and its answer gives it back once read to the end. A kept connection
    on which the API has closed or sent anything unasked is never used again. A request is sent
    once more on a fresh connection when a kept one turns out closed as it was sent (the API
    closes idle ones); every request of this client is safe to repeat (an upload or a submit
    names its content)."""

    _STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)
    KEPT = 4
    """Idle connections kept at most."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            port = -1
        if parts.scheme not in ("http", "https") or not parts.hostname or port == -1:
            raise ApiError(0, {"detail": f"{url!r} is not an http:// or https:// URL"})
        if parts.username is not None or parts.password is not None:
            raise ApiError(0, {"detail": f"{url!r}: give the API's URL without a user or password"})
        self.url, self.scheme, self.host, self.port = url, parts.scheme, parts.hostname, port
        self.base = parts.path.rstrip("/")
        self._idle: list[http.client.HTTPConnection] = []
        self._all: set[http.client.HTTPConnection] = set()
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None

    def request(
        self,
        method: str,
        target: str,
        body: bytes | _Reading | None,
        headers: dict[str, str],
        *,
        connect: float,
        read: float,
    ) -> _Answer:
        for attempt in range(2):
            conn, reused = self._take(connect) if attempt == 0 else (self._open(connect), False)
            assert conn.sock is not None
            conn.sock.settimeout(read)
            try:
                try:
                    conn.request(method, self.base + target, body=body, headers=_SENT | headers)
                except TimeoutError:
                    raise  # the API stopped reading: no answer is coming either
                except OSError:
                    pass  # the API may have answered before it read everything (a 413): see what it said
                return _Answer(self, conn, conn.getresponse())
            except self._STALE as exc:
                self._drop(conn)
                if not reused:
                    raise self._failed(exc, read) from exc
                if isinstance(body, _Reading):
                    body.rewind()
            except (OSError, http.client.HTTPException) as exc:
                self._drop(conn)
                raise self._failed(exc, read) from exc
            except BaseException:
                self._drop(conn)
                raise
        raise AssertionError("unreachable")

    def _take(self, connect: float) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection the API has neither closed nor written to, else a new one."""
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                return self._open(connect), False
            if conn.sock is not None and not _readable(conn.sock):
                return conn, True
            self._drop(conn)  # closed by the API, or bytes nobody asked for: never read them

    def _open(self, connect: float) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection
        if self.scheme == "https":
            if self._tls is None:
                self._tls = ssl.create_default_context()
            conn = http.client.HTTPSConnection(
                self.host, self.port, timeout=connect, context=self._tls, blocksize=_PIECE
            )
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=connect, blocksize=_PIECE)
        with self._lock:
            self._all.add(conn)
        try:
            conn.connect()
        except ssl.SSLCertVerificationError as exc:
            self._drop(conn)
            raise ApiError(
                0, {"detail": f"the API at {self.url} has a TLS certificate not trusted here: {exc}"}
            ) from exc
        except TimeoutError as exc:
            self._drop(conn)
            raise ApiError(
                0, {"detail": f"the API at {self.url} did not take a connection within {connect:g}s"}
            ) from exc
        except OSError as exc:
            self._drop(conn)
            raise ApiError(0, {"detail": f"the API at {self.url} does not answer (is `agora up` running?)"}) from exc
        return conn

    def _failed(self, exc: BaseException, read: float) -> ApiError:
        if isinstance(exc, TimeoutError):
            return ApiError(0, {"detail": f"the API at {self.url} did not answer within {read:g}s"})
        return ApiError(0, {"detail": f"the API at {self.url} broke off the exchange ({type(exc).__name__})"})

    def give_back(self, conn: http.client.HTTPConnection, *, reuse: bool) -> None:
        with self._lock:
            if reuse and conn.sock is not None and conn in self._all and len(self._idle) < self.KEPT:
                self._idle.append(conn)
                return
        self._drop(conn)

    def _drop(self, conn: http.client.HTTPConnection) -> None:
        conn.close()
        with self._lock:
            self._all.discard(conn)
            if conn in self._idle:
                self._idle.remove(conn)

    def close(self) -> None:
        """Closes every connection, those of answers still being read too (a read waiting on one
        returns at once). A request made after this opens a connection again."""
        with self._lock:
            conns, self._all, self._idle = list(self._all), set(), []
        for conn in conns:
            if conn.sock is not None:
                with contextlib.suppress(OSError):
                    conn.sock.shutdown(socket.SHUT_RDWR)
            conn.close()


def _readable(sock: socket.socket) -> bool:
    """Whether ``sock`` has something to read (or is closed) now; `poll`, not `select`, which
    refuses descriptors above 1023."""
    watch = select.poll()
    watch.register(sock, select.POLLIN)
    return bool(watch.poll(0))


_SENT = {"User-Agent": "agora", "Accept": "*/*"}
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
"""What a path keeps as it is; anything else (a space, a non-ASCII name) is percent-encoded."""


def _read(answer: _Answer, limit: int, *, cut: bool = False) -> bytes:
    """An answer's body, at most ``limit`` bytes: beyond, cut there (``cut``) or refused."""
    body = bytearray()
    try:
        for piece in answer.chunks(min(_PIECE, limit + 1)):
            body += piece
            if len(body) > limit:
                if cut:
                    return bytes(body[:limit])
                raise ApiError(0, {"detail": f"the API's answer is larger than {limit:,} bytes"})
    finally:
        answer.close()
    return bytes(body)


def _json(answer: _Answer) -> Any:
    try:
        return orjson.loads(_read(answer, MAX_JSON))
    except orjson.JSONDecodeError as exc:
        raise ApiError(0, {"detail": f"the API's answer is not JSON: {exc}"}) from exc


def _lines(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """A stream's lines, none longer than `MAX_EVENT` bytes (else `ApiError`)."""
    pending = bytearray()
    for chunk in chunks:
        pending += chunk
        while (end := pending.find(b"\n")) >= 0:
            yield bytes(pending[:end]).removesuffix(b"\r")
            del pending[: end + 1]
        if len(pending) > MAX_EVENT:
            raise BadStream(0, {"detail": f"the event stream sent a line longer than {MAX_EVENT:,} bytes"})
    if pending:
        yield bytes(pending)


def _sse(chunks: Iterator[bytes]) -> Iterator[Event]:
    """Server-sent events from a stream (one `id`, `event` and `data` each), none over `MAX_EVENT`."""
    fields: dict[str, str] = {}
    size = 0
    for raw in _lines(chunks):
        line = raw.decode("utf-8", "replace")
        if line == "":
            if "data" in fields:
                yield Event(fields.get("id", ""), fields.get("event", "message"), orjson.loads(fields["data"]))
            fields, size = {}, 0
        elif not line.startswith(":") and ":" in line:
            size += len(raw)
            if size > MAX_EVENT:
                raise BadStream(0, {"detail": f"the event stream sent an event larger than {MAX_EVENT:,} bytes"})
            key, _, value = line.partition(":")
            value = value.removeprefix(" ")
            fields[key] = fields[key] + "\n" + value if key == "data" and key in fields else value
