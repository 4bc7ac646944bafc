"""`POST /v1/jobs` on SQLite and PostgreSQL: a signed request is checked, written before it is
acknowledged, relayed once, and the same request again is the same job; every bad request gets
its own problem and writes nothing."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
from eth_utils import keccak
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger import EmbeddedChain, JobMarket, JobStatus, Token, Transactor, connect, deploy, dev_account
from marketplace.api import RateLimit, create_app
from marketplace.db import make_engine, migrate
from marketplace.indexer import Indexer
from marketplace.intake import Intake, Relayer, RequestIn
from marketplace.models import IntakeRow
from marketplace.wire import request_json
from store import StoreClient, digest_of

from ..conftest import ROOT, free_port, stop
from .databases import database
from .market_helpers import AGR, chain_now, make_request
from .store_cluster import WRITER, start_cluster, stop_all

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
RELAYER = 9
REQUESTER = 1


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    w3 = connect(chain=EmbeddedChain())
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), tmp_path_factory.mktemp("home"), audit_bps=0)
    requester = JobMarket(w3, deployment, Transactor(w3, dev_account(REQUESTER)))
    Token(w3, deployment, Transactor(w3, dev_account(0))).faucet(dev_account(REQUESTER).address, 1_000 * AGR)
    requester.deposit(100 * AGR)
    nodes = start_cluster(tmp_path_factory.mktemp("store"), ["eu", "eu", "eu"], writers=WRITER.address)
    try:
        with StoreClient([n.url for n in nodes], k=2, m=1, signer=WRITER) as store:
            program, data = digest_of(store.put(b"\0asm program bytes")), digest_of(store.put(b"input"))
        yield {
            "w3": w3,
            "deployment": deployment,
            "nodes": nodes,
            "program": program,
            "input": data,
            "requester": requester,
        }
    finally:
        stop_all(nodes)


@pytest.fixture(params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, world: dict[str, Any], tmp_path: Path) -> Iterator[dict[str, Any]]:
    with database(request.param, tmp_path) as url:
        engine = make_engine(url)
        migrate(engine)
        w3, deployment = world["w3"], world["deployment"]
        market = JobMarket(w3, deployment, Transactor(w3, dev_account(RELAYER)))
        store = StoreClient([n.url for n in world["nodes"]], k=2, m=1)
        intake = Intake(engine, market, dev_account(RELAYER).address, store)
        app = create_app(engine, w3=w3, deployment=deployment, indexer=Indexer(w3, deployment, engine), intake=intake)
        with TestClient(app) as client:
            yield {"client": client, "engine": engine, "relayer": Relayer(engine, market), "market": market, "app": app}
        store.close()
        engine.dispose()


def signed(
    world: dict[str, Any],
    *,
    signer: int = REQUESTER,
    chain_id: int | None = None,
    market: str | None = None,
    **terms: Any,
) -> dict[str, Any]:
    """A k=1 request naming the stored program and input (unless ``terms`` say otherwise), signed."""
    terms = {"program_id": world["program"], "input_digest": world["input"], **terms}
    request = make_request(world["w3"], k=1, q=1, **terms)
    signature = request.sign(
        dev_account(signer),
        chain_id=chain_id or world["deployment"].chain_id,
        market=market or world["deployment"].address("JobMarket"),
    )
    return {
        "request": request_json(request),
        "signature": "0x" + signature.hex(),
        "job_id": "0x" + request.struct_hash().hex(),
    }


def body(submission: dict[str, Any]) -> dict[str, Any]:
    return {"request": submission["request"], "signature": submission["signature"]}


def written(api: dict[str, Any]) -> int:
    with Session(api["engine"]) as s:
        return s.scalar(select(func.count()).select_from(IntakeRow)) or 0


def test_a_request_is_written_acknowledged_relayed_once_and_the_same_again_is_the_same_job(
    api: dict[str, Any], world: dict[str, Any]
) -> None:
    client = api["client"]
    one = signed(world)
    answer = client.post("/v1/jobs", json=body(one))
    assert answer.status_code == 202
    assert answer.json() == {"job_id": one["job_id"], "status": "accepted", "escrow": "10"}
    assert written(api) == 1
    assert client.get(f"/v1/jobs/{one['job_id']}").json()["status"] == "accepted"
    again = client.post("/v1/jobs", json=body(one))
    assert again.status_code == 202 and again.json()["job_id"] == one["job_id"] and written(api) == 1
    assert api["relayer"].step() == 1
    assert api["relayer"].step() == 0  # nothing left: never posted twice
    job_id = bytes.fromhex(one["job_id"][2:])
    assert api["market"].job(job_id).status == JobStatus.OPEN
    assert client.post("/v1/jobs", json=body(one)).json()["status"] == "posted"
    with Session(api["engine"]) as s:
        row = s.scalar(select(IntakeRow))
        assert row is not None and row.status == "posted" and row.tx_hash is not None


def problem_of(answer: Any) -> str:
    assert answer.headers["content-type"] == "application/problem+json", answer.text
    return str(answer.json()["type"]).removeprefix("/problems/")


def high_s(signature: str) -> str:
    raw = bytes.fromhex(signature[2:])
    r, s, v = raw[:32], int.from_bytes(raw[32:64], "big"), raw[64]
    return "0x" + (r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])).hex()  # the same signature, high s


@pytest.mark.parametrize("stored", [True, False], ids=["blobs stored", "program on no node"])
def test_a_job_already_on_chain_is_answered_posted_whatever_else_is_wrong(
    api: dict[str, Any], world: dict[str, Any], stored: bool
) -> None:
    """Posted by someone else before this API saw it (even naming a program no node holds): the
    answer is the job, posted, and nothing is written for the relayer."""
    terms = {} if stored else {"program_id": keccak(b"stored nowhere")}
    one = signed(world, **terms)
    world["requester"].relay(RequestIn.model_validate(one["request"]).to_request(), bytes.fromhex(one["signature"][2:]))
    before = written(api)
    answer = api["client"].post("/v1/jobs", json=body(one))
    assert (answer.status_code, answer.json()["status"], answer.json()["job_id"]) == (200, "posted", one["job_id"])
    assert written(api) == before


@pytest.mark.parametrize(
    ("case", "status", "kind"),
    [
        ("wrong signer", 400, "invalid-signature"),
        ("high s", 400, "invalid-signature"),
        ("another chain id", 400, "invalid-signature"),
        ("another contract", 400, "invalid-signature"),
        ("expired", 422, "request-expired"),
        ("replayed nonce", 409, "nonce-used"),
        ("malformed hex", 422, "invalid-request"),
        ("nonce false", 422, "invalid-request"),
        ("unknown field", 422, "invalid-request"),
        ("program not stored", 422, "blob-not-found"),
        ("no reveal window", 422, "invalid-terms"),
        ("deposit too small", 402, "insufficient-deposit"),
        ("not json", 400, "malformed-json"),
        ("nested too deep", 400, "malformed-json"),
        ("too large", 413, "too-large"),
    ],
)
def test_a_bad_request_gets_its_own_problem_and_writes_nothing(
    api: dict[str, Any], world: dict[str, Any], case: str, status: int, kind: str
) -> None:
    client, now = api["client"], int(world["w3"].eth.get_block("latest")["timestamp"])
    raw: bytes | None = None
    if case == "wrong signer":
        sub = body(signed(world, signer=3))
    elif case == "high s":
        sub = body(signed(world))
        sub["signature"] = high_s(sub["signature"])
    elif case == "another chain id":
        sub = body(signed(world, chain_id=1))
    elif case == "another contract":
        sub = body(signed(world, market=world["deployment"].address("Court")))
    elif case == "expired":
        sub = body(signed(world, expiry=now - 1))
    elif case == "replayed nonce":
        used = signed(world, nonce=424242)
        if not world["requester"].nonce_used(dev_account(REQUESTER).address, 424242):
            posted = RequestIn.model_validate(used["request"]).to_request()
            world["requester"].relay(posted, bytes.fromhex(used["signature"][2:]))
        sub = body(signed(world, nonce=424242, max_price=9 * AGR))  # other terms, the same nonce
    elif case == "malformed hex":
        sub = body(signed(world))
        sub["request"]["program_id"] = "0xzz" + sub["request"]["program_id"][4:]
    elif case == "nonce false":
        sub = body(signed(world))
        sub["request"]["nonce"] = False
    elif case == "unknown field":
        sub = body(signed(world))
        sub["request"]["tip"] = 1
    elif case == "program not stored":
        sub = body(signed(world, program_id=keccak(b"nothing stored")))
    elif case == "no reveal window":
        sub = body(signed(world, reveal_deadline=now + 7200))  # equal to the commit deadline
    elif case == "deposit too small":
        sub = body(signed(world, max_price=500 * AGR, collateral=2_000 * AGR))
    elif case == "not json":
        raw = b'{"request": '
    elif case == "nested too deep":
        raw = b"[" * 5_000 + b"]" * 5_000
    else:
        raw = orjson.dumps({"request": {}, "signature": "0x" + "00" * 65, "pad": "x" * 70_000})
    before = written(api)
    if raw is None:
        answer = client.post("/v1/jobs", json=sub)
    else:
        answer = client.post("/v1/jobs", content=raw, headers={"content-type": "application/json"})
    assert answer.status_code == status, answer.text
    assert problem_of(answer) == kind
    assert written(api) == before
    if kind in ("invalid-signature", "request-expired", "nonce-used", "invalid-terms", "insufficient-deposit"):
        assert answer.json()["error"]  # the contract's error by name, with its arguments
    if kind == "insufficient-deposit":  # amounts beyond 2^53 as decimal strings, as a browser reads them exactly
        assert isinstance(answer.json()["args"]["needed"], str) and int(answer.json()["args"]["needed"]) > 2**53


def test_requests_not_yet_posted_count_against_the_deposit(api: dict[str, Any], world: dict[str, Any]) -> None:
    client = api["client"]
    deposit = world["requester"].balance_of(dev_account(REQUESTER).address)
    big = int(deposit * 0.6) // AGR * AGR
    first = client.post("/v1/jobs", json=body(signed(world, max_price=big, min_price=AGR, collateral=4 * big)))
    assert first.status_code == 202
    second = client.post("/v1/jobs", json=body(signed(world, max_price=big, min_price=AGR, collateral=4 * big)))
    assert second.status_code == 402 and problem_of(second) == "insufficient-deposit"
    assert "requests not yet posted hold" in second.json()["detail"]


def test_a_request_the_market_refuses_when_relayed_is_reported(api: dict[str, Any], world: dict[str, Any]) -> None:
    """Accepted, then its expiry passes before the relayer posts it: failed, with the contract's
    error by name on the job."""
    client = api["client"]
    one = signed(world, expiry=chain_now(world["w3"]) + 20)
    assert client.post("/v1/jobs", json=body(one)).status_code == 202
    world["w3"].provider.make_request("evm_increaseTime", [120])
    world["w3"].provider.make_request("evm_mine", [])
    assert api["relayer"].step() == 1
    job = client.get(f"/v1/jobs/{one['job_id']}").json()
    assert job["status"] == "failed" and job["relay_error"]["error"] == "RequestExpired"


def test_a_request_its_requester_cancels_before_it_is_relayed_is_never_posted(
    api: dict[str, Any], world: dict[str, Any]
) -> None:
    """`agora job cancel`: the requester burns the nonce of a request the API holds; the relayer
    can then never post it, and the job says so by the contract error's name."""
    client = api["client"]
    one = signed(world)
    assert client.post("/v1/jobs", json=body(one)).status_code == 202
    job = client.get(f"/v1/jobs/{one['job_id']}").json()
    assert job["status"] == "accepted" and job["nonce"] == str(one["request"]["nonce"])
    world["requester"].cancel_nonce(int(job["nonce"]))
    before = world["requester"].balance_of(dev_account(REQUESTER).address)
    assert api["relayer"].step() == 1
    job = client.get(f"/v1/jobs/{one['job_id']}").json()
    assert job["status"] == "failed" and job["relay_error"]["error"] == "NonceUsed"
    assert world["requester"].job(bytes.fromhex(one["job_id"][2:])).status == JobStatus.NONE
    assert world["requester"].balance_of(dev_account(REQUESTER).address) == before  # nothing escrowed


