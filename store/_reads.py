"""A node's answers that carry objects: streamed from the backend in bounded pieces, never read
whole, so a reader that stops reading holds one piece of the node's memory until the stall
timeout aborts its connection (`_serve.GuardedProtocol`)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable

import orjson
from starlette.responses import Response, StreamingResponse

from . import merkle
from .backends import Backend, Reader
from .errors import NotFound

CHUNK = 1024 * 1024
"""Bytes read from the backend per trip to a thread: what a reader that stops reading holds
(256 KiB pieces cost 20% of a node's throughput for 16 MiB objects in trips to threads)."""
WHOLE = CHUNK + 64 * 1024
"""Objects up to this size are read and sent in one piece: a shard of the default 4 MiB segment
in 4 (1 MiB and its 80-byte header) takes one trip to a thread instead of two and a stream."""
AUDIT_CHUNK = 3 * 256 * 1024
"""Shard bytes base64-encoded per trip (a multiple of 3, so the pieces join into one encoding)."""


async def _chunks(reader: Reader, size: int, chunk: int, encode: Callable[[bytes], bytes]) -> AsyncIterator[bytes]:
    left = size
    try:
        while left > 0:
            # An empty piece first: sending it waits until the connection drains (uvicorn awaits
            # its flow control before each send), so the next piece is read only when the last
            # has been taken: a stalled reader holds one piece, not two.
            yield b""
            data = await asyncio.to_thread(reader.read, min(chunk, left))
            if not data:
                raise OSError(f"the object ended {left} bytes early")
            left -= len(data)
            yield encode(data)
    finally:
        reader.close()


def _open(backend: Backend, key: str) -> tuple[int, Reader | bytes] | None:
    """The object's size and a reader of it; an object of at most `WHOLE` bytes read whole
    (one trip to a thread, and not much more held than one piece of a larger one)."""
    opened = backend.open(key)
    if opened is None:
        return None
    size, reader = opened
    if size > WHOLE:
        return size, reader
    try:
        pieces, left = [], size
        while left > 0:
            piece = reader.read(left)
            if not piece:
                raise OSError(f"{key} ended {left} bytes early")
            pieces.append(piece)
            left -= len(piece)
        return size, b"".join(pieces)
    finally:
        reader.close()


async def object_response(backend: Backend, key: str, media_type: str, missing: str) -> Response:
    """The object ``key`` (streamed when larger than `WHOLE`); `NotFound` (``missing``) when absent."""
    opened = await asyncio.to_thread(_open, backend, key)
    if opened is None:
        raise NotFound(missing)
    size, content = opened
    if isinstance(content, bytes):
        return Response(content, media_type=media_type)
    return StreamingResponse(
        _chunks(content, size, CHUNK, bytes), media_type=media_type, headers={"content-length": str(size)}
    )


async def _prefixed(head: bytes, body: AsyncIterator[bytes], tail: bytes) -> AsyncIterator[bytes]:
    yield head
    async for piece in body:
        yield piece
    yield tail


async def audit_response(
    backend: Backend, leaves: list[bytes], root: str, leaf: int, proof_slots: asyncio.Semaphore
) -> Response:
    """A shard of a manifest (base64) with its Merkle inclusion proof, as JSON streamed from the
    shard's file: ``{"leaf","size","shardHash","proof","root","shard"}``."""
    digest = leaves[leaf].hex()
    opened = await asyncio.to_thread(backend.open, f"shards/{digest}")
    if opened is None:
        raise NotFound(f"no shard {digest} here")
    size, reader = opened
    try:
        async with proof_slots:  # CPU work over every leaf: in a thread, a few at once
            proof = await asyncio.to_thread(merkle.inclusion_proof, leaves, leaf)
    except BaseException:
        reader.close()
        raise
    fields = {"leaf": leaf, "size": len(leaves), "shardHash": digest, "proof": [p.hex() for p in proof], "root": root}
    head = orjson.dumps(fields)[:-1] + b',"shard":"'
    tail = b'"}'
    length = len(head) + 4 * -(-size // 3) + len(tail)
    body = _chunks(reader, size, AUDIT_CHUNK, base64.b64encode)
    return StreamingResponse(
        _prefixed(head, body, tail), media_type="application/json", headers={"content-length": str(length)}
    )
