"""The market read through the API's insight endpoints, on SQLite and PostgreSQL: workers that
publish different terms from a real worker's start, quotes that some of them decline for each
reason, a job nobody locks explained, a slashed worker explained, the workers, names and programs
listed, and /metrics counting the requests. Workers publishing garbage, huge records or a
resolver that never returns break nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from web3 import Web3

from ledger import (
    Deployment,
    EmbeddedChain,
    JobMarket,
    Names,
    StakeManager,
    Token,
    Transactor,
    artifact,
    connect,
    deploy,
    dev_account,
    format_time,
    namehash,
    region_index,
    regions_mask,
)
from marketplace.api import RateLimit, create_app
from marketplace.db import make_engine, migrate
from marketplace.indexer import Indexer
from store import StoreClient
from worker import BidPolicy, Worker, WorkerConfig

from .databases import database
from .market_helpers import fund_actors, make_request, post

AGR = 10**18
PROGRAM = b"\x5a" * 32
NODES = ["http://127.0.0.1:7001"]
LOOP = bytes.fromhex("635b6000566000526004601cf3")
"""Init code of a contract whose every call loops forever (runtime code JUMPDEST PUSH1 0 JUMP)."""


def start_worker(w3: Web3, deployment: Deployment, n: int, home: Path, **terms: Any) -> str:
    """A real worker's start (name, records, stake) for dev account ``n``; no Ray, no store."""
    name, stake, region, max_blob = terms.pop("name"), terms.pop("stake"), terms.pop("region"), terms.pop("max_blob")
    config = WorkerConfig(
        name=name,
        state_dir=home / name,
        store_nodes=NODES,
        stake=stake * AGR,
        region=region_index(region),
        policy=BidPolicy(region=region_index(region), **terms),
        max_blob=max_blob,
    )
    daemon = Worker(w3, deployment, dev_account(n), config, store=StoreClient(NODES), executor=None)  # type: ignore[arg-type]
    daemon.setup(lambda _message: None)
    daemon.close()
    return str(dev_account(n).address)


