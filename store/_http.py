"""The store client's HTTP: each request has a total deadline, brought forward by a minimum rate
once the answer's length is known; it reads at most a given number of bytes, and can be stopped
from another thread (which frees its thread and connection at once). https:// nodes are spoken
to over TLS with the certificate verified.

Built on `http.client` so the client holds each connection's socket from the first byte: a
watchdog shuts the socket down when the deadline passes, whatever phase the request is in
(connecting, sending, reading headers or body), and a cancelled request is stopped the same
way. docs/toolchain.md says why this replaced `requests` here.
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import orjson

from ._calls import WATCHDOG, Call, Scope
from .errors import NodeError

CHUNK = 1024 * 1024
"""The most one read asks of the socket (each read also waits at most the idle timeout)."""
REPLY_LIMIT = 64 * 1024
"""The most read of a reply whose size is not otherwise known (/info, errors, a put's answer)."""
GRACE = 1.0
"""Seconds a body may take besides its length at the minimum rate."""
_SHOWN = 300
"""Characters of a node's problem+json title or detail shown in an error (nothing else of a body)."""
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    """A node's answer: status, headers (lower-case names) and the whole (bounded) body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def reason(self) -> str:
        """``HTTP 404: <detail>`` from a problem+json body's detail or title (printable ASCII, cut
        short); of any other body, nothing: a node's answer is not echoed."""
        detail = ""
        if self.headers.get("content-type", "").split(";")[0].strip() == "application/problem+json":
            try:
                problem = orjson.loads(self.body[:REPLY_LIMIT])
            except orjson.JSONDecodeError:
                problem = None
            if isinstance(problem, dict):
                found = [problem.get(k) for k in ("detail", "title")]
                detail = next((v for v in found if isinstance(v, str) and v), "")
        shown = "".join(ch if ch.isascii() and ch.isprintable() else "?" for ch in detail[:_SHOWN])
        return f"HTTP {self.status}: {shown}" if shown else f"HTTP {self.status}"