def test_the_relayer_posts_a_batch_in_one_transaction_and_reports_what_the_market_refused(
    api: dict[str, Any], world: dict[str, Any]
) -> None:
    """Five accepted requests, one of which expires before it is relayed: one transaction posts
    the four (each the job its request names), the fifth fails with the market's own error."""
    client = api["client"]
    world["requester"].deposit(50 * AGR)  # the module's requester pays for every test's jobs
    batch = [signed(world) for _ in range(4)]
    late = signed(world, expiry=chain_now(world["w3"]) + 20)
    for one in [*batch[:2], late, *batch[2:]]:
        assert client.post("/v1/jobs", json=body(one)).status_code == 202
    world["w3"].provider.make_request("evm_increaseTime", [120])
    world["w3"].provider.make_request("evm_mine", [])
    before = world["w3"].eth.block_number
    assert api["relayer"].step() == 5
    assert world["w3"].eth.block_number == before + 1  # one transaction
    with Session(api["engine"]) as s:
        rows = {r.job_id: r for r in s.scalars(select(IntakeRow))}
    assert len({rows[one["job_id"]].tx_hash for one in batch}) == 1
    for one in batch:
        assert rows[one["job_id"]].status == "posted"
        assert api["market"].job(bytes.fromhex(one["job_id"][2:])).status == JobStatus.OPEN
    assert rows[late["job_id"]].status == "failed" and rows[late["job_id"]].error["error"] == "RequestExpired"
    assert api["market"].job(bytes.fromhex(late["job_id"][2:])).status == JobStatus.NONE
    assert api["relayer"].step() == 0


