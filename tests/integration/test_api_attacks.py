"""The API's newest paths attacked, on one embedded chain, real store node processes, SQLite and
the API served by the guarded uvicorn server (store/_serve.py) in this process.

Each test is one attack and asserts the safe behaviour. An attack that works today is marked
``xfail(strict=True)`` with what it does: the test fails (as expected) while the hole is open and
turns into an unexpected pass, failing the suite, once it is closed, so the mark must go with the
fix. Attacks that are defended are plain tests.

Who attacks what:
- uploaders (``POST /v1/blobs``): a second upload at once, replayed and lying headers, bodies that
  are not their CID's (stored but never charged), dust deposits, stalled bodies that hold the
  API's threads;
- readers (``GET /v1/blobs/{cid}``): odd ``Range`` headers;
- workers (``GET /v1/jobs/{id}/result``): a slot that reveals the agreed digest with a run record
  that lies (another digest, over 1 KiB, deeply nested, an output that is nowhere, an output
  manifest that claims the right blob but holds other bytes);
- requesters (the relayer): cancelling a nonce after the API acknowledged it, in a batch with
  others' requests;
- anyone (``/metrics``): many distinct unknown paths and methods;
- stakers (quotes, explanations, workers): a resolver that answers garbage, stake put in and
  taken out again to crowd the workers a quote looks at;
- a hostile API (marketplace.client): endless event-stream lines and events, a huge error body,
  an output that is not the one its headers describe.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import uvicorn
from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from sqlalchemy.orm import Session

from compute import DEFAULT_OUTPUT, RunRecord, Status
from ledger import (
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
    namehash,
)
from marketplace.api import RateLimit, create_app
from marketplace.client import ApiClient, ApiError, blob_cid
from marketplace.db import make_engine, migrate
from marketplace.directory import Directory
from marketplace.indexer import Indexer
from marketplace.intake import Intake, Relayer
from marketplace.models import IntakeRow, UploadRow
from marketplace.wire import request_json
from store import Manifest, NodeLimits, Segment, ShardRef, StoreClient, authorization, cid_of, digest_of
from store._serve import GuardedProtocol

from ..conftest import free_port
from .market_helpers import AGR, fund_actors, make_request
from .store_cluster import LiarNode, answer_with, start_cluster, stop_all

RELAYER = 9
REQUESTER = 1  # fund_actors: 10,000 AGR deposited; also the honest uploader
OTHER_REQUESTER = 4
HONEST_WORKER = 2  # fund_actors: workers are dev accounts 2 and 3, 1,000 AGR staked each
API_ID = bytes(range(32))
SEGMENT = 64 * 1024
QUOTA = 1_000_000
IDLE = 1.0
"""The server's idle timeout in these tests (seconds a client may send nothing)."""
STALLERS = min(32, (os.cpu_count() or 1) + 4)
"""Threads in the event loop's default executor, which runs every upload's store writer."""
RETURNS_ONE_BYTE = bytes.fromhex("6460016000f3600052" + "6005601bf3")
"""Init code of a contract whose every call returns one zero byte (runtime PUSH1 1 PUSH1 0 RETURN)."""


# -- the world ----------------------------------------------------------------------------------


def _funded(w3: Any, deployment: Any, *, deposit: int) -> LocalAccount:
    """A fresh account with gas and ``deposit`` wei of AGR deposited in the market."""
    account: LocalAccount = Account.create()
    owner = Transactor(w3, dev_account(0))
    owner.send(to=account.address, value=10**18)
    Token(w3, deployment, owner).faucet(account.address, deposit)
    JobMarket(w3, deployment, Transactor(w3, account)).deposit(deposit)
    return account


