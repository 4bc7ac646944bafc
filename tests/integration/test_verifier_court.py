"""The verifier daemon in the court (`agora verifier run --from KEY [--stake AMOUNT]`), as a process
on a served chain, three store nodes and a Ray of its own: with a stake it is drawn like any staker
— a juror's seats, or a job's slot as its auditor — re-executes, votes or reveals the truth and is
paid, while the colluders it exposes are slashed for a lost dispute; without one it is never drawn,
but keeps the cases it sees moving. Each test has a chain of its own (the juror pool is its
subject) and moves its clock: stake counts in the pool once it is as old as the unbonding delay."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from compute import checkpoint
from ledger import (
    CasePhase,
    Court,
    EventDecoder,
    JobMarket,
    JobStatus,
    SlashReason,
    StakeManager,
    Token,
    Transactor,
    dev_account,
)
from ledger import events as ev
from store import digest_of

from .market_helpers import make_request, post
from .verifier_world import AGR, World, advance, listed, open_world, start_verifier, truth, until, wait_logged

pytestmark = pytest.mark.slow

UNBONDING = 60  # the dev chain's: stake counts in the juror pool once this old
VERIFIER, JUROR = 9, 7  # dev accounts: the verifier's key, and a juror driven by hand
JUNK = b"\x66" * 32
Daemon = tuple[subprocess.Popen[bytes], Path]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with open_world(tmp_path, workers=3) as opened:  # the requester, and three stakers never in the pool
        yield opened


def job_events(world: World, job_id: bytes) -> list[ev.Event]:
    """The market's and the court's events whose first indexed argument is ``job_id``."""
    decoder = EventDecoder(world.w3, world.deployment, ["JobMarket", "Court"])
    query = {"fromBlock": world.deployment.block, "toBlock": "latest", "address": decoder.addresses}
    logs = world.w3.eth.get_logs({**query, "topics": [None, "0x" + job_id.hex()]})  # type: ignore[typeddict-item]
    return decoder.decode_all(logs)


def outcomes(world: World, job_id: bytes) -> tuple[dict[str, int], dict[str, SlashReason]]:
    """Who the market paid and who it slashed why, in ``job_id``."""
    paid = {e.worker: e.amount for e in job_events(world, job_id) if isinstance(e, ev.WorkerPaid)}
    slashed = {e.worker: e.reason for e in job_events(world, job_id) if isinstance(e, ev.WorkerSlashed)}
    return paid, slashed


def stake_by_hand(world: World, index: int, amount: int) -> StakeManager:
    account = dev_account(index)
    Token(world.w3, world.deployment, Transactor(world.w3, dev_account(0))).faucet(account.address, amount)
    stakes = StakeManager(world.w3, world.deployment, Transactor(world.w3, account))
    stakes.stake(amount, 0)
    return stakes


def vote_by_hand(world: World, juror: StakeManager, job_id: bytes, digest: bytes, daemon: Daemon) -> None:
    """The juror votes ``digest`` in round 0 (which the verifier drew); the verifier counts the
    round and, once the appeal window has passed, makes the ruling final."""
    court, market = Court(world.w3, world.deployment, juror.transactor), JobMarket(world.w3, world.deployment)
    court.commit_vote(job_id, digest, b"\x07" * 32, b"\x08" * 32)
    court.reveal_vote(job_id, digest, b"\x07" * 32, b"\x08" * 32)
    until(lambda: court.case(job_id).phase == CasePhase.RULED, *daemon)
    advance(world.w3, court.vote_window() + 1)
    until(lambda: market.job(job_id).status == JobStatus.SETTLED, *daemon)


def test_a_staked_verifier_is_drawn_as_a_juror_votes_the_truth_and_is_paid(world: World) -> None:
    """Two colluding workers outvote an honest one in a k=3 job; the reveals disagree and the job
    goes to the court. The verifier (500 AGR staked, the pool's only stake) draws the round, is
    drawn into all three seats, re-executes — the result digest, and the state digest at the
    round's checkpoint, which a juror copying a public digest without executing cannot know —
    commits, reveals, counts and, after the appeal window, makes the ruling final: the colluders
    are slashed LostDispute, the honest worker paid, the verifier paid its three seats."""
    w3, actors = world.w3, world.actors
    me = dev_account(VERIFIER).address
    proc, log = start_verifier(world, "--sample-rate", "0", "--from", f"dev:{VERIFIER}", "--stake", "500")
    try:
        wait_logged(proc, log, "ready:")
        assert StakeManager(w3, world.deployment).stake_of(me) == (500 * AGR, 0, 0)
        advance(w3, UNBONDING + 1)
        wait_logged(proc, log, "matured stake joined the juror pool")
        wallet = Token(w3, world.deployment).balance_of(me)

        stdin = b"two colluders and an honest worker\n"
        data = digest_of(world.store.put(stdin))
        request = make_request(w3, k=3, q=2, program_id=world.program, input_digest=data, ramp=0)
        job_id = post(actors, request)
        honest, *colluders = actors.workers
        answers = {honest: truth(world, stdin), colluders[0]: JUNK, colluders[1]: JUNK}
        slots = {m: m.lock(job_id)[0] for m in actors.workers}
        for m in actors.workers:
            m.commit(job_id, slots[m], answers[m], b"\x03" * 32)
        for m in actors.workers:
            m.reveal(job_id, slots[m], answers[m], b"\x03" * 32, b"\x04" * 32)
        market, court = JobMarket(w3, world.deployment), Court(w3, world.deployment)
        assert market.job(job_id).status == JobStatus.DISPUTED
        until(lambda: court.case(job_id).phase == CasePhase.RULED, proc, log)  # drawn, voted, counted
        case = court.case(job_id)
        assert court.jurors(job_id, 0) == [me]
        vote = court.vote(job_id, 0, me)
        assert (vote.seats, vote.revealed, vote.digest) == (3, True, truth(world, stdin))
        executed = checkpoint(world.wasm, stdin, fuel=request.fuel_limit, at=case.checkpoint_fuel)
        assert vote.checkpoint == executed.digest  # it ran the job: no copy of a digest has this
        advance(w3, court.vote_window() + 1)
        until(lambda: market.job(job_id).status == JobStatus.SETTLED, proc, log)  # made final by it
        until(lambda: any(d["note"] == "paid 30 AGR for its seats" for d in listed(world, "duties")), proc, log)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    paid, slashed = outcomes(world, job_id)
    addresses = {m: m.transactor.address for m in actors.workers}  # type: ignore[union-attr]
    assert slashed == {addresses[c]: SlashReason.LOST_DISPUTE for c in colluders}
    assert paid == {addresses[honest]: 10 * AGR}
    assert [(e.juror, e.amount) for e in job_events(world, job_id) if isinstance(e, ev.JurorPaid)] == [(me, 30 * AGR)]
    assert Token(w3, world.deployment).balance_of(me) == wallet + 30 * AGR  # three seats at the job's price
    assert sum(StakeManager(w3, world.deployment).stake_of(me)) == 500 * AGR  # its seats' collateral back
    text, short = log.read_text(), job_id.hex()[:10]
    for step in (
        "drew round 0 of its case",
        "drawn as a juror for round 0 (3 seats)",
        "judged it: ok, fuel",
        "committed its vote in round 0",
        "revealed its vote in round 0",
        "counted round 0 of its case",
        "made the court's ruling final",
        "paid 30 AGR for its seats",
    ):
        assert f"agora.verifier: job {short}: {step}" in text, step
    (duty,) = listed(world, "duties")
    assert duty["jobId"] == "0x" + job_id.hex() and duty["role"] == "juror" and duty["place"] == 0
    assert duty["digest"] == "0x" + truth(world, stdin).hex()


def test_a_staked_verifier_drawn_as_an_auditor_catches_an_all_colluding_quorum(world: World) -> None:
    """Audits on for every job. Two colluders take both slots of a k=2 job and commit the same
    junk: a unanimous quorum nobody would dispute. The last lock fixed the audit's seed block, and
    once it is mined the audit is decided (the verifier keeps it moving, or a commit does it):
    the verifier is drawn as the auditor (the juror beside it in the pool holds too little stake
    to back the job's 250 AGR of collateral). It takes slot 2,
    re-executes, commits, and reveals the truth: the reveals disagree, the court draws the juror
    (the verifier now holds a slot), whose vote for the truth makes both colluders lose
    LostDispute, and the verifier is paid the job's price."""
    w3, actors = world.w3, world.actors
    me = dev_account(VERIFIER).address
    JobMarket(w3, world.deployment, Transactor(w3, dev_account(0))).set_audit_rate(10_000)
    juror = stake_by_hand(world, JUROR, 200 * AGR)
    proc, log = start_verifier(world, "--sample-rate", "0", "--from", f"dev:{VERIFIER}", "--stake", "500")
    try:
        wait_logged(proc, log, "ready:")
        advance(w3, UNBONDING + 1)
        juror.activate(dev_account(JUROR).address)
        wait_logged(proc, log, "matured stake joined the juror pool")

        stdin = b"a quorum of two, both lying\n"
        data = digest_of(world.store.put(stdin))
        request = make_request(w3, k=2, q=2, program_id=world.program, input_digest=data, ramp=0, collateral=250 * AGR)
        job_id = post(actors, request)
        colluders = actors.workers[:2]
        slots = [m.lock(job_id)[0] for m in colluders]
        for m, slot in zip(colluders, slots, strict=True):
            m.commit(job_id, slot, JUNK, b"\x03" * 32)
        market, court = JobMarket(w3, world.deployment), Court(w3, world.deployment)
        until(lambda: market.job(job_id).reveals_open(int(w3.eth.get_block("latest")["timestamp"])), proc, log)
        assert market.job(job_id).locked == 3 and market.slot(job_id, 2).worker == me
        for m, slot in zip(colluders, slots, strict=True):
            m.reveal(job_id, slot, JUNK, b"\x03" * 32, b"\x04" * 32)
        until(lambda: court.case(job_id).phase == CasePhase.VOTING, proc, log)  # the verifier draws it
        assert court.jurors(job_id, 0) == [dev_account(JUROR).address]
        vote_by_hand(world, juror, job_id, truth(world, stdin), (proc, log))
        wait_logged(proc, log, f"job {job_id.hex()[:10]}: paid 10 AGR")
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    paid, slashed = outcomes(world, job_id)
    assert paid == {me: 10 * AGR}  # the job's price, from the audit fee
    assert slashed == {m.transactor.address: SlashReason.LOST_DISPUTE for m in colluders}  # type: ignore[union-attr]
    assert market.slot(job_id, 2).sealed == truth(world, stdin)
    assert sum(StakeManager(w3, world.deployment).stake_of(me)) == 500 * AGR
    assert [e.auditor for e in job_events(world, job_id) if isinstance(e, ev.AuditorDrawn)] == [me]
    assert f"job {job_id.hex()[:10]}: drawn as its auditor (slot 2, paid 10 AGR)" in log.read_text()
    (duty,) = listed(world, "duties")
    assert duty["jobId"] == "0x" + job_id.hex() and duty["role"] == "auditor" and duty["place"] == 2
    assert duty["digest"] == "0x" + truth(world, stdin).hex()


def test_an_unstaked_verifier_is_never_drawn_but_keeps_the_case_moving(world: World) -> None:
    """With a key and no stake, the verifier holds no weight in the pool: a disputed job's round
    draws the one staker there is (driven by hand), never the verifier, which still draws the
    round, counts it and makes the ruling final, and records no duty."""
    w3, actors = world.w3, world.actors
    me = dev_account(VERIFIER).address
    juror = stake_by_hand(world, JUROR, 500 * AGR)
    proc, log = start_verifier(world, "--sample-rate", "0", "--from", f"dev:{VERIFIER}")
    try:
        wait_logged(proc, log, "ready:")
        advance(w3, UNBONDING + 1)
        juror.activate(dev_account(JUROR).address)
        stdin = b"one honest worker and one liar\n"
        data = digest_of(world.store.put(stdin))
        request = make_request(w3, k=2, q=2, program_id=world.program, input_digest=data, ramp=0)
        job_id = post(actors, request)
        honest, liar = actors.workers[:2]
        answers = {honest: truth(world, stdin), liar: JUNK}
        slots = {m: m.lock(job_id)[0] for m in (honest, liar)}
        for m in (honest, liar):
            m.commit(job_id, slots[m], answers[m], b"\x03" * 32)
        for m in (honest, liar):
            m.reveal(job_id, slots[m], answers[m], b"\x03" * 32, b"\x04" * 32)
        court = Court(w3, world.deployment)
        until(lambda: court.case(job_id).phase == CasePhase.VOTING, proc, log)  # the verifier draws it
        vote_by_hand(world, juror, job_id, truth(world, stdin), (proc, log))
        assert listed(world, "duties") == []
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert court.jurors(job_id, 0) == [dev_account(JUROR).address]
    stakes = StakeManager(w3, world.deployment)
    assert stakes.stake_of(me) == (0, 0, 0) and stakes.pool_weight_of(me)[:2] == (0, 0)
    text, short = log.read_text(), job_id.hex()[:10]
    for step in ("drew round 0 of its case", "counted round 0 of its case", "made the court's ruling final"):
        assert f"job {short}: {step}" in text, step
    assert "drawn as" not in text
    assert "holds no stake" in text
