"""`agora chain serve`: the embedded chain as a standard JSON-RPC endpoint over HTTP.

The event loop only reads bodies and writes answers. Parsing is bounded (body size, idle time,
JSON depth) and every method runs on a thread pool chosen by its workload: EVM calls, writes
and plain reads each have threads of their own, so a client keeping the EVM busy never holds
up a balance, a receipt or a transaction of anyone else.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson

from ._embedded import EmbeddedChain
from .rpc import INVALID_REQUEST, Dispatcher, RPCError, RPCLimits, _error_response, parse, workload
from .settings import LedgerSettings, get_settings

log = logging.getLogger(__name__)

_CORS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"POST, OPTIONS"),
    (b"access-control-allow-headers", b"content-type"),
]


class _BodyRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Disconnected(Exception):
    pass


class RPCApp:
    """A small ASGI app: POST / with a JSON-RPC body; CORS so browser wallets can talk to it."""

    def __init__(self, dispatcher: Dispatcher, settings: LedgerSettings | None = None) -> None:
        s = settings or get_settings()
        self.dispatcher = dispatcher
        self.max_body = s.rpc_body_max
        self.body_idle = s.rpc_body_idle
        self._pools = {
            "evm": ThreadPoolExecutor(max_workers=max(1, s.rpc_threads // 2), thread_name_prefix="rpc-evm"),
            "write": ThreadPoolExecutor(max_workers=1, thread_name_prefix="rpc-write"),
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
        method = scope["method"]
        if method == "OPTIONS":
            await _respond(send, 204, b"")
            return
        if method == "GET":
            await _respond(send, 200, orjson.dumps({"chainId": self.dispatcher.chain.chain_id}))
            return
        if method != "POST":
            await _respond(send, 405, b'{"error":"use POST"}')
            return
        try:
            body = await self._read_body(receive)
        except _Disconnected:
            return
        except _BodyRefused as exc:
            await _respond(send, exc.status, orjson.dumps(_error_response(None, RPCError(INVALID_REQUEST, str(exc)))))
            return
        try:
            payload = parse(body)
        except RPCError as exc:
            await _respond(send, 200, orjson.dumps(_error_response(None, exc)))
            return
        pool = self._pools[workload(payload)]
        answer = await asyncio.get_running_loop().run_in_executor(pool, self.dispatcher.answer, payload)
        await _respond(send, 200, answer or b"")

    async def _read_body(self, receive: Any) -> bytes:
        chunks, size = [], 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), self.body_idle)
            except TimeoutError:
                raise _BodyRefused(408, f"request body stalled for {self.body_idle:g}s (AGORA_RPC_BODY_IDLE)") from None
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise _BodyRefused(413, f"request body larger than {self.max_body} bytes (AGORA_RPC_BODY_MAX)")
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)


async def _respond(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *_CORS]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def serve(*, home: Path, host: str = "127.0.0.1", port: int = 8545, settings: LedgerSettings | None = None) -> None:
    """Opens (or creates) the chain under ``home`` and serves it until interrupted."""
    import uvicorn

    s = settings or get_settings()
    # A thread computing in the EVM holds the GIL for a whole switch interval each turn, and a
    # read that waits on SQLite hands it back a dozen times: a short interval keeps reads
    # answered in milliseconds while calls run (docs/chain.md has the figures).
    sys.setswitchinterval(s.rpc_switch_interval)
    chain = EmbeddedChain(home)
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
    )
    try:
        uvicorn.Server(config).run()
    finally:
        app.close()
        chain.close()