def _serve(app: Any) -> tuple[uvicorn.Server, threading.Thread, int]:
    """The app under the guarded protocol `agora api serve` uses, with a 1 s idle timeout."""
    limits = NodeLimits(idle_timeout=IDLE)
    protocol = type(
        "ApiProtocol",
        (GuardedProtocol,),
        {
            "head_timeout": IDLE,
            "stall_timeout": IDLE,
            "max_head": limits.max_head,
            "per_client": limits.max_client_connections,
            "clients": {},
        },
    )
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        http=protocol,  # type: ignore[arg-type]
        ws="none",
        lifespan="off",
        limit_concurrency=limits.max_connections,
        timeout_keep_alive=int(limits.keep_alive),
        log_level="critical",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the API did not start on port {port}")
        time.sleep(0.02)
    return server, thread, port


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    w3 = connect(chain=EmbeddedChain())
    home = tmp_path_factory.mktemp("home")
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), home, audit_bps=0, min_commitment_age=0)
    actors = fund_actors(w3, deployment, workers=2)
    Token(w3, deployment, Transactor(w3, dev_account(0))).faucet(dev_account(OTHER_REQUESTER).address, 100 * AGR)
    JobMarket(w3, deployment, Transactor(w3, dev_account(OTHER_REQUESTER))).deposit(100 * AGR)
    nodes = start_cluster(tmp_path_factory.mktemp("store"), ["eu", "eu", "eu"], writers=dev_account(RELAYER).address)
    store = StoreClient([n.url for n in nodes], k=2, m=1, segment_size=SEGMENT, signer=dev_account(RELAYER))
    engine = make_engine(f"sqlite:///{home / 'api.sqlite'}")
    migrate(engine)
    indexer = Indexer(w3, deployment, engine)
    market = JobMarket(w3, deployment, Transactor(w3, dev_account(RELAYER)))
    intake = Intake(engine, market, dev_account(RELAYER).address, store)
    app = create_app(
        engine,
        w3=w3,
        deployment=deployment,
        indexer=indexer,
        intake=intake,
        store=store,
        api_id=API_ID,
        blob_quota=QUOTA,
        upload_idle=IDLE,
        per_ip=RateLimit(rate=1_000, burst=10_000),
        per_requester=RateLimit(rate=1_000, burst=10_000),
    )
    server, thread, port = _serve(app)
    try:
        yield {
            "w3": w3,
            "deployment": deployment,
            "actors": actors,
            "nodes": nodes,
            "store": store,
            "engine": engine,
            "indexer": indexer,
            "relayer": Relayer(engine, market),
            "port": port,
            "url": f"http://127.0.0.1:{port}",
            "program": digest_of(store.put(b"\0asm a program")),
            "input": digest_of(store.put(b"an input")),
        }
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()
        engine.dispose()
        stop_all(nodes)


# -- uploads ------------------------------------------------------------------------------------


def _auth(account: LocalAccount, cid: str, size: int) -> str:
    return authorization(account, f"/v1/blobs/{cid}", size, int(time.time()) + 600, node=API_ID)


def upload(world: dict[str, Any], body: bytes, *, account: LocalAccount | None = None, **kw: Any) -> requests.Response:
    account = account or dev_account(REQUESTER)
    cid = kw.pop("cid", None) or blob_cid(body)
    header = kw.pop("header", None) or _auth(account, cid, len(body))
    kw.setdefault("timeout", 20)
    return requests.post(
        f"{world['url']}/v1/blobs", params={"cid": cid}, data=body, headers={"Authorization": header}, **kw
    )


def _open(world: dict[str, Any], account: LocalAccount, size: int, sent: bytes) -> socket.socket:
    cid = cid_of(os.urandom(size))
    head = (
        f"POST /v1/blobs?cid={cid} HTTP/1.1\r\nHost: api\r\nAuthorization: {_auth(account, cid, size)}\r\n"
        f"Content-Type: application/octet-stream\r\nContent-Length: {size}\r\n\r\n"
    )
    sock = socket.create_connection(("127.0.0.1", world["port"]))
    sock.sendall(head.encode() + sent)
    return sock


def _unanswered(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)
        return False
    except BlockingIOError:
        return True
    finally:
        sock.setblocking(True)