def test_too_many_requests_are_refused_with_retry_after(world: dict[str, Any], tmp_path: Path) -> None:
    with database("sqlite", tmp_path) as url:
        engine = make_engine(url)
        migrate(engine)
        market = JobMarket(world["w3"], world["deployment"], Transactor(world["w3"], dev_account(RELAYER)))
        intake = Intake(engine, market, dev_account(RELAYER).address, None)
        app = create_app(engine, intake=intake, per_ip=RateLimit(rate=0.01, burst=2))
        with TestClient(app) as client:
            answers = [client.post("/v1/jobs", json=body(signed(world))) for _ in range(3)]
        assert [a.status_code for a in answers[:2]] == [202, 202]
        assert answers[2].status_code == 429 and problem_of(answers[2]) == "rate-limited"
        assert int(answers[2].headers["retry-after"]) >= 1


@pytest.mark.slow
def test_every_acknowledged_request_is_posted_once_though_the_api_is_killed(served_chain: str, tmp_path: Path) -> None:
    """`agora api serve` as a process, SIGKILLed at random moments while requests stream in, then
    started again: every request it answered 202 ends on chain, each once."""
    w3 = connect(served_chain)
    home = tmp_path / "home"
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), home, audit_bps=0)
    requester = JobMarket(w3, deployment, Transactor(w3, dev_account(REQUESTER)))
    if requester.balance_of(dev_account(REQUESTER).address) < 500 * AGR:
        Token(w3, deployment, Transactor(w3, dev_account(0))).faucet(dev_account(REQUESTER).address, 1_000 * AGR)
        requester.deposit(1_000 * AGR)
    env = {**os.environ, "AGORA_HOME": str(home), "AGORA_RPC_URL": served_chain}
    for name in ("AGORA_DATABASE_URL", "AGORA_STORE_NODES"):
        env.pop(name, None)
    port = free_port()
    world = {"w3": w3, "deployment": deployment, "program": b"\x01" * 32, "input": b"\x02" * 32}

    def serve() -> subprocess.Popen[bytes]:
        cmd = [sys.executable, "-m", "cli", "api", "serve", "--port", str(port), "--from", f"dev:{RELAYER}"]
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    acknowledged: set[str] = set()
    rng = random.Random(7)
    for _round in range(3):
        proc = serve()
        try:
            deadline, killed_at = time.monotonic() + 60, None
            while killed_at is None:
                assert time.monotonic() < deadline and proc.poll() is None
                try:
                    answer = requests.post(f"http://127.0.0.1:{port}/v1/jobs", json=body(signed(world)), timeout=5)
                except requests.ConnectionError:
                    time.sleep(0.1)  # not up yet
                    continue
                assert answer.status_code == 202, answer.text
                acknowledged.add(answer.json()["job_id"])
                if rng.random() < 0.2:
                    killed_at = time.monotonic()
                    proc.kill()  # at once after an answer: its relaying may not have begun
        finally:
            proc.kill()
            proc.wait()
    proc = serve()  # the last start relays whatever the killed ones left
    try:
        deadline = time.monotonic() + 60
        while pending := [j for j in acknowledged if requester.job(bytes.fromhex(j[2:])).status == JobStatus.NONE]:
            assert time.monotonic() < deadline, f"{len(pending)} acknowledged requests never posted"
            time.sleep(0.5)
    finally:
        stop(proc)
    posted = JobMarket(w3, deployment).contract.events.JobPosted().get_logs(from_block=deployment.block)
    ids = ["0x" + bytes(e["args"]["jobId"]).hex() for e in posted]
    assert acknowledged <= set(ids) and len(ids) == len(set(ids))  # each on chain, once
    assert len(acknowledged) >= 3
