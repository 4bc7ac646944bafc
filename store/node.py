"""`agora store serve`: a store node holding shards by hash and manifests by CID, over HTTP.

GET  /info                      region, backend, shard count and bytes
PUT  /shards/{sha256}           store a shard (refused unless its bytes hash to the name)
GET  /shards/{sha256}           the shard (HEAD: whether it is here)
PUT  /manifests/{cid}           store a manifest (refused unless valid and named by its CID)
GET  /manifests/{cid}
GET  /audit/{cid}/{leaf}        a shard of that manifest with its Merkle inclusion proof
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import re
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import merkle
from .backends import Backend, DiskFull
from .errors import ManifestError
from .manifest import Manifest

log = logging.getLogger(__name__)

MAX_SHARD_BYTES = 64 * 1024 * 1024
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _problem(status: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"title": title, "status": status, "detail": detail}, status, media_type="application/problem+json"
    )


class _TooLarge(Exception):
    pass


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(backend: Backend, *, region: str = "", max_shard_bytes: int = MAX_SHARD_BYTES) -> Starlette:
    """The node's ASGI app over ``backend``."""

    async def run(fn: Any, *args: Any) -> Any:
        return await asyncio.to_thread(fn, *args)

    async def info(_: Request) -> Response:
        count, size = await run(backend.usage)
        body: dict[str, Any] = {"region": region, "backend": backend.name, "shards": count, "bytes": size}
        free = getattr(backend, "free_bytes", None)
        if free is not None:
            body["freeBytes"] = await run(free)
        return JSONResponse(body)

    async def put_shard(request: Request) -> Response:
        digest = request.path_params["digest"]
        if not _HEX64.match(digest):
            return _problem(422, "bad shard name", "a shard is named by the lower-case hex of its sha256")
        try:
            data = await _body(request, max_shard_bytes)
        except _TooLarge:
            return _problem(413, "shard too large", f"shards are at most {max_shard_bytes} bytes")
        actual = await run(lambda: hashlib.sha256(data).hexdigest())
        if actual != digest:
            return _problem(400, "hash mismatch", f"the body hashes to {actual}, not {digest}")
        try:
            await run(backend.put, f"shards/{digest}", data)
        except DiskFull as exc:
            return _problem(507, "insufficient storage", str(exc))
        return JSONResponse({"stored": digest, "bytes": len(data)}, 201)

    async def get_shard(request: Request) -> Response:
        digest = request.path_params["digest"]
        if not _HEX64.match(digest):
            return _problem(422, "bad shard name", "a shard is named by the lower-case hex of its sha256")
        if request.method == "HEAD":
            return Response(status_code=200 if await run(backend.exists, f"shards/{digest}") else 404)
        data = await run(backend.get, f"shards/{digest}")
        if data is None:
            return _problem(404, "no such shard", digest)
        return Response(data, media_type="application/octet-stream")

    async def put_manifest(request: Request) -> Response:
        cid = request.path_params["cid"]
        try:
            data = await _body(request, MAX_MANIFEST_BYTES)
            Manifest.from_bytes(data, expected_cid=cid)
        except _TooLarge:
            return _problem(413, "manifest too large", f"manifests are at most {MAX_MANIFEST_BYTES} bytes")
        except ManifestError as exc:
            return _problem(400, "invalid manifest", str(exc))
        try:
            await run(backend.put, f"manifests/{cid}", data)
        except DiskFull as exc:
            return _problem(507, "insufficient storage", str(exc))
        return JSONResponse({"stored": cid}, 201)

    async def get_manifest(request: Request) -> Response:
        data = await run(backend.get, f"manifests/{request.path_params['cid']}")
        if data is None:
            return _problem(404, "no such manifest", request.path_params["cid"])
        return Response(data, media_type="application/json")

    async def audit(request: Request) -> Response:
        cid, leaf = request.path_params["cid"], request.path_params["leaf"]
        raw = await run(backend.get, f"manifests/{cid}")
        if raw is None:
            return _problem(404, "no such manifest", cid)
        manifest = Manifest.from_bytes(raw)
        leaves = manifest.leaves()
        if not 0 <= leaf < len(leaves):
            return _problem(404, "no such leaf", f"{cid} has {len(leaves)} shards")
        shard = await run(backend.get, f"shards/{leaves[leaf].hex()}")
        if shard is None:
            return _problem(404, "no such shard", leaves[leaf].hex())
        return JSONResponse(
            {
                "leaf": leaf,
                "size": len(leaves),
                "shardHash": leaves[leaf].hex(),
                "shard": base64.b64encode(shard).decode(),
                "proof": [p.hex() for p in merkle.inclusion_proof(leaves, leaf)],
                "root": manifest.merkle_root,
            }
        )

    return Starlette(
        routes=[
            Route("/info", info, methods=["GET"]),
            Route("/shards/{digest}", put_shard, methods=["PUT"]),
            Route("/shards/{digest}", get_shard, methods=["GET", "HEAD"]),
            Route("/manifests/{cid}", put_manifest, methods=["PUT"]),
            Route("/manifests/{cid}", get_manifest, methods=["GET"]),
            Route("/audit/{cid}/{leaf:int}", audit, methods=["GET"]),
        ]
    )


def serve(backend: Backend, *, host: str = "127.0.0.1", port: int = 7001, region: str = "") -> None:
    """Serves ``backend`` until interrupted."""
    import uvicorn

    app = create_app(backend, region=region)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