def open_upload(world: dict[str, Any], account: LocalAccount, *, size: int, sent: bytes) -> socket.socket:
    """A raw upload signed for ``size`` bytes (of random content) that sends only ``sent`` of them;
    returned once the API holds it as ``account``'s upload in progress (a second one is a 409)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        sock = _open(world, account, size, sent)
        time.sleep(0.2)
        while time.monotonic() < deadline and _unanswered(sock):
            probe = upload(world, b"probe " + os.urandom(8), account=account)
            if probe.status_code == 409 and _unanswered(sock):
                return sock
            time.sleep(0.2)
        sock.close()  # it met a probe at the door (409): again
    raise AssertionError(f"{account.address} never had an upload in progress")


def charged(world: dict[str, Any], account: LocalAccount) -> int:
    with Session(world["engine"]) as s:
        return sum(int(r.size) for r in s.scalars(select(UploadRow).where(UploadRow.uploader == account.address)))


def shard_files(world: dict[str, Any]) -> int:
    return sum(len(list((n.dir / "shards").glob("*"))) for n in world["nodes"] if (n.dir / "shards").exists())


def test_one_uploader_has_one_upload_at_a_time_and_a_replayed_header_charges_nothing_twice(
    world: dict[str, Any],
) -> None:
    """Concurrent uploads of one address: the second is a 409 while the first is in progress; a
    signed header sent again stores the same blob without charging it again; with other bytes it
    is refused; a body shorter than its Content-Length (the client then closes) charges nothing
    and frees the uploader."""
    me = dev_account(REQUESTER)
    body = os.urandom(3 * SEGMENT)
    header = _auth(me, blob_cid(body), len(body))
    first = upload(world, body, header=header)
    assert first.status_code == 201, first.text
    before = charged(world, me)
    replay = upload(world, body, header=header)
    assert replay.status_code == 201 and replay.json()["quota_used"] == before == charged(world, me)
    other = upload(world, os.urandom(len(body)), header=header, cid=blob_cid(body))
    assert other.status_code == 400 and other.json()["type"] == "/problems/content-mismatch"
    before += len(body)  # other bytes under the header: refused, and (stored) charged
    assert charged(world, me) == before

    stalled = open_upload(world, me, size=200_000, sent=os.urandom(1_000))  # a second one meanwhile: 409
    try:
        stalled.shutdown(socket.SHUT_WR)  # the body ends short of its Content-Length
    finally:
        stalled.close()
    deadline = time.monotonic() + 10
    while (answer := upload(world, b"after a short body")).status_code == 409 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert answer.status_code == 201  # the uploader is free again
    assert charged(world, me) == before + len(b"after a short body")


def test_a_body_longer_than_its_signed_length_is_refused(world: dict[str, Any]) -> None:
    me = dev_account(REQUESTER)
    body = os.urandom(5_000)
    cid = blob_cid(body)
    signed_short = authorization(me, f"/v1/blobs/{cid}", 4_000, int(time.time()) + 600, node=API_ID)
    answer = upload(world, body, header=signed_short)  # requests declares the real 5,000
    assert answer.status_code == 401 and answer.json()["type"] == "/problems/invalid-signature"
    with socket.create_connection(("127.0.0.1", world["port"])) as sock:  # declares 4,000, sends 5,000
        sock.sendall(
            f"POST /v1/blobs?cid={cid} HTTP/1.1\r\nHost: api\r\nAuthorization: {signed_short}\r\n"
            f"Content-Length: 4000\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        sock.settimeout(10)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 400") and b"content-mismatch" in reply  # the 4,000 bytes are not the CID's


def test_bytes_that_are_not_their_cid_leave_nothing_stored_uncharged(world: dict[str, Any]) -> None:
    me = _funded(world["w3"], world["deployment"], deposit=AGR)
    claimed = os.urandom(4 * SEGMENT)
    before_files, before_charge = shard_files(world), charged(world, me)
    for _ in range(3):
        garbage = os.urandom(len(claimed))
        header = _auth(me, blob_cid(claimed), len(claimed))
        answer = upload(world, garbage, header=header, cid=blob_cid(claimed))
        assert answer.status_code == 400 and answer.json()["type"] == "/problems/content-mismatch"
    # nothing left stored, or every time charged to the uploader's quota (which its deposit bonds)
    left = shard_files(world) - before_files
    assert not left or charged(world, me) == before_charge + 3 * len(claimed), f"{left} uncharged shards left"


@pytest.mark.parametrize("spelling", ["upper-case base32", "base16"])
def test_a_cid_in_another_spelling_is_stored_or_refused_before_anything_is_written(
    world: dict[str, Any], spelling: str
) -> None:
    body = os.urandom(2 * SEGMENT)
    canonical = blob_cid(body)
    cid = canonical.upper() if spelling == "upper-case base32" else "f01551220" + digest_of(canonical).hex()
    assert digest_of(cid) == digest_of(canonical)
    before = shard_files(world)
    answer = upload(world, body, cid=cid)
    if answer.status_code != 201:
        assert answer.status_code == 422, answer.text
        assert shard_files(world) == before, f"{shard_files(world) - before} shards left for a refused upload"


def test_a_dust_deposit_does_not_buy_a_full_quota(world: dict[str, Any]) -> None:
    dust = _funded(world["w3"], world["deployment"], deposit=1)
    answer = upload(world, os.urandom(QUOTA // 2), account=dust)
    assert answer.status_code == 402, answer.text


def test_a_stalled_upload_holds_no_connection_past_the_idle_timeout(world: dict[str, Any]) -> None:
    """Headers and the first 1,000 bytes of 200,000, then nothing: the server must let go."""
    staller = _funded(world["w3"], world["deployment"], deposit=AGR)
    sock = open_upload(world, staller, size=200_000, sent=os.urandom(1_000))
    try:
        sock.settimeout(3 * IDLE)
        try:
            answer = sock.recv(4096)  # b"" (closed) or an answer such as 408
        except TimeoutError:
            answer = None
        assert answer is not None, f"the connection is still held {3 * IDLE:g}s after the body stopped"
    finally:
        sock.close()


def test_stalled_uploads_from_many_addresses_do_not_stop_an_honest_one(world: dict[str, Any]) -> None:
    """(With one staller fewer the honest upload goes through: it is the executor that runs out.)"""
    stallers = [_funded(world["w3"], world["deployment"], deposit=AGR) for _ in range(STALLERS)]  # bonded
    honest = _funded(world["w3"], world["deployment"], deposit=AGR)
    socks = []
    try:
        for who in stallers:
            socks.append(open_upload(world, who, size=QUOTA // 2, sent=os.urandom(2_000)))
        try:
            answer = upload(world, b"an honest upload", account=honest, timeout=(5, 3 * IDLE + 2))
        except requests.Timeout as exc:
            waited = f"{3 * IDLE + 2:g}s"
            raise AssertionError(f"an honest upload got no answer in {waited} while {STALLERS} uploads stall") from exc
        assert answer.status_code == 201
    finally:
        for sock in socks:
            sock.close()
        deadline = time.monotonic() + 15  # the honest upload, abandoned by its client, ends once they are gone
        while upload(world, b"after", account=honest).status_code == 409 and time.monotonic() < deadline:
            time.sleep(0.1)


# -- ranges -------------------------------------------------------------------------------------


def test_odd_ranges_are_served_ignored_or_416_never_a_server_error(world: dict[str, Any]) -> None:
    body = os.urandom(2 * SEGMENT + 10)
    stored = upload(world, body)
    assert stored.status_code == 201
    url = f"{world['url']}/v1/blobs/{stored.json()['cid']}"
    size = len(body)
    cases = {
        "bytes=-0": (416, None),  # the last zero bytes: nothing to send
        "bytes=0-0": (206, body[:1]),
        f"bytes={size - 1}-": (206, body[-1:]),
        f"bytes=-{size + 5}": (206, body),  # more than it has: all of it
        "bytes=9999999999999999999-": (416, None),  # 19 digits
        "bytes=0-9999999999999999999": (206, body),
        "bytes=99999999999999999999-": (200, body),  # 20 digits: not a range this server reads
        "bytes=3-5  ": (206, body[3:6]),  # trailing white space (leading is not a valid header value)
        "bytes = 3-5": (200, body),
        "bytes=5-3": (200, body),
        "bytes=0-1,0-1,0-1": (200, body),  # overlapping: several ranges are served whole
        "bytes=-": (200, body),
        "bytes=--5": (200, body),
        "bytes=٣-٥": (200, body),  # Arabic-Indic digits are not digits here
        "items=0-5": (200, body),
        "bytes=0-" + "1" * 90: (200, body),
    }
    for header, (status, want) in cases.items():
        got = requests.get(url, headers={"Range": header.encode().decode("latin-1")}, timeout=20)
        assert got.status_code == status, (header, got.status_code, got.text[:200])
        if want is not None:
            assert got.content == want, header
            assert got.headers["content-length"] == str(len(want)), header
    long = requests.get(url, headers={"Range": "bytes=0-1" + ",0-1" * 40}, timeout=20)  # 169 characters
    assert long.status_code < 500, long.text


# -- results whose run record lies ----------------------------------------------------------------


def _job_with_records(world: dict[str, Any], digest: bytes, records: list[str]) -> str:
    """A k=2 job both workers reveal ``digest`` for, each naming its run record (a manifest CID),
    in slot order; provisional, and indexed."""
    actors, w3 = world["actors"], world["w3"]
    request = make_request(w3, k=2, q=2, ramp=0)
    signature = request.sign(dev_account(REQUESTER), chain_id=w3.eth.chain_id, market=actors.requester.address)
    job: bytes = actors.requester.post_job(request, signature)
    salt = os.urandom(32)
    for worker in actors.workers:
        worker.lock(job)
    for slot, worker in enumerate(actors.workers):
        worker.commit(job, slot, digest, salt)
    for slot, (worker, record) in enumerate(zip(actors.workers, records, strict=True)):
        worker.reveal(job, slot, digest, salt, digest_of(record))
    world["indexer"].catch_up()
    return "0x" + job.hex()


@pytest.fixture(scope="module")
def outputs(world: dict[str, Any]) -> dict[str, Any]:
    """An honest output and its run record, and what lying workers store beside it."""
    store = world["store"]
    output = b"the honest output\n" * 2_000
    honest_manifest = store.put(output)
    honest = RunRecord(Status.OK, 0, 4_321, hashlib.sha256(output).digest(), honest_manifest)
    # A manifest that claims the honest output's blob CID, over shards of other bytes of the same size.
    garbage = os.urandom(len(output))
    real = store.manifest(store.put(garbage))
    forged = Manifest(
        cid=cid_of(output), size=real.size, segment_size=real.segment_size, k=real.k, m=real.m, segments=real.segments
    )
    store.publish(forged)
    # One that claims it too, over far more bytes than a run may output: its first segment, repeated.
    count = DEFAULT_OUTPUT // SEGMENT + 2
    two = store.manifest(store.put(os.urandom(2 * SEGMENT)))
    huge = Manifest(
        cid=cid_of(output), size=count * SEGMENT, segment_size=SEGMENT, k=two.k, m=two.m,
        segments=(two.segments[0],) * count,
    )  # fmt: skip
    store.publish(huge)
    nowhere = cid_of(b"a manifest nobody stored")
    return {
        "output": output,
        "garbage": garbage,
        "digest": honest.digest,
        "honest": store.put(honest.to_bytes()),
        "lies": {
            "another digest": RunRecord(Status.OK, 0, 1, hashlib.sha256(b"x").digest(), honest_manifest).to_bytes(),
            "over 1 KiB": b" " * 1_100 + honest.to_bytes(),
            "deeply nested": b"[" * 500 + b"]" * 500,
            "not JSON": b"\xff\xfe" * 100,
            "an output nowhere": RunRecord(Status.OK, 0, 4_321, honest.output_digest, nowhere).to_bytes(),
            "a forged output manifest": RunRecord(
                Status.OK, 0, 4_321, honest.output_digest, forged.manifest_cid
            ).to_bytes(),
            "a huge output": RunRecord(Status.OK, 0, 4_321, honest.output_digest, huge.manifest_cid).to_bytes(),
        },
    }


def _result(world: dict[str, Any], job: str) -> requests.Response:
    return requests.get(f"{world['url']}/v1/jobs/{job}/result", timeout=30)


@pytest.mark.parametrize("lie", ["another digest", "over 1 KiB", "deeply nested", "not JSON"])
def test_a_lying_run_record_is_skipped_for_an_honest_slots(
    world: dict[str, Any], outputs: dict[str, Any], lie: str
) -> None:
    """Slot 0 reveals the agreed digest with a record that does not match it or is not a record;
    slot 1 is honest: its output is served."""
    record = world["store"].put(outputs["lies"][lie])
    job = _job_with_records(world, outputs["digest"], [record, outputs["honest"]])
    answer = _result(world, job)
    assert answer.status_code == 200, answer.text
    assert answer.content == outputs["output"]
    assert answer.headers["x-agora-result-cid"] == outputs["honest"]


def test_a_record_naming_an_output_nowhere_does_not_hide_an_honest_slots(
    world: dict[str, Any], outputs: dict[str, Any]
) -> None:
    record = world["store"].put(outputs["lies"]["an output nowhere"])
    job = _job_with_records(world, outputs["digest"], [record, outputs["honest"]])
    answer = _result(world, job)
    assert answer.status_code == 200, answer.text
    assert answer.content == outputs["output"]


def test_an_output_manifest_that_lies_about_its_blob_is_never_served(
    world: dict[str, Any], outputs: dict[str, Any]
) -> None:
    record = world["store"].put(outputs["lies"]["a forged output manifest"])
    job = _job_with_records(world, outputs["digest"], [record, outputs["honest"]])
    try:
        answer = _result(world, job)
    except requests.RequestException as exc:  # a cut stream would at least not pass as a result
        raise AssertionError(f"the result stream broke: {exc}") from exc
    served = answer.content
    assert served != outputs["garbage"], "the API served the forged manifest's bytes as the job's result"
    assert answer.status_code == 200 and served == outputs["output"]


def test_a_record_naming_a_huge_output_is_not_streamed(world: dict[str, Any], outputs: dict[str, Any]) -> None:
    record = world["store"].put(outputs["lies"]["a huge output"])
    job = _job_with_records(world, outputs["digest"], [record, outputs["honest"]])
    with requests.get(f"{world['url']}/v1/jobs/{job}/result", timeout=30, stream=True) as answer:
        announced = int(answer.headers.get("content-length", "0"))
    assert answer.status_code != 200 or announced <= DEFAULT_OUTPUT, f"a {announced:,}-byte result is on its way"


def _shards(world: dict[str, Any], job: str) -> dict[str, Any]:
    answer = requests.get(f"{world['url']}/v1/jobs/{job}/result/shards", timeout=30)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_a_results_shards_are_each_fetched_and_checked(world: dict[str, Any], outputs: dict[str, Any]) -> None:
    """What the job page shows of where the result is stored: the run record and the output,
    every shard on its node, checked against the manifest."""
    job = _job_with_records(world, outputs["digest"], [outputs["honest"], outputs["honest"]])
    record, output = _shards(world, job)["blobs"]
    assert (record["what"], record["cid"]) == ("run record", outputs["honest"])
    assert output["what"] == "output" and output["size"] == len(outputs["output"])
    for blob in (record, output):
        assert blob["checked"] and blob["readable"] and (blob["k"], blob["m"]) == (2, 1), blob
        assert blob["shards"] and all(shard["ok"] for shard in blob["shards"]), blob
        segments = {shard["segment"] for shard in blob["shards"]}
        assert len(blob["shards"]) == 3 * len(segments)  # k + m shards in every segment


def test_a_result_missing_shards_is_reported_not_readable(world: dict[str, Any], outputs: dict[str, Any]) -> None:
    """An output whose manifest names two of a segment's three shards that no node holds (k = 2):
    those are reported missing, with why, and the output as not readable."""
    store = world["store"]
    real = store.manifest(store.put(os.urandom(SEGMENT + 100)))
    lost = tuple(
        ShardRef(hashlib.sha256(os.urandom(8)).hexdigest(), ref.node, ref.region) if i < 2 else ref
        for i, ref in enumerate(real.segments[0].shards)
    )
    damaged = Manifest(
        cid=real.cid, size=real.size, segment_size=real.segment_size, k=real.k, m=real.m,
        segments=(Segment(real.segments[0].size, lost), *real.segments[1:]),
    )  # fmt: skip
    store.publish(damaged)
    record = RunRecord(Status.OK, 0, 1, bytes(32), damaged.manifest_cid)
    job = _job_with_records(world, record.digest, [store.put(record.to_bytes())] * 2)
    _, output = _shards(world, job)["blobs"]
    assert output["checked"] and not output["readable"], output
    bad = [(x["segment"], x["index"]) for x in output["shards"] if not x["ok"]]
    assert bad == [(0, 0), (0, 1)] and all(x["reason"] for x in output["shards"] if not x["ok"]), output


def test_a_record_naming_a_huge_output_has_nothing_of_it_fetched_for_its_shards(
    world: dict[str, Any], outputs: dict[str, Any]
) -> None:
    record = world["store"].put(outputs["lies"]["a huge output"])
    job = _job_with_records(world, outputs["digest"], [record, record])
    _, output = _shards(world, job)["blobs"]
    assert not output["checked"] and not output["readable"] and output["shards"] == [], output
    assert output["size"] > DEFAULT_OUTPUT and "not fetched" in output["detail"]


def test_a_lying_first_slot_does_not_hide_where_the_honest_result_is(
    world: dict[str, Any], outputs: dict[str, Any]
) -> None:
    lie = world["store"].put(outputs["lies"]["not JSON"])
    job = _job_with_records(world, outputs["digest"], [lie, outputs["honest"]])
    record, output = _shards(world, job)["blobs"]
    assert record["cid"] == outputs["honest"] and record["readable"] and output["readable"], (record, output)


def test_a_record_naming_an_output_of_countless_tiny_segments_has_none_of_it_fetched(
    world: dict[str, Any], outputs: dict[str, Any]
) -> None:
    """A manifest of 1 KiB segments, 1,200 shards in all, for 400 KiB: within what a run may
    write, but one look would fetch every shard. It is named, not fetched."""
    small = StoreClient(world["store"].nodes, k=2, m=1, segment_size=1024, signer=dev_account(RELAYER))
    with small:
        one = small.manifest(small.put(os.urandom(1024)))
    countless = Manifest(
        cid=cid_of(b"countless"), size=400 * 1024, segment_size=1024, k=2, m=1, segments=(one.segments[0],) * 400
    )
    world["store"].publish(countless)
    record = RunRecord(Status.OK, 0, 1, bytes(32), countless.manifest_cid)
    job = _job_with_records(world, record.digest, [world["store"].put(record.to_bytes())] * 2)
    _, output = _shards(world, job)["blobs"]
    assert not output["checked"] and output["shards"] == [] and "1,200 shards" in output["detail"], output


# -- the relayer --------------------------------------------------------------------------------


def _signed(world: dict[str, Any], signer: int) -> dict[str, Any]:
    """A k=1 request of ``signer``'s naming the stored program and input, signed, as `POST /v1/jobs` takes it."""
    request = make_request(
        world["w3"], k=1, q=1, program_id=world["program"], input_digest=world["input"],
        requester=dev_account(signer).address,
    )  # fmt: skip
    signature = request.sign(
        dev_account(signer), chain_id=world["deployment"].chain_id, market=world["deployment"].address("JobMarket")
    )
    return {
        "request": request_json(request),
        "signature": "0x" + signature.hex(),
        "job_id": "0x" + request.struct_hash().hex(),
    }