def stake(w3: Web3, deployment: Deployment, n: int, region: str) -> Transactor:
    me = Transactor(w3, dev_account(n))
    Token(w3, deployment, Transactor(w3, dev_account(0))).faucet(me.address, 200 * AGR)
    StakeManager(w3, deployment, me).stake(200 * AGR, region_index(region))
    return me


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Workers: cheap (2 AGR, eu), pricey (12 AGR, us), small (4 AGR, eu, 1,000 fuel, one at a
    time, 120 AGR stake, busy), junk (garbage records, jp), loop (its resolver never returns), and
    an account that staked without a name. Jobs: one whose worker was slashed, one busying small,
    one allowed only in ch, one in eu on a ramp, one provisional (pricey's), one disputed (loop's
    and the nameless account's reveals differ)."""
    w3 = connect(chain=EmbeddedChain())
    home = tmp_path_factory.mktemp("insight")
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), home, audit_bps=0, min_commitment_age=0)
    actors = fund_actors(w3, deployment, workers=0)
    cheap = start_worker(w3, deployment, 2, home, name="cheap", stake=200, region="eu", min_price=2 * AGR,
                         max_blob=1 << 20)  # fmt: skip
    pricey = start_worker(w3, deployment, 3, home, name="pricey", stake=200, region="us", min_price=12 * AGR,
                          max_blob=1 << 20)  # fmt: skip
    small = start_worker(w3, deployment, 4, home, name="small", stake=120, region="eu", min_price=4 * AGR,
                         max_fuel=1_000, max_concurrent=1, max_blob=1 << 20)  # fmt: skip
    junk = stake(w3, deployment, 5, "jp")
    names = Names(w3, deployment, junk)
    names.register("junk")
    names.set_reverse("junk.agora")
    for key, value in {"agora.minPrice": "1" * 4_000, "agora.maxFuel": "-5", "agora.capacity": "lots"}.items():
        names.set_text("junk", key, value)
    loop = stake(w3, deployment, 6, "eu")
    names = Names(w3, deployment, loop)
    names.register("loop")
    names.set_reverse("loop.agora")
    looping = loop.send(to=None, data=LOOP)["contractAddress"]
    registry = w3.eth.contract(address=deployment.address("NameRegistry"), abi=artifact("NameRegistry")["abi"])
    loop.send(to=registry.address, data=registry.encode_abi("setResolver", args=[namehash("loop.agora"), looping]))
    stake(w3, deployment, 7, "eu")

    slashed = post(actors, make_request(w3, k=1, q=1, ramp=0, program_id=PROGRAM))
    JobMarket(w3, deployment, Transactor(w3, dev_account(2))).lock(slashed)
    w3.provider.make_request("evm_increaseTime", [4 * 3600])  # type: ignore[attr-defined]
    actors.requester.expire(slashed)
    busy = post(actors, make_request(w3, k=1, q=1, ramp=0, fuel_limit=500, program_id=PROGRAM))
    JobMarket(w3, deployment, Transactor(w3, dev_account(4))).lock(busy)
    nobody = post(actors, make_request(w3, k=3, q=2, regions=regions_mask(["ch"])))
    ramping = post(actors, make_request(w3, k=3, q=2, regions=regions_mask(["eu"])))
    provisional = post(actors, make_request(w3, k=1, q=1, ramp=0))
    by_pricey = JobMarket(w3, deployment, Transactor(w3, dev_account(3)))
    by_pricey.lock(provisional)
    by_pricey.reveal(provisional, 0, b"\x11" * 32, b"\x22" * 32, b"\x33" * 32)
    disputed = post(actors, make_request(w3, k=2, q=2, ramp=0))
    pair = [(JobMarket(w3, deployment, Transactor(w3, dev_account(n))), bytes([n]) * 32) for n in (6, 7)]
    for worker, _digest in pair:
        worker.lock(disputed)
    for slot, (worker, digest) in enumerate(pair):
        worker.commit(disputed, slot, digest, b"\x05" * 32)
    for slot, (worker, digest) in enumerate(pair):
        worker.reveal(disputed, slot, digest, b"\x05" * 32, b"\x06" * 32)
    return {
        "w3": w3,
        "deployment": deployment,
        "cheap": cheap,
        "pricey": pricey,
        "small": small,
        "junk": junk.address,
        "loop": loop.address,
        "slashed": "0x" + slashed.hex(),
        "busy": "0x" + busy.hex(),
        "nobody": "0x" + nobody.hex(),
        "ramping": "0x" + ramping.hex(),
        "provisional": "0x" + provisional.hex(),
        "disputed": "0x" + disputed.hex(),
    }


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def client(
    request: pytest.FixtureRequest, market: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    with database(request.param, tmp_path_factory.mktemp("db")) as url:
        engine = make_engine(url)
        migrate(engine)
        indexer = Indexer(market["w3"], market["deployment"], engine)
        indexer.catch_up()
        unlimited = RateLimit(rate=1e9, burst=10**9)
        app = create_app(engine, w3=market["w3"], deployment=market["deployment"], indexer=indexer, per_ip=unlimited)
        with TestClient(app) as test_client:
            yield test_client
        engine.dispose()


def quote(client: TestClient, **terms: Any) -> Any:
    answer = client.post("/v1/jobs/quote", json={"program_id": "0x" + PROGRAM.hex(), **terms})
    assert answer.status_code == 200, answer.text
    return answer.json()


def by_name(answer: Any) -> dict[str, Any]:
    return {w["name"]: w for w in answer["workers"]}


def test_a_quote_says_who_would_take_it_why_the_others_would_not_and_when(client: TestClient, market: Any) -> None:
    answer = quote(client)  # new_request's defaults: 1..10 AGR over 600 s, k=3, q=2, 10^6 fuel, 50 AGR collateral
    assert (answer["staked"], answer["registered"], answer["eligible"]) == (6, 4, 2)
    workers = by_name(answer)
    assert set(workers) == {"cheap.agora", "pricey.agora", "small.agora", "junk.agora"}  # loop: unverifiable
    assert [d["kind"] for d in workers["pricey.agora"]["declines"]] == ["price"]
    assert "takes at least 12 AGR, above the maximum of 10 AGR" in workers["pricey.agora"]["declines"][0]["says"]
    assert sorted(d["kind"] for d in workers["small.agora"]["declines"]) == ["capacity", "fuel"]
    assert workers["small.agora"]["busy"] == 1
    assert workers["junk.agora"] == {**workers["junk.agora"], "eligible": True, "terms_published": False}
    # the ask 1 + 9 t / 600 reaches cheap's 2 AGR after ceil(600 / 9) = 67 s; junk published no minimum
    assert workers["cheap.agora"]["lock_after"] == 67 and workers["junk.agora"]["lock_after"] == 0
    assert (answer["seconds_to_first"], answer["seconds_to_quorum"], answer["seconds_to_full"]) == (0, 67, None)
    assert answer["quorum_before_lock_deadline"] is True
    assert answer["declines"] == {"price": 1, "fuel": 1, "capacity": 1}
    assert answer["summary"] == "2 of 4 registered workers would take it; the ask reaches 2 of them 67 s after posting."
    assert [p["price"] for p in answer["clearing_prices"]] == ["10", "10"]  # both jobs of PROGRAM locked at the max
    assert answer["clearing_prices"][0]["job_id"] == market["busy"] and answer["median_clearing_price"] == "10"
    assert answer["terms"]["collateral"] == "50" and answer["terms"]["regions"] == []


def test_a_quote_names_each_reason_a_worker_declines(client: TestClient) -> None:
    nowhere = quote(client, regions=["ch"])
    assert nowhere["eligible"] == 0 and nowhere["declines"]["region"] == 4
    assert "no worker is in the allowed regions ch" in nowhere["reasons"]
    assert nowhere["summary"] == "None of the 4 registered workers would take it."
    assert nowhere["seconds_to_quorum"] is None and nowhere["quorum_before_lock_deadline"] is False
    says = by_name(nowhere)["junk.agora"]["declines"][0]["says"]
    assert says == "is in jp, not in the allowed ch"

    # cheap lost 50 of its 200 AGR to its slash; small holds 120
    heavy = quote(
        client, collateral=str(160 * AGR), fuel_limit=900, max_price=str(20 * AGR), regions=regions_mask(["eu"])
    )
    workers = by_name(heavy)
    assert [d["kind"] for d in workers["cheap.agora"]["declines"]] == ["stake"]
    assert (
        "has 150 AGR of free stake, less than the collateral of 160 AGR"
        in workers["cheap.agora"]["declines"][0]["says"]
    )
    assert sorted(d["kind"] for d in workers["small.agora"]["declines"]) == ["capacity", "stake"]  # fuel 900 fits
    # 12 AGR fits under 20, but pricey is in us, and 50 of its 200 AGR back its provisional job
    assert [d["kind"] for d in workers["pricey.agora"]["declines"]] == ["region", "stake"]
    assert heavy["eligible"] == 0 and heavy["summary"].startswith("None of the 4")


@pytest.mark.parametrize(
    ("body", "status", "kind"),
    [
        ({"max_price": "1" + "0" * 40}, 422, "invalid-request"),
        ({"redundancy": 1000}, 422, "invalid-request"),
        ({"ramp": -1}, 422, "invalid-request"),
        ({"fuel_limit": 2**64}, 422, "invalid-request"),
        ({"regions": ["x"] * 40}, 422, "unknown-region"),
        ({"regions": ["atlantis"]}, 422, "unknown-region"),
        ({"nonce": 1}, 422, "invalid-request"),
        ({"redundancy": True}, 422, "invalid-request"),
        ({"min_price": str(11 * AGR)}, 422, "invalid-terms"),
        ({"quorum": 5}, 422, "invalid-terms"),
        ({"lock_deadline": 1}, 422, "invalid-terms"),
    ],
)
def test_an_absurd_quote_is_refused_as_a_problem(
    client: TestClient, body: dict[str, Any], status: int, kind: str
) -> None:
    answer = client.post("/v1/jobs/quote", json={"program_id": "0x" + PROGRAM.hex(), **body})
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == f"/problems/{kind}"


def test_a_hostile_quote_body_is_refused_before_it_is_parsed(client: TestClient) -> None:
    deep = client.post("/v1/jobs/quote", content=b"[" * 5_000 + b"]" * 5_000)
    assert deep.status_code in (400, 413) and deep.json()["type"] in ("/problems/malformed-json", "/problems/too-large")
    nested = client.post("/v1/jobs/quote", content=b"[" * 2_000 + b"]" * 2_000)
    assert nested.status_code == 400 and nested.json()["type"] == "/problems/malformed-json"
    huge = client.post("/v1/jobs/quote", content=orjson.dumps({"program_id": "0x" + "ab" * 40_000}))
    assert huge.status_code == 413 and huge.json()["type"] == "/problems/too-large"


def test_explain_says_why_nobody_locks_a_job(client: TestClient, market: Any) -> None:
    nobody = client.get(f"/v1/jobs/{market['nobody']}/explain").json()
    assert nobody["status"] == "open"
    assert nobody["summary"] == "No lock yet: none of the 4 registered workers would take it."
    assert "no worker is in the allowed regions ch" in nobody["reasons"]
    assert nobody["reasons"][0].startswith("the ask is ") and nobody["next"].startswith("locking closes at ")
    assert nobody["figures"]["registered"] == 4 and nobody["figures"]["eligible"] == 0

    ramping = client.get(f"/v1/jobs/{market['ramping']}/explain").json()
    figures = ramping["figures"]
    assert figures["eligible"] == 1 and figures["min_prices"] == ["2", "2"]  # only cheap: small is busy, junk in jp
    assert "only 1 would take it, fewer than its quorum of 2" in ramping["reasons"]
    assert any(r.startswith("1 worker is busy") for r in ramping["reasons"])
    if figures["quorum_in"] > 0:  # the chain's clock moves on: 67 s after posting the ask is there
        assert ramping["summary"].startswith("No lock yet: the ask is ")
        assert ramping["summary"].endswith(f"it reaches 2 AGR in {figures['quorum_in']:,} s.")
    assert ramping["next_at"] == figures["lock_deadline"]


def test_explain_says_why_a_worker_was_slashed_and_what_a_job_waits_for(client: TestClient, market: Any) -> None:
    slashed = client.get(f"/v1/jobs/{market['slashed']}/explain").json()
    assert slashed["status"] == "expired" and slashed["next"] == "nothing: it is final"
    [slash] = slashed["slashes"]
    assert (slash["worker"], slash["name"], slash["amount"], slash["reason"]) == (
        market["cheap"],
        "cheap.agora",
        "50",
        "deadline missed",
    )
    assert f"{market['cheap']} (cheap.agora) was slashed 50 AGR for deadline missed: it took a slot but committed" in (
        " ".join(slashed["reasons"])
    )
    busy = client.get(f"/v1/jobs/{market['busy']}/explain").json()
    assert busy["summary"] == "Waiting for results: 0 of 1 slots committed."
    assert busy["next_at"] == busy["figures"]["commit_deadline"]
    provisional = client.get(f"/v1/jobs/{market['provisional']}/explain").json()
    assert provisional["summary"] == "Provisional: 1 slot agreed on 0x11111111…."
    assert provisional["next_at"] == provisional["figures"]["final_after"] > provisional["figures"]["reveal_deadline"]
    assert provisional["next"].startswith(f"final after {format_time(provisional['next_at'])} (in ")
    disputed = client.get(f"/v1/jobs/{market['disputed']}/explain").json()
    assert (disputed["status"], disputed["summary"]) == ("disputed", "Disputed: the court decides its result.")
    assert any(r.startswith("round 0 was scheduled") for r in disputed["reasons"]), disputed["reasons"]
    assert disputed["next"].startswith("anyone draws round 0 once block ")
    missing = client.get("/v1/jobs/0x" + "ef" * 32 + "/explain")
    assert missing.status_code == 404 and missing.json()["type"] == "/problems/job-not-found"


def test_workers_are_listed_with_their_terms_and_paged(client: TestClient, market: Any) -> None:
    items = client.get("/v1/workers").json()["items"]
    assert [w["address"] for w in items] == [
        dev_account(n).address for n in (7, 6, 5, 4, 3, 2)
    ]  # newest first, by first stake
    cheap = items[-1]
    assert (cheap["name"], cheap["registered"], cheap["region"], cheap["stake_free"]) == (
        "cheap.agora",
        True,
        "eu",
        "150",
    )
    assert cheap["terms"] == {
        "min_price": "2",
        "max_fuel": 10**11,
        "max_blob": 1 << 20,
        "capacity": 2,
        "regions": ["eu"],
    }
    assert (cheap["jobs"], cheap["paid_jobs"], cheap["slashes"], cheap["reputation"]) == (1, 0, 1, 0.0)
    junk = items[2]
    assert junk["terms"] == {"min_price": None, "max_fuel": None, "max_blob": None, "capacity": None, "regions": None}
    assert (items[1]["name"], items[1]["registered"]) == (None, False)  # loop: its resolver never answers
    assert (items[0]["name"], items[0]["reputation"]) == (None, None)
    paged, cursor = [], None
    while True:
        page = client.get("/v1/workers", params={"limit": 4, **({"cursor": cursor} if cursor else {})}).json()
        paged += page["items"]
        if (cursor := page["next"]) is None:
            break
    assert paged == items
    assert client.get("/v1/workers", params={"cursor": "bm9wZQ=="}).json()["type"] == "/problems/bad-cursor"


def test_names_and_programs(client: TestClient, market: Any) -> None:
    cheap = client.get("/v1/names/cheap").json()
    assert (cheap["name"], cheap["owner"], cheap["address"]) == ("cheap.agora", market["cheap"], market["cheap"])
    assert cheap["text"]["agora.minPrice"] == "2" and cheap["text"]["region"] == "eu" and cheap["contenthash"] is None
    assert cheap["node"] == "0x" + namehash("cheap.agora").hex()
    loop = client.get("/v1/names/loop.agora").json()
    assert (loop["owner"], loop["address"], loop["text"]) == (market["loop"], None, {})
    assert client.get("/v1/names/nobody").json()["type"] == "/problems/name-not-found"
    assert client.get("/v1/names/Not%20a%20name").status_code == 422

    programs = client.get("/v1/programs").json()
    first = programs["items"][-1]  # PROGRAM's jobs were posted first
    assert (first["program_id"], first["jobs"], first["last_clearing_price"]) == ("0x" + PROGRAM.hex(), 2, "10")
    assert len(programs["items"]) == 5 and programs["next"] is None
    paged = client.get("/v1/programs", params={"limit": 3}).json()
    rest = client.get("/v1/programs", params={"limit": 3, "cursor": paged["next"]}).json()
    assert paged["items"] + rest["items"] == programs["items"] and rest["next"] is None


def test_metrics_count_requests_by_route_and_status(client: TestClient, market: Any) -> None:
    for _ in range(2):
        client.get(f"/v1/jobs/{market['busy']}/explain")
    client.get("/v1/no/such/route")
    text = client.get("/metrics").text
    assert 'agora_http_requests_total{method="GET",route="/v1/jobs/{job_id}/explain",status="200"}' in text
    assert 'agora_http_requests_total{method="GET",route="unmatched",status="404"} ' in text
    assert (
        'agora_http_request_duration_seconds_bucket{method="GET",route="/v1/jobs/{job_id}/explain",status="200",le="+Inf"}'
        in text
    )
    assert "\nagora_relay_backlog 0\n" in text and "\nagora_indexer_lag_blocks " in text
    assert "# TYPE agora_http_request_duration_seconds histogram" in text
