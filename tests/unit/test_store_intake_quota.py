"""A node's quota under concurrent uploads of one writer, in process (the real app, directory
backend and quota book over ASGI): an upload is charged exactly when what it stored is new, and
the moment its reservation becomes a charge is never seen half done by another upload."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from pathlib import Path

import httpx
import pytest

from store import DirectoryBackend, ListedWriters, QuotaBook, authorization
from store.node import create_app
from store.quota import cost
from tests.integration.store_cluster import WRITER

SIZE = 10_000


def shard(size: int = SIZE) -> tuple[str, bytes]:
    data = os.urandom(size)
    return f"/shards/{hashlib.sha256(data).hexdigest()}", data


def node(tmp: Path, objects: int) -> tuple[object, QuotaBook, bytes]:
    book = QuotaBook(tmp / "quota.sqlite", objects * cost(SIZE))
    node_id = os.urandom(32)
    writers = ListedWriters([WRITER.address])
    app = create_app(DirectoryBackend(tmp / "d"), authorize=writers, quota=book, node_id=node_id)
    return app, book, node_id


async def put(client: httpx.AsyncClient, node_id: bytes, path: str, body: bytes) -> int:
    signed = authorization(WRITER, path, len(body), int(time.time()) + 600, node=node_id)
    return (await client.put(path, content=body, headers={"Authorization": signed})).status_code


def run(app: object, uploads: object) -> object:
    async def main() -> object:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
            return await uploads(client)  # type: ignore[operator]

    return asyncio.run(main())


def test_concurrent_uploads_cannot_pass_the_quota_and_one_object_is_charged_once(tmp_path: Path) -> None:
    app, book, node_id = node(tmp_path, objects=4)
    same = shard()

    async def uploads(client: httpx.AsyncClient) -> tuple[list[int], list[int]]:
        new = await asyncio.gather(*[put(client, node_id, *shard()) for _ in range(8)])
        book.quota += 6 * cost(SIZE)  # room for each of six uploads of one object to reserve
        again = await asyncio.gather(*[put(client, node_id, *same) for _ in range(6)])
        return list(new), list(again)

    new, again = run(app, uploads)  # type: ignore[misc]
    assert sorted(new) == [201] * 4 + [507] * 4
    assert again == [201] * 6  # one object, charged once: the rewrites cost nothing
    assert book.used(WRITER.address) == (5 * cost(SIZE), 5)


def test_an_upload_that_fits_is_taken_while_another_one_is_being_charged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The review's finding: charged first and released after, a stored object counted twice for
    a moment, and another upload that fits was refused (507) in that moment. A slow SQLite commit
    (0.5 s) holds the moment open."""
    app, book, node_id = node(tmp_path, objects=2)
    real = QuotaBook._charge

    def slow(self: QuotaBook, key: str, size: int) -> None:
        real(self, key, size)
        time.sleep(0.5)

    monkeypatch.setattr(QuotaBook, "_charge", slow)

    async def uploads(client: httpx.AsyncClient) -> tuple[int, int]:
        first = asyncio.create_task(put(client, node_id, *shard()))
        await asyncio.sleep(0.25)  # the first is being charged
        second = await put(client, node_id, *shard())
        return await first, second

    assert run(app, uploads) == (201, 201)
    assert book.used(WRITER.address) == (2 * cost(SIZE), 2)
