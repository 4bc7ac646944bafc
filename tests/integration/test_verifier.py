"""The verifier daemon as a process (`agora verifier run`) on a served chain, real store nodes and
a local Ray: it re-executes what the market settles and says, per job, whether it agrees."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from web3 import Web3

from compute import run
from ledger import Court, JobMarket, JobStatus, Token, Transactor, connect, deploy, dev_account
from store import StoreClient, digest_of

from ..conftest import ROOT, start_chain_server, stop
from .market_helpers import Actors, fund_actors, make_request, post
from .store_cluster import WRITER, Node, start_cluster, stop_all

PROGRAMS = ROOT / "examples" / "programs" / "build"
pytestmark = pytest.mark.slow


@dataclass
class World:
    w3: Web3
    actors: Actors
    store: StoreClient
    home: Path
    env: dict[str, str]
    wasm: bytes
    program: bytes
    nodes: list[Node]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home = tmp_path_factory.mktemp("verifier")
    port = (
        int(os.environ.get("AGORA_TEST_PORT", "0")) or __import__("tests.conftest", fromlist=["free_port"]).free_port()
    )
    chain = start_chain_server(home / "chain", port)
    url = f"http://127.0.0.1:{port}"
    nodes = start_cluster(home / "store", ["eu", "eu", "us"], writers="any")
    try:
        w3 = connect(url)
        deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), home, audit_bps=0)
        actors = fund_actors(w3, deployment, workers=2)
        store = StoreClient([n.url for n in nodes], k=2, m=1, signer=WRITER)
        wasm = (PROGRAMS / "wordcount.wasm").read_bytes()
        env = {
            **os.environ,
            "AGORA_RPC_URL": url,
            "AGORA_STORE_NODES": ",".join(n.url for n in nodes),
            "AGORA_STORE_K": "2",
            "AGORA_STORE_M": "1",
            "PYTHONUNBUFFERED": "1",
        }
        yield World(w3, actors, store, home, env, wasm, digest_of(store.put(wasm)), nodes)
        store.close()
    finally:
        stop_all(nodes)
        stop(chain)


def start_verifier(world: World, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
    log = world.home / f"verifier-{time.monotonic_ns()}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli", "verifier", "run", "--home", str(world.home), "--poll", "0.1", *args],
            cwd=ROOT,
            env=world.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return proc, log


def checks(world: World) -> dict[str, dict[str, object]]:
    shown = subprocess.run(
        [sys.executable, "-m", "cli", "verifier", "checks", "--json", "--home", str(world.home)],
        cwd=ROOT,
        env=world.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if "no verifier has run" in shown.stderr:
        return {}  # the daemon is still starting
    assert shown.returncode == 0, shown.stderr
    return {c["jobId"]: c for c in json.loads(shown.stdout)}


def wait_check(world: World, job_id: bytes, log: Path, timeout: float = 120) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    key = "0x" + job_id.hex()
    while time.monotonic() < deadline:
        found = checks(world).get(key)
        if found is not None and found["verdict"] != "pending":
            return found
        time.sleep(0.5)
    raise AssertionError(f"no check of {key}\n{log.read_text()[-3000:]}")


def k1_job(world: World, data: bytes, revealed: bytes, **terms: object) -> bytes:
    """A k=1 job on ``data`` that worker 0 locks and reveals ``revealed`` for: provisional at once."""
    request = make_request(world.w3, k=1, q=1, program_id=world.program, input_digest=data, ramp=0, **terms)
    job_id = post(world.actors, request)
    worker = world.actors.workers[0]
    slot, _ = worker.lock(job_id)
    worker.reveal(job_id, slot, revealed, b"\x01" * 32, b"\x02" * 32)
    return job_id


def truth(world: World, stdin: bytes) -> bytes:
    return run(world.wasm, stdin, fuel=10**6).digest


def test_the_verifier_agrees_with_an_honest_result_and_reports_a_wrong_one(world: World) -> None:
    proc, log = start_verifier(world, "--sample-rate", "1")
    try:
        stdin = b"one two three\n"
        data = digest_of(world.store.put(stdin))
        honest = k1_job(world, data, truth(world, stdin))
        lying = k1_job(world, data, b"\x66" * 32)  # a digest nobody computed
        missing = k1_job(world, os.urandom(32), b"\x77" * 32)  # an input no store node has
        costly = k1_job(world, data, b"\x88" * 32, fuel_limit=10**12)  # more fuel than it runs
        good = wait_check(world, honest, log)
        bad = wait_check(world, lying, log)
        gone = wait_check(world, missing, log)
        over = wait_check(world, costly, log)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    worker = world.actors.workers[0].transactor.address  # type: ignore[union-attr]
    assert good["verdict"] == "agrees" and good["kind"] == "provisional"
    assert good["digest"] == "0x" + truth(world, stdin).hex()
    assert f"revealed by {worker}" in str(good["detail"])
    assert bad["verdict"] == "differs"
    assert bad["claimed"] == {"0x" + "66" * 32: [worker]}
    assert "reported (no account to dispute with: --from)" in str(bad["detail"])
    assert gone["verdict"] == "unavailable" and "its input is on no store node" in str(gone["detail"])
    assert over["verdict"] == "over budget"
    assert "fuel limit 1,000,000,000,000 is above this verifier's 100,000,000,000" in str(over["detail"])
    text = log.read_text()
    assert f"job {lying.hex()[:10]} (provisional): differs" in text


def test_every_disputed_job_is_checked_and_a_sample_of_the_rest(world: World) -> None:
    """With a sample rate of 0 a provisional settlement is not re-executed (and says so), but a
    job whose reveals disagree (in court) always is: the verifier names which digest is right."""
    proc, log = start_verifier(world, "--sample-rate", "0")
    try:
        stdin = b"alpha beta\ngamma\n"
        data = digest_of(world.store.put(stdin))
        skipped = k1_job(world, data, truth(world, stdin))
        request = make_request(world.w3, k=2, q=2, program_id=world.program, input_digest=data, ramp=0)
        job_id = post(world.actors, request)
        honest, liar = world.actors.workers
        answers = {honest: truth(world, stdin), liar: b"\x55" * 32}
        slots = {m: m.lock(job_id)[0] for m in (honest, liar)}
        for m in (honest, liar):
            m.commit(job_id, slots[m], answers[m], b"\x03" * 32)
        for m in (honest, liar):
            m.reveal(job_id, slots[m], answers[m], b"\x03" * 32, b"\x04" * 32)
        assert JobMarket(world.w3, honest.deployment).job(job_id).status.name == "DISPUTED"
        not_sampled = wait_check(world, skipped, log)
        disputed = wait_check(world, job_id, log)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert not_sampled["verdict"] == "not sampled" and "outside the 0% sample" in str(not_sampled["detail"])
    assert disputed["kind"] == "disputed" and disputed["verdict"] == "agrees"
    address = honest.transactor.address  # type: ignore[union-attr]
    assert f"revealed by {address}" in str(disputed["detail"])
    assert set(disputed["claimed"]) == {"0x" + answers[honest].hex(), "0x" + answers[liar].hex()}  # type: ignore[arg-type]


def test_a_wrong_settlement_is_disputed_and_the_bond_wins_at_the_court(world: World) -> None:
    """A k=1 job whose only slot reveals junk (an all-colluding quorum): the verifier (with a key,
    --from) re-executes it, disputes within the window with the least bond naming its own digest,
    and once the drawn round (worker 1, the only other staker, driven here as the juror) rules for
    that digest, claims its bond and the pot's rest: 40 AGR back and 10 more. Moves the chain's
    clock (to let stake mature into the pool, and past the appeal window)."""
    w3, actors = world.w3, world.actors
    juror = actors.workers[1]
    w3.provider.make_request("evm_increaseTime", [61])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    actors.stakes[1].activate(juror.transactor.address)  # type: ignore[union-attr]
    me = dev_account(9).address
    proc, log = start_verifier(world, "--sample-rate", "1", "--from", "dev:9", "--max-bond", "40")
    try:
        token = Token(w3, juror.deployment)
        deadline = time.monotonic() + 120
        while token.balance_of(me) == 0:  # funded from the faucet on start
            assert time.monotonic() < deadline and proc.poll() is None, log.read_text()[-3000:]
            time.sleep(0.2)
        wallet = token.balance_of(me)
        stdin = b"a quorum of one, lying\n"
        data = digest_of(world.store.put(stdin))
        job_id = k1_job(world, data, b"\x42" * 32)
        market = JobMarket(w3, juror.deployment)
        while market.job(job_id).status != JobStatus.DISPUTED:
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        court = Court(w3, juror.deployment, juror.transactor)
        assert court.bond_of(job_id, me, truth(world, stdin)) == 40 * 10**18
        while int(w3.eth.block_number) <= court.case(job_id).seed_block:
            w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        court.draw(job_id)
        assert court.jurors(job_id, 0) == [juror.transactor.address]  # type: ignore[union-attr]
        checkpoint, salt = b"\x07" * 32, b"\x08" * 32
        court.commit_vote(job_id, truth(world, stdin), checkpoint, salt)
        court.reveal_vote(job_id, truth(world, stdin), checkpoint, salt)
        court.resolve(job_id)
        w3.provider.make_request("evm_increaseTime", [court.vote_window() + 1])  # type: ignore[arg-type]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        court.finalize(job_id)
        assert market.job(job_id).status == JobStatus.SETTLED
        while token.balance_of(me) == wallet - 40 * 10**18:
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert token.balance_of(me) == wallet + 10 * 10**18
    check = checks(world)["0x" + job_id.hex()]
    assert check["verdict"] == "differs"
    assert "disputed with a bond of 40 AGR naming ours" in str(check["detail"])
    assert f"job {job_id.hex()[:10]}: its dispute was upheld: claimed 50 AGR" in log.read_text()


def test_a_check_that_cannot_run_is_retried_then_given_up_when_its_window_closes(world: World) -> None:
    """An input whose manifest is there but whose shards are withheld cannot be read: the check
    stays pending, is retried with growing pauses, and once the job's challenge window has closed
    it ends `unavailable` (it never loops, never stays pending). Last: it moves the chain's clock."""
    proc, log = start_verifier(world, "--sample-rate", "1")
    try:
        hollow = world.store.put(os.urandom(3000))
        for ref in world.store.manifest(hollow).segments[0].shards:
            next(n for n in world.nodes if n.url == ref.node).shard_path(ref.hash).unlink()
        job_id = k1_job(world, digest_of(hollow), b"\x99" * 32)
        deadline = time.monotonic() + 120
        key = "0x" + job_id.hex()
        while "trying again in" not in str(checks(world).get(key, {}).get("detail", "")):
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.5)
        market = JobMarket(world.w3, world.actors.requester.deployment)
        ahead = market.final_after(job_id) - int(world.w3.eth.get_block("latest")["timestamp"]) + 5
        world.w3.provider.make_request("evm_increaseTime", [ahead])  # type: ignore[arg-type]
        world.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        given_up = wait_check(world, job_id, log)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert given_up["verdict"] == "unavailable"
    assert "gave up: its challenge window closed" in str(given_up["detail"])
