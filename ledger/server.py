"""`agora chain serve`: the embedded chain as a standard JSON-RPC endpoint over HTTP."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from ._embedded import EmbeddedChain
from .rpc import INVALID_REQUEST, PARSE_ERROR, Dispatcher, RPCError, _error_response

log = logging.getLogger(__name__)

MAX_BODY = 5 * 1024 * 1024
_CORS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"POST, OPTIONS"),
    (b"access-control-allow-headers", b"content-type"),
]


class RPCApp:
    """A small ASGI app: POST / with a JSON-RPC body; CORS so browser wallets can talk to it."""

    def __init__(self, dispatcher: Dispatcher, *, max_body: int = MAX_BODY) -> None:
        self.dispatcher = dispatcher
        self.max_body = max_body

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
            await _respond(send, 200, json.dumps({"chainId": self.dispatcher.chain.chain_id}).encode())
            return
        if method != "POST":
            await _respond(send, 405, b'{"error":"use POST"}')
            return
        body = await _read_body(receive, self.max_body)
        if body is None:
            err = RPCError(INVALID_REQUEST, f"request body larger than {self.max_body} bytes")
            await _respond(send, 413, json.dumps(_error_response(None, err)).encode())
            return
        try:
            answer = self.dispatcher.handle_raw(body)
        except Exception as exc:  # never let one request stop the server
            log.exception("unhandled error")
            answer = json.dumps(_error_response(None, RPCError(PARSE_ERROR, str(exc)))).encode()
        await _respond(send, 200, answer or b"")


async def _read_body(receive: Any, limit: int) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _respond(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *_CORS]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def serve(*, home: Path, host: str = "127.0.0.1", port: int = 8545) -> None:
    """Opens (or creates) the chain under ``home`` and serves it until interrupted."""
    import uvicorn

    chain = EmbeddedChain(home)
    log.info("chain %d at block %d from %s", chain.chain_id, chain.head().block_number, home)
    app = RPCApp(Dispatcher(chain))
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="on")
    try:
        uvicorn.Server(config).run()
    finally:
        chain.close()