class Transport:
    """Requests with a total deadline and a read limit, over per-thread keep-alive connections;
    TLS verified against ``ca_file`` (PEM) or the system's certificates. With ``min_rate`` (bytes
    a second; 0: none), a body of declared length must be whole within `GRACE` seconds of its
    headers plus its length at that rate (the watchdog aborts it then, like a deadline)."""

    def __init__(self, *, timeout: float, deadline: float, min_rate: int = 0, ca_file: str | None = None) -> None:
        self.timeout = timeout
        self.deadline = deadline
        self.min_rate = min_rate
        self.tls = ssl.create_default_context(cafile=ca_file or None)
        self._local = threading.local()
        self._all: set[http.client.HTTPConnection] = set()
        self._lock = threading.Lock()
        self.closed = Scope()

    def close(self) -> None:
        """Aborts every request in flight and closes every connection."""
        self.closed.cancel("the client was closed")
        with self._lock:
            conns, self._all = list(self._all), set()
        for conn in conns:
            conn.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        limit: int = REPLY_LIMIT,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        scope: Scope | None = None,
    ) -> Reply:
        """One request; raises `NodeError` (naming the node) when it fails, is too large, too slow
        or cancelled. A reused keep-alive connection the node has closed is replaced once."""
        try:
            parts = urlsplit(url)
            node = f"{parts.scheme}://{parts.netloc}"
        except ValueError:
            raise NodeError(url[:80], "not a node URL") from None
        call = Call(time.monotonic() + self.deadline, self.deadline)
        self.closed.add(call)
        if scope is not None:
            scope.add(call)
        WATCHDOG.watch(call)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            for fresh in (False, True):
                conn, reused = self._connection(parts.scheme, parts.netloc, fresh=fresh)
                try:
                    return self._exchange(conn, call, method, path, body, headers or {}, limit)
                except _Stale:
                    self._drop(conn)
                    if not reused:
                        raise NodeError(node, "the node closed the connection") from None
                except NodeError as exc:
                    self._drop(conn)
                    raise NodeError(node, exc.reason) from None
                except Exception as exc:  # noqa: BLE001 - whatever a node makes happen is the node's error
                    self._drop(conn)
                    log.warning("unexpected failure of %s %s: %r", method, url[:200], exc)
                    raise NodeError(node, call.aborted or f"failed ({type(exc).__name__})") from None
                except BaseException:
                    self._drop(conn)
                    raise
            raise NodeError(node, "the node closed the connection")
        except NodeError:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. http.client.InvalidURL for a port that is no number
            raise NodeError(node, f"cannot be asked ({type(exc).__name__})") from None
        finally:
            call.finish()

    def _connection(self, scheme: str, netloc: str, *, fresh: bool) -> tuple[http.client.HTTPConnection, bool]:
        pool: dict[tuple[str, str], http.client.HTTPConnection] = self._local.__dict__.setdefault("pool", {})
        conn = pool.get((scheme, netloc))
        if conn is not None and not fresh:
            return conn, True
        if scheme == "https":
            conn = http.client.HTTPSConnection(netloc, timeout=self.timeout, context=self.tls)
        elif scheme == "http":
            conn = http.client.HTTPConnection(netloc, timeout=self.timeout)
        else:
            raise NodeError("", f"{scheme!r} is not http or https")
        pool[(scheme, netloc)] = conn
        with self._lock:
            self._all.add(conn)
        return conn, False

    def _drop(self, conn: http.client.HTTPConnection) -> None:
        conn.close()
        pool: dict[tuple[str, str], http.client.HTTPConnection] = self._local.__dict__.get("pool", {})
        for key, value in list(pool.items()):
            if value is conn:
                del pool[key]
        with self._lock:
            self._all.discard(conn)

    def _exchange(
        self,
        conn: http.client.HTTPConnection,
        call: Call,
        method: str,
        path: str,
        body: bytes | None,
        headers: dict[str, str],
        limit: int,
    ) -> Reply:
        reused = conn.sock is not None
        try:
            if conn.sock is None:
                conn.timeout = max(0.001, min(self.timeout, call.remaining()))
                conn.connect()
            sock = conn.sock
            assert sock is not None
            call.attach(sock)
            self._arm(sock, call)
            resp = self._send(conn, method, path, body, headers, reused=reused)
            reply = self._read(sock, call, resp, limit)
        except NodeError as exc:
            raise NodeError("", call.aborted or exc.reason) from None
        except ssl.SSLCertVerificationError as exc:
            raise NodeError("", call.aborted or f"TLS certificate not trusted ({exc.verify_message})") from None
        except TimeoutError:
            passed = call.why if call.remaining() <= 0.001 else f"no answer within {self.timeout:g}s"
            raise NodeError("", call.aborted or passed) from None
        except (ConnectionRefusedError, socket.gaierror) as exc:
            raise NodeError("", call.aborted or f"unreachable ({type(exc).__name__})") from None
        except (OSError, http.client.HTTPException) as exc:
            raise NodeError("", call.aborted or f"unreachable ({type(exc).__name__})") from None
        finally:
            call.detach()
        if resp.will_close or not resp.isclosed():
            conn.close()
        return reply

    def _arm(self, sock: socket.socket, call: Call) -> None:
        """Each wait on the socket lasts at most the idle timeout and what is left of the deadline."""
        sock.settimeout(max(0.001, min(self.timeout, call.remaining())))

    def _send(
        self,
        conn: http.client.HTTPConnection,
        method: str,
        path: str,
        body: bytes | None,
        headers: dict[str, str],
        *,
        reused: bool,
    ) -> http.client.HTTPResponse:
        try:
            conn.request(method, path, body=body, headers=headers)
        except (BrokenPipeError, ConnectionResetError):
            # The node may have answered early (a refusal) and closed: read what it said.
            try:
                return conn.getresponse()
            except (OSError, http.client.HTTPException):
                if reused:
                    raise _Stale from None
                raise
        try:
            return conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError):
            if reused:
                raise _Stale from None
            raise

    def _read(self, sock: socket.socket, call: Call, resp: http.client.HTTPResponse, limit: int) -> Reply:
        """The body, never more than ``limit`` bytes: a declared length is checked before reading
        (and read in one piece, due by the minimum rate); an undeclared one is read in pieces and
        cut at the limit."""
        headers = {k.lower(): v for k, v in resp.getheaders()}
        declared = resp.length
        if declared is not None and declared > limit:
            raise NodeError("", f"the answer declares {declared} bytes, more than the {limit} expected")
        if declared is not None and self.min_rate > 0:
            due = GRACE + declared / self.min_rate
            why = f"slower than the minimum of {self.min_rate} bytes a second ({declared} bytes not in {due:.3g}s)"
            if call.tighten(time.monotonic() + due, why):
                WATCHDOG.watch(call)
        self._arm(sock, call)
        if declared is not None:
            body = resp.read(declared)  # one buffer of the declared size; the watchdog bounds the time
        else:
            body = self._pieces(sock, call, resp, limit)
        if call.aborted:
            raise NodeError("", call.aborted)
        if declared is not None and len(body) != declared:  # http.client ends a short body quietly
            raise NodeError("", f"the answer ended after {len(body)} of its {declared} bytes")
        return Reply(resp.status, headers, body)

    def _pieces(self, sock: socket.socket, call: Call, resp: http.client.HTTPResponse, limit: int) -> bytes:
        chunks: list[bytes] = []
        got = 0
        while True:
            self._arm(sock, call)
            chunk = resp.read1(min(CHUNK, limit + 1 - got))
            if not chunk:
                return b"".join(chunks)
            got += len(chunk)
            if got > limit:
                raise NodeError("", f"the answer is longer than the {limit} bytes expected")
            chunks.append(chunk)


class _Stale(Exception):
    """A reused keep-alive connection turned out to be closed by the node."""
