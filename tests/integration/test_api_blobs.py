"""`/v1/blobs` on SQLite and PostgreSQL: signed uploads streamed into real store nodes and read
back (with ranges); every bad upload — unsigned, signed for other bytes or another size, from an
address with no deposit, over its quota, to regions with no nodes — gets its own problem and is
charged nothing, but for bytes that are not their CID's (their shards were stored: charged each
time). And the API client (marketplace/client.py) against a live server."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from eth_account import Account
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger import EmbeddedChain, JobMarket, Token, Transactor, connect, deploy, dev_account
from marketplace.api import create_app
from marketplace.client import ApiClient, ApiError, blob_cid
from marketplace.db import make_engine, migrate
from marketplace.models import UploadRow
from store import StoreClient, authorization

from ..conftest import free_port
from .databases import database
from .market_helpers import AGR
from .store_cluster import start_cluster, stop_all

UPLOADER = 1
POOR = 2
RELAYER = 9
API_ID = bytes(range(32))
SEGMENT = 64 * 1024


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    w3 = connect(chain=EmbeddedChain())
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), tmp_path_factory.mktemp("home"), audit_bps=0)
    Token(w3, deployment, Transactor(w3, dev_account(0))).faucet(dev_account(UPLOADER).address, 10 * AGR)
    JobMarket(w3, deployment, Transactor(w3, dev_account(UPLOADER))).deposit(1 * AGR)
    nodes = start_cluster(tmp_path_factory.mktemp("store"), ["eu", "eu", "eu"], writers=dev_account(RELAYER).address)
    try:
        yield {"w3": w3, "deployment": deployment, "nodes": nodes}
    finally:
        stop_all(nodes)


def _app(world: dict[str, Any], url: str, *, quota: int = 1 << 30) -> tuple[Any, StoreClient, Any]:
    engine = make_engine(url)
    migrate(engine)
    store = StoreClient([n.url for n in world["nodes"]], k=2, m=1, segment_size=SEGMENT, signer=dev_account(RELAYER))
    app = create_app(
        engine, w3=world["w3"], deployment=world["deployment"], store=store, api_id=API_ID, blob_quota=quota
    )
    return app, store, engine


@pytest.fixture(params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, world: dict[str, Any], tmp_path: Path) -> Iterator[dict[str, Any]]:
    with database(request.param, tmp_path) as url:
        app, store, engine = _app(world, url, quota=1_000_000)
        with TestClient(app) as client:
            yield {"client": client, "engine": engine, "store": store}
        store.close()
        engine.dispose()


def upload(client: TestClient, body: bytes, *, account: Any = None, cid: str | None = None, **kw: Any) -> Any:
    """POST /v1/blobs signed for ``body`` (or what ``kw`` overrides: size, path)."""
    account = account or dev_account(UPLOADER)
    cid = cid or blob_cid(body)
    size = kw.pop("signed_size", len(body))
    path = kw.pop("signed_path", f"/v1/blobs/{cid}")
    header = authorization(account, path, size, int(time.time()) + 600, node=kw.pop("node", API_ID))
    params = {"cid": cid, **kw.pop("params", {})}
    return client.post("/v1/blobs", params=params, content=body, headers={"Authorization": header, **kw})


def charged(engine: Any) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.coalesce(func.sum(UploadRow.size), 0))) or 0)


def test_an_upload_is_stored_and_read_back_whole_and_by_range(api: dict[str, Any]) -> None:
    client = api["client"]
    body = os.urandom(3 * SEGMENT + 123)  # four segments
    answer = upload(client, body)
    assert answer.status_code == 201, answer.text
    got = answer.json()
    assert got["blob_cid"] == blob_cid(body) and got["size"] == len(body) and got["quota_used"] == len(body)
    assert got["uploader"] == dev_account(UPLOADER).address
    whole = client.get(f"/v1/blobs/{got['cid']}")
    assert whole.status_code == 200 and whole.content == body
    assert whole.headers["content-length"] == str(len(body)) and whole.headers["accept-ranges"] == "bytes"
    assert api["store"].get(got["cid"]) == body  # in the store itself, under the answered CID
    for header, want in [
        ("bytes=100-199", body[100:200]),
        (f"bytes={SEGMENT - 5}-{2 * SEGMENT + 4}", body[SEGMENT - 5 : 2 * SEGMENT + 5]),  # across segments
        ("bytes=-10", body[-10:]),
        (f"bytes={3 * SEGMENT}-", body[3 * SEGMENT :]),
        ("bytes=5-999999999", body[5:]),
    ]:
        part = client.get(f"/v1/blobs/{got['cid']}", headers={"Range": header})
        assert part.status_code == 206 and part.content == want, header
        assert part.headers["content-range"].endswith(f"/{len(body)}")
    beyond = client.get(f"/v1/blobs/{got['cid']}", headers={"Range": f"bytes={len(body)}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(body)}"
    odd = client.get(f"/v1/blobs/{got['cid']}", headers={"Range": "bytes=0-1,5-6"})  # several: served whole
    assert odd.status_code == 200 and odd.content == body
    again = upload(client, body)  # the same blob again is not charged twice
    assert again.status_code == 201 and again.json()["quota_used"] == len(body)
    assert charged(api["engine"]) == len(body)


def test_bad_uploads_are_refused_each_with_its_problem(api: dict[str, Any]) -> None:
    client = api["client"]
    body = b"x" * 5000
    cid = blob_cid(body)
    cases = {
        "unsigned": (client.post("/v1/blobs", params={"cid": cid}, content=body), 401, "invalid-signature"),
        "other size": (upload(client, body, signed_size=4999), 401, "invalid-signature"),
        "other path": (upload(client, body, signed_path=f"/v1/blobs/{blob_cid(b'y')}"), 401, "invalid-signature"),
        "other api": (upload(client, body, node=bytes(32)), 401, "invalid-signature"),
        "other bytes": (upload(client, b"y" * 5000, cid=cid), 400, "content-mismatch"),
        "no deposit": (upload(client, body, account=dev_account(POOR)), 402, "no-deposit"),
        "bad cid": (upload(client, body, cid="bafy-not-a-cid"), 422, "invalid-cid"),
        "no such region": (upload(client, body, params={"regions": "mars"}), 422, "unknown-region"),
        "no nodes there": (upload(client, body, params={"regions": "ch"}), 503, "store-unavailable"),
        "over its quota": (upload(client, os.urandom(1_000_001)), 507, "quota-exceeded"),
    }
    for name, (answer, status, kind) in cases.items():
        assert answer.status_code == status, (name, answer.text)
        assert answer.headers["content-type"] == "application/problem+json", name
        assert answer.json()["type"] == f"/problems/{kind}", (name, answer.json())
    assert charged(api["engine"]) == 5000  # the mismatched bytes only: stored, so charged
    stranger = Account.create()
    assert upload(client, body, account=stranger).status_code == 402  # a fresh address cannot upload for free
    assert client.get("/v1/blobs/bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4").status_code == 404
    assert client.get("/v1/blobs/not-a-cid").status_code == 422


def test_the_client_uploads_a_file_submits_nothing_it_cannot_sign_and_reads_back(
    world: dict[str, Any], tmp_path: Path
) -> None:
    """marketplace.client.ApiClient over real HTTP: a file streamed up with progress, read back."""
    app, store, engine = _app(world, f"sqlite:///{tmp_path / 'api.sqlite'}")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.02)
        data = os.urandom(5 * SEGMENT)
        (tmp_path / "input").write_bytes(data)
        seen: list[int] = []
        with ApiClient(f"http://127.0.0.1:{port}", signer=dev_account(UPLOADER)) as api:
            cid = api.upload(tmp_path / "input", progress=seen.append)
            assert sum(seen) == len(data) and store.get(cid) == data
        with ApiClient(f"http://127.0.0.1:{port}") as anonymous, pytest.raises(ApiError, match="needs a key"):
            anonymous.upload(b"data")
        with ApiClient(f"http://127.0.0.1:{port}", signer=dev_account(POOR)) as poor, pytest.raises(ApiError) as e:
            poor.upload(b"data")
        assert e.value.status == 402 and e.value.kind == "no-deposit"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()
        engine.dispose()
