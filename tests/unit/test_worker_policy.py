"""The bidding policy, the worker's job records and region codes: pure logic, no chain."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compute import Result, Status
from ledger import JobRequest, Mode, region_code, region_index, regions_in, regions_mask
from worker import BidPolicy, JobRecord, Phase, WorkerState

AGR = 10**18
NOW = 1_800_000_000


def request(**overrides: object) -> JobRequest:
    values: dict[str, object] = {
        "requester": "0x" + "11" * 20,
        "program_id": b"\x01" * 32,
        "input_digest": b"\x02" * 32,
        "verifier_pin": b"\x00" * 32,
        "min_price": 2 * AGR,
        "max_price": 10 * AGR,
        "ramp": 100,
        "collateral": 50 * AGR,
        "redundancy": 3,
        "quorum": 2,
        "mode": Mode.REDUNDANT,
        "fuel_limit": 10**6,
        "lock_deadline": NOW + 60,
        "commit_deadline": NOW + 120,
        "reveal_deadline": NOW + 180,
        "regions": 0,
        "nonce": 7,
        "expiry": NOW + 60,
    }
    values.update(overrides)
    return JobRequest(**values)  # type: ignore[arg-type]


def ask(r: JobRequest, posted_at: int, t: int) -> int:
    """The contract's reverse-Dutch ask at time t."""
    elapsed = t - posted_at
    if r.ramp == 0 or elapsed >= r.ramp:
        return r.max_price
    return r.min_price + (r.max_price - r.min_price) * elapsed // r.ramp


@pytest.mark.parametrize(
    "policy,req,reason",
    [
        (BidPolicy(prove=False), request(mode=Mode.ZK), "skipped: zero-knowledge jobs need a prover"),
        (
            BidPolicy(min_price=12 * AGR),
            request(),
            "skipped: price below minimum (pays at most 10 AGR, this worker takes 12 AGR)",
        ),
        (BidPolicy(max_fuel=1000), request(), "skipped: fuel limit 1,000,000 above this worker's maximum 1,000"),
        (
            BidPolicy(region=region_index("us")),
            request(regions=regions_mask(["eu", "ch"])),
            "skipped: region us not allowed (the job allows eu, ch)",
        ),
        (BidPolicy(region=None), request(regions=regions_mask(["eu"])), "declared no region"),
        (BidPolicy(), request(lock_deadline=NOW - 1), "skipped: its lock deadline has passed"),
        (BidPolicy(exec_margin=30), request(commit_deadline=NOW + 10), "less than 30s left"),
        (
            BidPolicy(reveal_margin=5),
            request(commit_deadline=NOW + 180, reveal_deadline=NOW + 180),
            "skipped: 0s between commit and reveal deadlines, this worker needs 5s",
        ),
    ],
)
def test_the_policy_declines_with_its_reason(policy: BidPolicy, req: JobRequest, reason: str) -> None:
    verdict = policy.evaluate(req, now=NOW)
    assert not verdict.bid
    assert reason in verdict.reason


def test_the_policy_takes_a_job_it_can_do_at_its_own_minimum_or_the_jobs() -> None:
    assert BidPolicy(min_price=4 * AGR).evaluate(request(), now=NOW).target_price == 4 * AGR
    assert BidPolicy(min_price=1 * AGR).evaluate(request(), now=NOW).target_price == 2 * AGR
    eu = BidPolicy(region=region_index("eu"))
    assert eu.evaluate(request(regions=regions_mask(["eu", "us"])), now=NOW).bid
    assert eu.evaluate(request(regions=0), now=NOW).bid


def test_k1_jobs_are_judged_by_their_reveal_deadline() -> None:
    k1 = request(redundancy=1, quorum=1, commit_deadline=NOW + 1, reveal_deadline=NOW + 100)
    assert BidPolicy(exec_margin=30).evaluate(k1, now=NOW).bid


def test_readiness_waits_for_capacity_and_free_stake() -> None:
    policy = BidPolicy(max_concurrent=2)
    assert policy.ready(request(), free_stake=50 * AGR, executing=1).bid
    busy = policy.ready(request(), free_stake=50 * AGR, executing=2)
    assert not busy.bid and busy.reason == "waiting: no free capacity (2 of 2 executing)"
    poor = policy.ready(request(), free_stake=49 * AGR, executing=0)
    assert not poor.bid and poor.reason == "waiting: not enough free stake (49 AGR free, collateral 50 AGR)"


@given(
    low=st.integers(0, 10**20),
    span=st.integers(0, 10**20),
    ramp=st.integers(0, 10**6),
    fraction=st.floats(0, 1),
    posted=st.integers(0, 2**32),
)
def test_lock_time_is_the_first_second_the_ask_reaches_the_target(
    low: int, span: int, ramp: int, fraction: float, posted: int
) -> None:
    r = request(min_price=low, max_price=low + span, ramp=ramp)
    target = low + min(span, int(span * fraction))  # span * 1.0 may round above span in a float
    t = BidPolicy.lock_time(r, posted, target)
    assert t >= posted
    assert ask(r, posted, t) >= target
    if t > posted:
        assert ask(r, posted, t - 1) < target


def test_regions_round_trip_and_refuse_unknown_codes() -> None:
    assert region_index("eu") == 1 and region_code(1) == "eu" and region_index("3") == 3
    assert regions_in(regions_mask(["us", "eu"])) == ["eu", "us"]
    assert regions_in(0) == []
    for bad in ("atlantis", "32", 99):
        with pytest.raises(ValueError):
            region_index(bad)
    with pytest.raises(ValueError):
        regions_in(2**32)


def test_job_records_survive_a_reopen(tmp_path: Path) -> None:
    state = WorkerState(tmp_path / "jobs.sqlite")
    record = JobRecord(b"\xaa" * 32, request(max_price=2**95), Phase.CANDIDATE, "candidate", 3 * AGR, NOW + 5)
    assert state.add(record)
    assert not state.add(replace(record, note="again"))  # an event seen twice adds nothing
    state.save(record.evolve(phase=Phase.EXECUTED, slot=2, salt=b"\x05" * 32, digest=b"\x06" * 32, earned=7))
    state.close()
    state = WorkerState(tmp_path / "jobs.sqlite")
    again = state.get(b"\xaa" * 32)
    assert again is not None
    assert again.request == record.request
    assert (again.phase, again.slot, again.salt, again.digest) == (Phase.EXECUTED, 2, b"\x05" * 32, b"\x06" * 32)
    assert state.in_phase(Phase.EXECUTED) == [again]
    assert state.counts() == {Phase.EXECUTED: 1}
    assert state.totals() == (7, 0)
    state.close()


def test_a_result_digest_covers_status_exit_code_output_and_fuel() -> None:
    base = Result(Status.OK, 0, b"out", 100)
    variants = [
        replace(base, status=Status.EXIT_NONZERO),
        replace(base, exit_code=1),
        replace(base, output=b"out2"),
        replace(base, fuel_used=101),
    ]
    digests = {base.digest, *(v.digest for v in variants)}
    assert len(digests) == 5
    assert replace(base, detail="diagnostics are not part of it").digest == base.digest
