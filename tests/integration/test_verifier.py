"""The verifier daemon as a process (`agora verifier run`) on a served chain, real store nodes and
a local Ray: it re-executes what the market settles and says, per job, whether it agrees."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from ledger import CasePhase, Court, JobMarket, JobStatus, Token, dev_account
from store import digest_of

from .market_helpers import make_request, post
from .verifier_world import World, advance, checks, k1_job, open_world, start_verifier, truth, until, wait_check

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with open_world(tmp_path_factory.mktemp("verifier")) as opened:
        yield opened


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
    keeps the case moving (it draws the round, counts it and makes the ruling final; it holds no
    stake, so it is never drawn), and once the drawn round (worker 1, the only other staker, driven
    here as the juror) rules for that digest, claims its bond and the pot's rest: 40 AGR back and
    10 more. Moves the chain's clock (to let stake mature into the pool, and past the appeal
    window)."""
    w3, actors = world.w3, world.actors
    juror = actors.workers[1]
    advance(w3, 61)
    actors.stakes[1].activate(juror.transactor.address)  # type: ignore[union-attr]
    me = dev_account(9).address
    proc, log = start_verifier(world, "--sample-rate", "1", "--from", "dev:9", "--max-bond", "40")
    try:
        token = Token(w3, juror.deployment)
        until(lambda: token.balance_of(me) > 0, proc, log)  # funded from the faucet on start
        wallet = token.balance_of(me)
        stdin = b"a quorum of one, lying\n"
        data = digest_of(world.store.put(stdin))
        job_id = k1_job(world, data, b"\x42" * 32)
        market = JobMarket(w3, juror.deployment)
        until(lambda: market.job(job_id).status == JobStatus.DISPUTED, proc, log)
        court = Court(w3, juror.deployment, juror.transactor)
        assert court.bond_of(job_id, me, truth(world, stdin)) == 40 * 10**18
        until(lambda: court.case(job_id).phase == CasePhase.VOTING, proc, log)  # the verifier draws it
        assert court.jurors(job_id, 0) == [juror.transactor.address]  # type: ignore[union-attr]
        checkpoint, salt = b"\x07" * 32, b"\x08" * 32
        court.commit_vote(job_id, truth(world, stdin), checkpoint, salt)
        court.reveal_vote(job_id, truth(world, stdin), checkpoint, salt)
        until(lambda: court.case(job_id).phase == CasePhase.RULED, proc, log)  # and counts it
        advance(w3, court.vote_window() + 1)
        until(lambda: market.job(job_id).status == JobStatus.SETTLED, proc, log)  # and makes it final
        until(lambda: token.balance_of(me) != wallet - 40 * 10**18, proc, log)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert token.balance_of(me) == wallet + 10 * 10**18
    check = checks(world)["0x" + job_id.hex()]
    assert check["verdict"] == "differs"
    assert "disputed with a bond of 40 AGR naming ours" in str(check["detail"])
    text = log.read_text()
    assert f"job {job_id.hex()[:10]}: its dispute was upheld: claimed 50 AGR" in text
    for step in ("drew round 0 of its case", "counted round 0 of its case", "made the court's ruling final"):
        assert f"job {job_id.hex()[:10]}: {step}" in text
    assert "drawn as a juror" not in text


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
        advance(world.w3, market.final_after(job_id) - int(world.w3.eth.get_block("latest")["timestamp"]) + 5)
        given_up = wait_check(world, job_id, log)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert given_up["verdict"] == "unavailable"
    assert "gave up: its challenge window closed" in str(given_up["detail"])