def test_a_requester_who_cancels_after_the_acknowledgement_harms_nobody_else_in_the_batch(
    world: dict[str, Any],
) -> None:
    """Three acknowledged requests, two requesters; one requester burns its nonce: the relayer's one
    batch posts the others (the same requester's other request too), the cancelled one fails with
    NonceUsed, and nothing stays acknowledged-but-unposted to hold its requester's deposit."""
    mine, theirs, mine_too = _signed(world, REQUESTER), _signed(world, OTHER_REQUESTER), _signed(world, REQUESTER)
    for one in (mine, theirs, mine_too):
        answer = requests.post(
            f"{world['url']}/v1/jobs", json={"request": one["request"], "signature": one["signature"]}, timeout=20
        )
        assert answer.status_code == 202, answer.text
    requester = world["actors"].requester
    requester.cancel_nonce(int(mine["request"]["nonce"]))
    before = world["w3"].eth.block_number
    assert world["relayer"].step() == 3
    assert world["w3"].eth.block_number == before + 1  # one batch
    with Session(world["engine"]) as s:
        rows = {r.job_id: r for r in s.scalars(select(IntakeRow))}
    refused = rows[mine["job_id"]]
    assert refused.status == "failed" and refused.error is not None and refused.error["error"] == "NonceUsed"
    assert rows[theirs["job_id"]].status == rows[mine_too["job_id"]].status == "posted"
    pending = [r for r in rows.values() if r.status == "accepted"]
    assert pending == []
    metrics = requests.get(f"{world['url']}/metrics", timeout=20).text
    assert "agora_relay_backlog 0\n" in metrics


