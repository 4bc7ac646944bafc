"""The REST API's read side over an indexed chain, on SQLite and PostgreSQL: jobs listed and
filtered page by page, a job's whole timeline, the deployment, health; every error a problem."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from fastapi.testclient import TestClient

from ledger import EmbeddedChain, Transactor, connect, deploy, dev_account, regions_mask
from marketplace.api import create_app
from marketplace.db import make_engine, migrate
from marketplace.indexer import Indexer

from ..conftest import ROOT, free_port, stop
from .databases import database
from .market_helpers import fund_actors, make_request, post

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Five jobs: one settled (paid and refunded), one expired with its worker slashed, three open
    (one allowed in eu only)."""
    w3 = connect(chain=EmbeddedChain())
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), tmp_path_factory.mktemp("home"), audit_bps=0)
    actors = fund_actors(w3, deployment, workers=2)
    done = post(actors, make_request(w3, k=1, q=1, ramp=0))
    actors.workers[0].lock(done)
    actors.workers[0].reveal(done, 0, b"\x11" * 32, b"\x22" * 32, b"\x33" * 32)
    actors.requester.accept(done)
    missed = post(actors, make_request(w3, k=1, q=1, ramp=0))
    actors.workers[1].lock(missed)
    w3.provider.make_request("evm_increaseTime", [4 * 3600])
    actors.workers[1].expire(missed)
    opened = [post(actors, make_request(w3, k=3, q=2)) for _ in range(2)]
    eu_only = post(actors, make_request(w3, k=3, q=2, regions=regions_mask(["eu"])))
    return {
        "w3": w3,
        "deployment": deployment,
        "actors": actors,
        "done": done,
        "missed": missed,
        "open": [*opened, eu_only],
        "eu": eu_only,
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def client(request: pytest.FixtureRequest, chain: Any, tmp_path: Path) -> Iterator[TestClient]:
    with database(request.param, tmp_path) as url:
        engine = make_engine(url)
        migrate(engine)
        indexer = Indexer(chain["w3"], chain["deployment"], engine)
        indexer.catch_up()
        app = create_app(engine, w3=chain["w3"], deployment=chain["deployment"], indexer=indexer)
        with TestClient(app) as test_client:
            yield test_client
        engine.dispose()


def hexid(job_id: bytes) -> str:
    return "0x" + job_id.hex()


def test_a_jobs_timeline_names_every_step_with_its_transaction(client: TestClient, chain: Any) -> None:
    job = client.get(f"/v1/jobs/{hexid(chain['done'])}").json()
    assert job["status"] == "settled" and job["escrow"] == "10" and job["max_price"] == "10"
    worker = chain["actors"].workers[0].transactor.address
    assert job["slots"] == [
        {
            "slot": 0,
            "worker": worker,
            "price": "10",
            "auditor": False,
            "committed": True,
            "digest": "0x" + "11" * 32,
            "result_cid": "0x" + "33" * 32,
            "locked_block": job["slots"][0]["locked_block"],
        }
    ]
    steps = [e["event"] for e in job["timeline"]]
    assert steps == ["JobPosted", "JobLocked", "ResultRevealed", "JobProvisional", "WorkerPaid", "JobSettled"]
    assert all(e["tx_hash"].startswith("0x") and len(e["tx_hash"]) == 66 and e["block"] > 0 for e in job["timeline"])
    assert job["timeline"][1]["says"] == f"slot 0 taken by {worker} at 10 AGR"
    assert job["timeline"][0]["args"]["escrow"] == str(10 * 10**18)  # beyond 2^53: a string
    assert [(m["kind"], m["amount"]) for m in job["settlements"]] == [("paid", "10")]

    missed = client.get(f"/v1/jobs/{hexid(chain['missed'])}").json()
    slashed = [m for m in missed["settlements"] if m["kind"] == "slashed"]
    assert slashed == [
        {
            "account": chain["actors"].workers[1].transactor.address,
            "kind": "slashed",
            "amount": "50",
            "reason": "deadline missed",
            "block": slashed[0]["block"],
            "tx_hash": slashed[0]["tx_hash"],
        }
    ]
    assert any(e["says"].endswith("slashed 50 AGR: deadline missed") for e in missed["timeline"])


def test_jobs_are_listed_newest_first_filtered_and_paged(client: TestClient, chain: Any) -> None:
    everything = client.get("/v1/jobs").json()
    ids = [j["job_id"] for j in everything["items"]]
    posted = [hexid(chain["done"]), hexid(chain["missed"]), *map(hexid, chain["open"])]
    assert ids == posted[::-1] and everything["next"] is None
    pages, cursor = [], None
    while True:
        page = client.get("/v1/jobs", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        pages.append([j["job_id"] for j in page["items"]])
        cursor = page["next"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [2, 2, 1] and sum(pages, []) == ids
    assert [j["job_id"] for j in client.get("/v1/jobs", params={"status": "open"}).json()["items"]] == [
        hexid(j) for j in chain["open"][::-1]
    ]
    worker = chain["actors"].workers[1].transactor.address.lower()
    assert [j["job_id"] for j in client.get("/v1/jobs", params={"worker": worker}).json()["items"]] == [
        hexid(chain["missed"])
    ]
    in_us = [j["job_id"] for j in client.get("/v1/jobs", params={"region": "us"}).json()["items"]]
    assert hexid(chain["eu"]) not in in_us and len(in_us) == 4
    assert hexid(chain["eu"]) in [j["job_id"] for j in client.get("/v1/jobs", params={"region": "eu"}).json()["items"]]
    requester = dev_account(1).address
    assert len(client.get("/v1/jobs", params={"requester": requester}).json()["items"]) == 5
    assert client.get("/v1/jobs", params={"requester": dev_account(2).address}).json() == {"items": [], "next": None}


@pytest.mark.parametrize(
    ("path", "status", "kind"),
    [
        ("/v1/jobs/0x" + "ab" * 32, 404, "job-not-found"),
        ("/v1/jobs/0x1234", 422, "invalid-request"),
        ("/v1/jobs?status=finished", 422, "invalid-request"),
        ("/v1/jobs?limit=0", 422, "invalid-request"),
        ("/v1/jobs?limit=100000", 422, "invalid-request"),
        ("/v1/jobs?requester=alice", 422, "invalid-request"),
        ("/v1/jobs?region=atlantis", 422, "unknown-region"),
        ("/v1/jobs?cursor=bm90LWEtY3Vyc29y", 400, "bad-cursor"),
        ("/v1/jobs?cursor=%%%", 400, "bad-cursor"),
        ("/v1/nothing", 404, "not-found"),
    ],
)
def test_every_error_is_a_problem(client: TestClient, path: str, status: int, kind: str) -> None:
    answer = client.get(path)
    assert answer.status_code == status
    assert answer.headers["content-type"] == PROBLEM
    body = answer.json()
    assert body["type"] == f"/problems/{kind}" and body["status"] == status and body["title"] and body["detail"]


def test_contracts_and_health(client: TestClient, chain: Any) -> None:
    contracts = client.get("/v1/contracts").json()
    assert contracts["chain_id"] == chain["deployment"].chain_id
    assert contracts["contracts"]["JobMarket"] == chain["deployment"].address("JobMarket")
    health = client.get("/healthz").json()
    assert health["ok"] and health["database"] and health["lag_blocks"] == 0
    assert client.post("/healthz").status_code == 405
    no_store = client.get(f"/v1/jobs/{hexid(chain['done'])}/result")  # this app runs without store nodes
    assert no_store.status_code == 503 and no_store.json()["type"] == "/problems/no-store"
    schema = client.get("/openapi.json").json()
    assert {"/v1/jobs", "/v1/jobs/{job_id}", "/v1/jobs/{job_id}/result", "/v1/contracts", "/healthz"} <= set(
        schema["paths"]
    )


def test_agora_api_serve_answers_over_http(served_chain: str, tmp_path: Path) -> None:
    """`agora api serve` as a process: it indexes the chain, then answers on its port."""
    w3 = connect(served_chain)
    home = tmp_path / "home"
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), home, audit_bps=0)
    port = free_port()
    env = {**os.environ, "AGORA_HOME": str(home), "AGORA_RPC_URL": served_chain}
    env.pop("AGORA_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "api", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            try:
                health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert health["ok"] and health["indexed_block"] is not None
        contracts = requests.get(f"http://127.0.0.1:{port}/v1/contracts", timeout=5).json()
        assert contracts["contracts"]["JobMarket"] == deployment.address("JobMarket")
        assert (home / "marketplace.sqlite").exists()
    finally:
        stop(proc)


def sse(text: str) -> list[dict[str, str]]:
    """The events of a server-sent event stream (comments left out)."""
    out = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if line and not line.startswith(":"))
        if fields:
            out.append(fields)
    return out


def test_a_jobs_events_stream_and_a_reconnect_misses_nothing(client: TestClient, chain: Any) -> None:
    path = f"/v1/jobs/{hexid(chain['done'])}/events"
    answer = client.get(path)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
    events = sse(answer.text)
    assert [e["event"] for e in events] == [
        "JobPosted", "JobLocked", "ResultRevealed", "JobProvisional", "WorkerPaid", "JobSettled"
    ]  # fmt: skip
    assert all(e["id"] for e in events)
    resumed = sse(client.get(path, headers={"Last-Event-ID": events[2]["id"]}).text)
    assert [e["id"] for e in resumed] == [e["id"] for e in events[3:]]
    assert client.get(path, headers={"Last-Event-ID": "yesterday"}).json()["type"] == "/problems/bad-event-id"
    assert client.get(f"/v1/jobs/0x{'cd' * 32}/events").status_code == 404


def test_settlements_and_workers(client: TestClient, chain: Any) -> None:
    everything = client.get("/v1/settlements").json()["items"]
    assert {m["kind"] for m in everything} == {"paid", "slashed", "refunded"}
    blocks = [m["block"] for m in everything]
    assert blocks == sorted(blocks, reverse=True)
    paged, cursor = [], None
    while True:
        page = client.get("/v1/settlements", params={"limit": 1, **({"cursor": cursor} if cursor else {})}).json()
        paged += page["items"]
        if (cursor := page["next"]) is None:
            break
    assert paged == everything
    honest, late = (w.transactor.address for w in chain["actors"].workers)
    assert [m["amount"] for m in client.get("/v1/settlements", params={"account": honest}).json()["items"]] == ["10"]
    slashed = client.get("/v1/settlements", params={"kind": "slashed"}).json()["items"]
    assert [(m["account"], m["reason"]) for m in slashed] == [(late, "deadline missed")]

    good = client.get(f"/v1/workers/{honest.lower()}").json()
    assert (good["jobs"], good["paid_jobs"], good["earned"], good["slashes"], good["reputation"]) == (
        1,
        1,
        "10",
        [],
        1.0,
    )
    assert good["stake_free"] is not None and good["address"] == honest
    bad = client.get(f"/v1/workers/{late}").json()
    assert (bad["jobs"], bad["paid_jobs"], bad["reputation"]) == (1, 0, 0.0)
    assert [s["reason"] for s in bad["slashes"]] == ["deadline missed"]
    assert client.get("/v1/workers/nobody").json()["type"] == "/problems/name-not-found"
    assert client.get("/v1/workers/0x" + "zz" * 20).status_code in (404, 422)
