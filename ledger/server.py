"""`agora chain serve`: the embedded chain as a standard JSON-RPC endpoint over HTTP.

The event loop only reads bodies and writes answers. Parsing is bounded (body size, idle time,
JSON depth) and every method runs on a thread pool chosen by its workload: EVM calls, writes
and plain reads each have threads of their own, so a client keeping the EVM busy never holds
up a balance, a receipt or a transaction of anyone else. Every write admitted gets a thread
(up to `rpc_queue`): transactions sent at once wait together for the chain's one writer,
which mines them into one block.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from ._embedded import EmbeddedChain
from ._http import bounded_protocol
from .rpc import INVALID_REQUEST, LIMIT_EXCEEDED, Dispatcher, RPCError, RPCLimits, error_response, parse, workload
from .settings import LedgerSettings, get_settings

log = logging.getLogger(__name__)

_ALLOW = [
    (b"access-control-allow-methods", b"POST, OPTIONS"),
    (b"access-control-allow-headers", b"content-type"),
    (b"access-control-max-age", b"600"),
]


class Gate:
    """Who may talk to the server: by the Host a request names and the Origin of the page sending it.

    A browser runs requests from any page it shows; only JSON bodies (which need a CORS preflight
    from another origin), a known Host (no DNS rebinding) and an allowed Origin get through.
    """

    def __init__(self, hosts: str, origins: str) -> None:
        self.hosts = {h.strip().lower() for h in hosts.split(",") if h.strip()}
        self.origins = [o.strip().lower() for o in origins.split(",") if o.strip()]

    def host_ok(self, host: str | None) -> bool:
        """Whether the Host header names this server (HTTP/1.0 clients send none; browsers always do)."""
        if host is None or "*" in self.hosts:
            return True
        host = host.lower()
        name = host[: host.index("]") + 1] if host.startswith("[") and "]" in host else host.split(":", 1)[0]
        return name in self.hosts

    def origin_ok(self, origin: str) -> bool:
        """Whether a page of ``origin`` may call: ``scheme://host:*`` allows any port, ``scheme://*`` any host."""
        try:
            parts = urlsplit(origin.lower())
            port = parts.port
        except ValueError:
            return False
        for allowed in self.origins:
            if allowed == "*" or allowed == origin.lower():
                return True
            scheme, _, rest = allowed.partition("://")
            if scheme != parts.scheme:
                continue
            if rest == "*" or rest == f"{parts.hostname}:*" and (port is None or origin.endswith(f":{port}")):
                return True
        return False


class _BodyRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Disconnected(Exception):
    pass


class _Unsent:
    """One request's hold on its server's room for answers not read yet (`AGORA_RPC_UNSENT_MAX`):
    each answer is held before it is kept, under the server's lock, so that requests answered at
    once cannot each see the same room; the server lets go of it all once the answer is sent."""

    def __init__(self, app: RPCApp) -> None:
        self.app = app
        self.error = app.unread_error
        self.held = 0
        self.released = False

    def take(self, size: int, *, force: bool = False) -> bool:
        with self.app.unsent_lock:
            if not force and self.app.unsent + size > self.app.unsent_max:
                return False
            if not self.released:  # a request given up on (cancelled) while its thread ran holds nothing
                self.app.unsent += size
                self.held += size
            return True

    def release(self) -> None:
        with self.app.unsent_lock:
            self.app.unsent -= self.held
            self.held = 0
            self.released = True