# -- metrics ------------------------------------------------------------------------------------


def test_unknown_paths_and_methods_do_not_grow_the_metrics(world: dict[str, Any]) -> None:
    url = world["url"]

    def series() -> int:
        return sum(
            1 for line in requests.get(f"{url}/metrics", timeout=20).text.splitlines() if line.startswith("agora_http")
        )

    for i in range(3):  # every kind once, so each (route, status) pair exists
        requests.get(f"{url}/no/such/{i}", timeout=20)
        requests.request("BREW", f"{url}/v1/jobs/{i}", timeout=20)
        requests.get(f"{url}/v1/jobs/0x{i:064x}", timeout=20)
    settled = series()
    for i in range(300):
        requests.get(f"{url}/no/such/{os.urandom(8).hex()}?{i}", timeout=20)
        requests.request("BREW", f"{url}/v1/jobs/{os.urandom(4).hex()}", timeout=20)
        requests.get(f"{url}/v1/jobs/0x{os.urandom(32).hex()}", timeout=20)
    assert series() - settled <= 16  # only /metrics' own series, not one per path


# -- quotes, explanations, workers ------------------------------------------------------------------


def _register(world: dict[str, Any], account: LocalAccount, label: str) -> Names:
    names = Names(world["w3"], world["deployment"], Transactor(world["w3"], account))
    names.register(label)
    names.set_reverse(f"{label}.agora")
    return names


