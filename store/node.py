"""`agora store serve`: a store node holding shards by hash and manifests by CID, over HTTP.

GET  /info                      id, region, backend, shard count and bytes
PUT  /shards/{sha256}           store a shard (signed; refused unless its bytes hash to the name)
GET  /shards/{sha256}           the shard (HEAD: whether it is here)
PUT  /manifests/{cid}           store a manifest (signed; refused unless valid and named by its CID)
GET  /manifests/{cid}
GET  /audit/{cid}/{leaf}        a shard of that manifest with its Merkle inclusion proof

Limits, signatures and quotas: docs/store.md.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import traceback
from collections import OrderedDict
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import _reads, _serve
from ._intake import Authorize, Intake, exists
from ._problems import answer, not_a_name, problem
from .backends import Backend
from .cid import cid_from_digest, digest_of
from .errors import BadUpload, InvalidCID, ManifestError, NotFound, StoreError
from .manifest import Manifest
from .quota import QuotaBook
from .settings import NodeLimits

log = logging.getLogger("store.node")

_HEX64 = re.compile(r"[0-9a-f]{64}")
_LEAF = re.compile(r"[0-9]{1,12}")
_MAX_CID = 100
_PARSED = 8
"""Parsed manifests kept for audits (each audit of a big manifest would otherwise parse it again)."""


def shard_name(name: str) -> str:
    """``name`` when it is a shard name (64 lower-case hex digits); raises `BadName` otherwise."""
    if not _HEX64.fullmatch(name):
        raise not_a_name("shard", name)
    return name


def manifest_name(name: str) -> str:
    """``name`` when it is a canonical manifest CID; raises `BadName` otherwise."""
    try:
        if len(name) > _MAX_CID or cid_from_digest(digest_of(name)) != name:
            raise not_a_name("manifest", name)
    except InvalidCID:
        raise not_a_name("manifest", name) from None
    return name


class _Node:
    """The routes over one backend."""

    def __init__(self, backend: Backend, region: str, limits: NodeLimits, intake: Intake) -> None:
        self.backend = backend
        self.region = region
        self.limits = limits
        self.intake = intake
        self.parses = asyncio.Semaphore(limits.max_parses)
        self.parsed: OrderedDict[str, tuple[list[bytes], str]] = OrderedDict()
        self.parsing: dict[str, asyncio.Future[tuple[list[bytes], str]]] = {}

    def _info(self) -> dict[str, Any]:
        count, size = self.backend.usage()  # kept as shards come: no listing
        body: dict[str, Any] = {"id": "0x" + self.intake.node.hex(), "region": self.region}
        body |= {"backend": self.backend.name, "shards": count, "bytes": size}
        free = getattr(self.backend, "free_bytes", None)
        if free is not None:
            body["freeBytes"] = free()
        return body

    async def info(self, _: Request) -> Response:
        return JSONResponse(await asyncio.to_thread(self._info))

    async def put_shard(self, request: Request) -> Response:
        digest = shard_name(request.path_params["digest"])
        path = f"/shards/{digest}"
        return await self.intake.take(request, key=path[1:], path=path, limit=self.limits.max_shard_bytes, check=digest)

    async def get_shard(self, request: Request) -> Response:
        digest = shard_name(request.path_params["digest"])
        if request.method == "HEAD":
            return Response(status_code=200 if await exists(self.backend, f"shards/{digest}") else 404)
        key = f"shards/{digest}"
        return await _reads.object_response(self.backend, key, "application/octet-stream", f"no shard {digest} here")

    async def put_manifest(self, request: Request) -> Response:
        cid = manifest_name(request.path_params["cid"])

        async def check(staged: Path, actual: str) -> None:
            if actual != digest_of(cid).hex():
                raise BadUpload(f"manifest bytes do not match {cid}")
            async with self.parses:
                try:
                    await asyncio.to_thread(lambda: Manifest.from_bytes(staged.read_bytes()))
                except ManifestError as exc:
                    raise BadUpload(f"invalid manifest: {exc}") from None

        path = f"/manifests/{cid}"
        limit = self.limits.max_manifest_bytes
        return await self.intake.take(request, key=path[1:], path=path, limit=limit, check=check)

    async def get_manifest(self, request: Request) -> Response:
        cid = manifest_name(request.path_params["cid"])
        key = f"manifests/{cid}"
        return await _reads.object_response(self.backend, key, "application/json", f"no manifest {cid} here")

    async def _leaves(self, cid: str) -> tuple[list[bytes], str]:
        """A stored manifest's leaves and root: parsed once, however many audits ask at once."""
        if cid in self.parsed:
            self.parsed.move_to_end(cid)
            return self.parsed[cid]
        if cid not in self.parsing:
            self.parsing[cid] = asyncio.ensure_future(self._parse(cid))
        try:
            return await asyncio.shield(self.parsing[cid])
        finally:
            if self.parsing.get(cid) is not None and self.parsing[cid].done():
                del self.parsing[cid]

    async def _parse(self, cid: str) -> tuple[list[bytes], str]:
        raw = await asyncio.to_thread(self.backend.get, f"manifests/{cid}")  # at most the manifest limit
        if raw is None:
            raise NotFound(f"no manifest {cid} here")
        async with self.parses:
            parsed = await asyncio.to_thread(_tree, raw)
        self.parsed[cid] = parsed
        while len(self.parsed) > _PARSED:
            self.parsed.popitem(last=False)
        return parsed

    async def audit(self, request: Request) -> Response:
        cid, text = manifest_name(request.path_params["cid"]), request.path_params["leaf"]
        if not _LEAF.fullmatch(text):
            raise NotFound(f"no leaf {text[:20]!r} in {cid}")
        leaf = int(text)
        leaves, root = await self._leaves(cid)
        if leaf >= len(leaves):
            raise NotFound(f"{cid} has {len(leaves)} shards")
        return await _reads.audit_response(self.backend, leaves, root, leaf, self.parses)