class RPCApp:
    """A small ASGI app: POST / with a JSON-RPC body; CORS so browser wallets can talk to it."""

    def __init__(self, dispatcher: Dispatcher, settings: LedgerSettings | None = None) -> None:
        s = settings or get_settings()
        self.dispatcher = dispatcher
        self.max_body = s.rpc_body_max
        self.body_idle = s.rpc_body_idle
        self.body_timeout = s.rpc_body_timeout
        self.unsent_max = s.rpc_unsent_max
        self.unsent = 0
        self.unsent_lock = threading.Lock()
        unread = f"server busy: {self.unsent_max} bytes of answers are not read yet (AGORA_RPC_UNSENT_MAX)"
        self.unread_error = RPCError(LIMIT_EXCEEDED, unread)
        self.gate = Gate(s.rpc_hosts, s.rpc_cors_origins)
        self.queue = s.rpc_queue
        self._waiting = {"evm": 0, "write": 0, "read": 0}
        self._pools = {
            "evm": ThreadPoolExecutor(max_workers=max(1, s.rpc_threads // 2), thread_name_prefix="rpc-evm"),
            # One thread per admitted write: concurrent transactions must all be waiting on the
            # writer's lock to share its next block (a single thread would feed it one by one).
            "write": ThreadPoolExecutor(max_workers=max(1, s.rpc_queue), thread_name_prefix="rpc-write"),
            "read": ThreadPoolExecutor(max_workers=max(1, s.rpc_threads), thread_name_prefix="rpc-read"),
        }

    def close(self) -> None:
        for pool in self._pools.values():
            pool.shutdown(wait=True, cancel_futures=True)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        cors: list[tuple[bytes, bytes]] = []
        if not self.gate.host_ok(headers.get("host")):
            await _respond(send, 403, _refusal(f"host {headers.get('host')!r} is not served (AGORA_RPC_HOSTS)"))
            return
        origin = headers.get("origin")
        if origin is not None:
            if not self.gate.origin_ok(origin):
                await _respond(send, 403, _refusal(f"origin {origin!r} is not allowed (AGORA_RPC_CORS_ORIGINS)"))
                return
            cors = [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
        method = scope["method"]
        if method == "OPTIONS":
            await _respond(send, 204, b"", [*cors, *_ALLOW])
            return
        if method == "GET":
            await _respond(send, 200, orjson.dumps({"chainId": self.dispatcher.chain.chain_id}), cors)
            return
        if method != "POST":
            await _respond(send, 405, b'{"error":"use POST"}', cors)
            return
        if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            await _respond(send, 415, _refusal("a request body must be sent as Content-Type: application/json"), cors)
            return
        try:
            body = await self._read_body(receive)
        except _Disconnected:
            return
        except _BodyRefused as exc:
            await _respond(send, exc.status, _refusal(str(exc)), cors)
            return
        try:
            payload = parse(body)
        except RPCError as exc:
            await _respond(send, 200, orjson.dumps(error_response(None, exc)), cors)
            return
        kind = workload(payload)
        if self._waiting[kind] >= self.queue:
            busy = RPCError(LIMIT_EXCEEDED, f"server busy: {self.queue} {kind} requests waiting (AGORA_RPC_QUEUE)")
            await _respond(send, 200, orjson.dumps(error_response(None, busy)), cors)
            return
        self._waiting[kind] += 1
        room = _Unsent(self)  # clients that do not read hold their answers: bounded answer by answer
        try:
            try:
                answer = await asyncio.get_running_loop().run_in_executor(
                    self._pools[kind], self.dispatcher.answer, payload, room
                )
            finally:
                self._waiting[kind] -= 1
            await _respond(send, 200, answer or b"", cors)
        finally:
            room.release()

    async def _read_body(self, receive: Any) -> bytes:
        chunks, size = [], 0
        deadline = time.monotonic() + self.body_timeout
        while True:
            left = deadline - time.monotonic()
            try:
                message = await asyncio.wait_for(receive(), min(self.body_idle, max(0.0, left)))
            except TimeoutError:
                if left <= self.body_idle:
                    message = f"request body not complete within {self.body_timeout:g}s (AGORA_RPC_BODY_TIMEOUT)"
                else:
                    message = f"request body stalled for {self.body_idle:g}s (AGORA_RPC_BODY_IDLE)"
                raise _BodyRefused(408, message) from None
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise _BodyRefused(413, f"request body larger than {self.max_body} bytes (AGORA_RPC_BODY_MAX)")
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)


def _refusal(message: str) -> bytes:
    return orjson.dumps(error_response(None, RPCError(INVALID_REQUEST, message)))


_CHUNK = 64 * 1024


async def _respond(send: Any, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    """Sends ``body`` in pieces, each after the client has taken the last (uvicorn waits for a drain)."""
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    view = memoryview(body)
    for start in range(0, max(1, len(body)), _CHUNK):
        last = start + _CHUNK >= len(body)
        await send({"type": "http.response.body", "body": bytes(view[start : start + _CHUNK]), "more_body": not last})


def serve(*, home: Path, host: str = "127.0.0.1", port: int = 8545, settings: LedgerSettings | None = None) -> None:
    """Opens (or creates) the chain under ``home`` and serves it until interrupted."""
    import uvicorn

    s = settings or get_settings()
    # A thread computing in the EVM holds the GIL for a whole switch interval each turn, and a
    # read that waits on SQLite hands it back a dozen times: a short interval keeps reads
    # answered in milliseconds while calls run (docs/chain.md has the figures).
    sys.setswitchinterval(s.rpc_switch_interval)
    chain = EmbeddedChain(home, tx_timeout=s.rpc_tx_timeout)
    log.info("chain %d at block %d from %s", chain.chain_id, chain.head().block_number, home)
    app = RPCApp(Dispatcher(chain, RPCLimits.from_settings(s)), s)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        limit_concurrency=s.rpc_connections,
        timeout_keep_alive=5,
        http=bounded_protocol(
            max_head=s.rpc_head_max, head_timeout=s.rpc_head_timeout, write_timeout=s.rpc_write_timeout
        ),
        ws="none",  # no websocket endpoint: an upgrade request is an ordinary request
    )
    try:
        uvicorn.Server(config).run()
    finally:
        app.close()
        chain.close()