def test_stake_put_in_and_taken_out_does_not_crowd_registered_workers_out_of_quotes(world: dict[str, Any]) -> None:
    """Looked at: the workers that *put in* the most stake, summed over `Staked` events, forever. Two
    accounts stake more than the honest worker and unstake at once (their tokens come back after the
    unbonding delay); with room for two, does the honest worker still count?"""
    w3, deployment = world["w3"], world["deployment"]
    _register(world, dev_account(HONEST_WORKER), "honest")
    for _ in range(2):
        sybil = _funded(w3, deployment, deposit=1)
        Token(w3, deployment, Transactor(w3, dev_account(0))).faucet(sybil.address, 5_000 * AGR)
        stakes = StakeManager(w3, deployment, Transactor(w3, sybil))
        stakes.stake(5_000 * AGR, 0)
        stakes.request_unstake(5_000 * AGR)
    world["indexer"].catch_up()
    directory = Directory(world["engine"], w3, deployment, considered=2)
    registered, staked = directory.registered()
    assert staked >= 4
    assert dev_account(HONEST_WORKER).address in {p.address for p in registered}


def test_a_resolver_that_answers_garbage_breaks_no_quote(world: dict[str, Any]) -> None:
    w3, deployment = world["w3"], world["deployment"]
    evil = _funded(w3, deployment, deposit=1)
    Token(w3, deployment, Transactor(w3, dev_account(0))).faucet(evil.address, 200 * AGR)
    StakeManager(w3, deployment, Transactor(w3, evil)).stake(200 * AGR, 0)
    _register(world, evil, "garbled")
    me = Transactor(w3, evil)
    garbled = me.send(to=None, data=RETURNS_ONE_BYTE)["contractAddress"]
    registry = w3.eth.contract(address=deployment.address("NameRegistry"), abi=artifact("NameRegistry")["abi"])
    me.send(to=registry.address, data=registry.encode_abi("setResolver", args=[namehash("garbled.agora"), garbled]))
    world["indexer"].catch_up()
    open_job = _signed(world, REQUESTER)
    assert (
        requests.post(
            f"{world['url']}/v1/jobs",
            json={"request": open_job["request"], "signature": open_job["signature"]},
            timeout=20,
        ).status_code
        == 202
    )
    world["relayer"].step()
    world["indexer"].catch_up()
    quote = requests.post(
        f"{world['url']}/v1/jobs/quote", json={"program_id": "0x" + world["program"].hex()}, timeout=30
    )
    workers = requests.get(f"{world['url']}/v1/workers", timeout=30)
    explain = requests.get(f"{world['url']}/v1/jobs/{open_job['job_id']}/explain", timeout=30)
    name = requests.get(f"{world['url']}/v1/names/garbled", timeout=30)
    answers = {"quote": quote, "workers": workers, "explain": explain, "name": name}
    assert {k: a.status_code for k, a in answers.items()} == dict.fromkeys(answers, 200), {
        k: a.text[:200] for k, a in answers.items()
    }