def _tree(raw: bytes) -> tuple[list[bytes], str]:
    """A stored manifest's leaves and Merkle root (parsed and checked: CPU work for a thread)."""
    manifest = Manifest.from_bytes(raw)
    return manifest.leaves(), manifest.merkle_root


async def _store_error(request: Request, exc: Exception) -> Response:
    return answer(request, exc)


class _Contained:
    """Answers any error no route turned into a store error with a bare problem+json 500: the
    exception goes to the log as one line, never to the client (nor a traceback to the log)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
            where = f" at {Path(frame.filename).name}:{frame.lineno}" if frame else ""
            method, path = scope.get("method", "?"), str(scope.get("path", ""))[:100]
            log.error("internal error answering %s %r: %s: %.200s%s", method, path, type(exc).__name__, exc, where)
            if not started and scope["type"] == "http":
                await problem(500, "internal error", "the node could not answer this request")(scope, receive, send)


def create_app(
    backend: Backend,
    *,
    region: str = "",
    limits: NodeLimits | None = None,
    authorize: Authorize | None = None,
    quota: QuotaBook | None = None,
    node_id: bytes | None = None,
) -> Starlette:
    """The node's ASGI app over ``backend``.

    Args:
        backend: where objects live.
        region: the jurisdiction the node declares in /info.
        limits: what one request may cost (defaults: `NodeLimits()`).
        authorize: whether a signer (checksum address) may write; may raise `WritersUnavailable`
            (answered 503). None leaves writes open: no signature is asked for at all.
        quota: per-signer quotas (only with ``authorize``).
        node_id: the 32 bytes write signatures must name (`store.node_identity`; default: new ones).
    """
    limits = limits or NodeLimits()
    node_id = node_id if node_id is not None else os.urandom(32)
    intake = Intake(backend, limits, authorize=authorize, quota=quota, node=node_id)
    node = _Node(backend, region, limits, intake)
    return Starlette(
        routes=[
            Route("/info", node.info, methods=["GET"]),
            Route("/shards/{digest}", node.put_shard, methods=["PUT"]),
            Route("/shards/{digest}", node.get_shard, methods=["GET", "HEAD"]),
            Route("/manifests/{cid}", node.put_manifest, methods=["PUT"]),
            Route("/manifests/{cid}", node.get_manifest, methods=["GET"]),
            Route("/audit/{cid}/{leaf}", node.audit, methods=["GET"]),
        ],
        exception_handlers={StoreError: _store_error},
        middleware=[Middleware(_Contained)],
    )


def serve(
    backend: Backend,
    *,
    host: str = "127.0.0.1",
    port: int = 7001,
    region: str = "",
    limits: NodeLimits | None = None,
    authorize: Authorize | None = None,
    quota: QuotaBook | None = None,
    node_id: bytes | None = None,
    tls: tuple[str, str] | None = None,
) -> None:
    """Serves ``backend`` until interrupted, with the connection bounds of ``limits`` (over TLS
    with ``tls``: the certificate and key PEM files)."""
    limits = limits or NodeLimits()
    app = create_app(backend, region=region, limits=limits, authorize=authorize, quota=quota, node_id=node_id)
    _serve.run(app, host=host, port=port, limits=limits, tls=tls)