# -- a hostile API, seen by marketplace.client -----------------------------------------------------


@pytest.fixture
def liar() -> Iterator[LiarNode]:
    node = LiarNode()
    yield node
    node.stop()


JOB = "0x" + "ab" * 32


_HOSTILE = """
import socket, sys
body = open(sys.argv[2], "rb").read()
server = socket.create_server(("127.0.0.1", int(sys.argv[1])))
while True:
    conn, _ = server.accept()
    try:
        with conn:
            if conn.recv(65536):
                conn.sendall(body)
    except OSError:
        pass
"""


@contextlib.contextmanager
def hostile(tmp_path: Path, status: int, body: bytes, headers: dict[str, str] | None = None) -> Iterator[str]:
    """An HTTP server in a process of its own answering every request with ``body``: the
    client's memory is then measured alone (an in-process server's buffers would count too)."""
    head = f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items()) + "\r\n"
    (tmp_path / "answer").write_bytes(head.encode() + body)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", _HOSTILE, str(port), str(tmp_path / "answer")])
    try:
        deadline = time.monotonic() + 10
        while _refused(port):
            assert time.monotonic() < deadline, "the hostile server did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()


def _refused(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _peak(work: Any) -> tuple[int, BaseException | None]:
    """Peak bytes traced while ``work()`` runs, and what it raised."""
    tracemalloc.start()
    raised: BaseException | None = None
    try:
        work()
    except Exception as exc:  # noqa: BLE001 - what it raised is part of the answer
        raised = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak, raised


@pytest.mark.parametrize(
    "stream",
    [b"data: " + b"x" * (1 << 20), b"data: x\n" * (1 << 17)],
    ids=["a 1 MiB line", "an event of 128Ki data lines"],
)
def test_the_event_stream_reader_bounds_a_line_and_an_event(tmp_path: Path, stream: bytes) -> None:
    with hostile(tmp_path, 200, stream, {"Content-Type": "text/event-stream"}) as url, ApiClient(url) as client:
        peak, raised = _peak(lambda: list(client.events(JOB)))
    assert isinstance(raised, ApiError) and "event stream sent" in str(raised), raised
    assert peak < 256 * 1024, f"the client held {peak:,} bytes for a {len(stream):,}-byte stream"


def test_the_client_bounds_an_error_body(tmp_path: Path) -> None:
    with hostile(tmp_path, 500, b"{" + b" " * (16 << 20) + b"}") as url, ApiClient(url) as client:
        peak, raised = _peak(lambda: client.job(JOB))
    assert isinstance(raised, ApiError)
    assert peak < 1 << 20, f"the client held {peak:,} bytes for a 16 MiB error"


def test_the_client_refuses_an_output_that_is_not_the_agreed_result(liar: LiarNode) -> None:
    real = b"the real output"
    record = RunRecord(Status.OK, 0, 77, hashlib.sha256(real).digest(), cid_of(b"manifest"))
    liar.routes[f"/v1/jobs/{JOB}/result"] = answer_with(
        200,
        b"some other bytes",
        {
            "X-Agora-Run-Status": "ok",
            "X-Agora-Exit-Code": "0",
            "X-Agora-Fuel-Used": "77",
            "X-Agora-Output-Cid": record.output,
            "X-Agora-Result-Digest": "0x" + record.digest.hex(),
        },
    )
    with ApiClient(liar.url) as client:
        try:
            run, data = client.result(JOB)
        except ApiError:
            return
    raise AssertionError(f"the client took {data!r} as the output whose result digest is {run.result_digest}")
