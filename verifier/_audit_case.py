"""The court's cases as an audit rebuilds them (mirroring `ICourt.Case`, its rounds and bonds), and
the steps that open a case and add to it: an escalation, a bond, an appeal; then the draws (the
rounds' seats and the sampling audit's auditor), re-drawn here from the same seeds and pool."""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_abi import encode
from eth_utils import keccak

from ledger import UNAVAILABLE, CasePhase, JobStatus
from ledger import events as ev

from ._audit_expect import Expect, expect
from ._audit_job import AUDIT_AWAITING, AUDIT_DECIDED, AUDIT_NONE, HASH_WINDOW, SEED_DELAY, ZERO32, SlotModel, Step
from ._audit_state import BPS

ROUNDS = 3
DRAWS_PER_SEAT = 6
MAX_REDRAWS = 3
AUDIT_DRAWS = 32
CHECKPOINT_SPAN = 1 << 20
ZERO_ADDRESS = "0x" + "00" * 20


def seats_of(round_: int) -> int:
    """Seats in round ``round_``: 3, 7, 15."""
    return (4 << round_) - 1


def word(types: list[str], values: list[object]) -> int:
    """keccak256(abi.encode(values)) as a number: how the court derives its seeds."""
    return int.from_bytes(keccak(encode(types, values)), "big")


@dataclass
class VoteModel:
    seats: int
    committed: bool = False
    revealed: bool = False
    digest: bytes = ZERO32
    checkpoint: bytes = ZERO32


@dataclass
class Tally:
    revealed: int = 0
    majority: bool = False
    digest: bytes = ZERO32
    checkpoint: bytes = ZERO32


@dataclass
class CaseModel:
    """A case as its events built it (mirroring `ICourt.Case` and the court's mappings)."""

    regions: int
    fee: int
    collateral: int
    phase: CasePhase = CasePhase.DRAWING
    round: int = 0
    redraws: int = 0
    pool_block: int = 0
    seed_block: int = 0
    commit_deadline: int = 0
    reveal_deadline: int = 0
    appeal_deadline: int = 0
    checkpoint_fuel: int = 0
    ruling: bytes = ZERO32
    pot: int = 0
    bonds: int = 0
    winners_share: int = 0
    claimed: dict[bytes, int] = field(default_factory=dict)
    bonded: dict[bytes, int] = field(default_factory=dict)
    bond_of: dict[tuple[str, bytes], int] = field(default_factory=dict)
    bond_totals: dict[str, int] = field(default_factory=dict)
    jurors: dict[int, list[str]] = field(default_factory=dict)
    votes: dict[tuple[int, str], VoteModel] = field(default_factory=dict)
    tallies: dict[int, Tally] = field(default_factory=dict)
    opened_by_dispute: bytes | None = None  # the transaction that disputed a provisional outcome
    appeal_tx: bytes | None = None
    final_tx: bytes | None = None  # the transaction that decided (or voided) it


def case_of(step: Step) -> CaseModel:
    case = step.job.case
    assert isinstance(case, CaseModel)
    return case


def schedule(step: Step, why: str) -> list[Expect]:
    case = case_of(step)
    case.phase, case.pool_block, case.seed_block = CasePhase.DRAWING, step.block - 1, step.block + SEED_DELAY
    return [expect("RoundScheduled", why, round=case.round, pool_block=case.pool_block, seed_block=case.seed_block)]


def open_case(step: Step) -> list[Expect]:
    """`Court.open`/`_open`: a revealing slot's collateral is its claim on its digest."""
    job, p = step.job, step.params
    case = CaseModel(
        regions=job.request.regions, fee=max(job.request.max_price, p.min_seat_fee), collateral=p.seat_collateral
    )
    for s in job.revealers():
        case.claimed[s.sealed] = case.claimed.get(s.sealed, 0) + job.collateral
    job.case = case
    return schedule(step, "the case opens: round 0 is scheduled")


def escalate(step: Step) -> list[Expect]:
    """`Court.dispute` of a provisional outcome within its challenge window."""
    job = step.job
    step.rule(step.now <= job.final_after(), "a provisional outcome disputed after its challenge window", "court")
    job.status = JobStatus.DISPUTED
    out = [expect("JobEscalated", "a bonded dispute of the provisional outcome")]
    out += open_case(step)
    case_of(step).opened_by_dispute = step.tx_hash
    return out


def bond(step: Step, event: ev.Disputed) -> list[Expect]:
    """A bond: a dispute, a claim in an open case, or an appeal (`Court.dispute`)."""
    job, case = step.job, step.job.case
    step.rule(isinstance(case, CaseModel), "a bond on a job without a case", "court")
    if not isinstance(case, CaseModel):
        return []
    step.rule(event.digest != UNAVAILABLE, "a bond naming the unavailable claim", "court")
    if case.phase == CasePhase.VOTING:
        step.rule(case.tallies[case.round].revealed == 0, "a bond after the round's votes were revealed", "court")
    else:
        step.rule(case.phase == CasePhase.DRAWING, f"a bond while the case is {case.phase.name.lower()}", "court")
    if case.appeal_tx == step.tx_hash:
        step.rule(event.digest != case.ruling, "an appeal naming the ruling itself", "court")
    if case.opened_by_dispute == step.tx_hash:
        outcome = job.revealers()[0].sealed if job.revealers() else ZERO32
        step.rule(event.digest != outcome, "a dispute naming the provisional digest itself", "court")
    slots = max(len(job.slots), job.request.redundancy)
    minimum = (seats_of(case.round) + slots) * max(job.request.max_price, step.params.min_seat_fee)
    step.rule(event.amount >= minimum, f"a bond of {event.amount} below the least {minimum}", "court")
    who, digest = event.account, event.digest
    case.claimed[digest] = case.claimed.get(digest, 0) + event.amount
    case.bonded[digest] = case.bonded.get(digest, 0) + event.amount
    case.bond_of[(who, digest)] = case.bond_of.get((who, digest), 0) + event.amount
    case.bond_totals[who] = case.bond_totals.get(who, 0) + event.amount
    case.bonds += event.amount
    return [expect("Disputed", "a bond", account=who, digest=digest, amount=event.amount, round=case.round)]


def appeal(step: Step) -> list[Expect]:
    case = case_of(step)
    step.rule(step.now <= case.appeal_deadline, "an appeal after the appeal window", "court")
    case.round, case.redraws, case.appeal_tx = case.round + 1, 0, step.tx_hash
    step.rule(case.round < ROUNDS, "an appeal of the last round", "court")
    return schedule(step, f"an appeal: round {case.round} is scheduled")


# -- draws ----------------------------------------------------------------------------------------


def can_back(step: Step, account: str, seats: int, collateral: int) -> bool:
    """`_canBack`: free stake for ``seats`` seats, and the minimum stake in all."""
    stake = step.book.of(account)
    return stake.free >= seats * collateral and stake.total >= step.params.min_stake


def draw_seats(step: Step, case: CaseModel, seed: int, needed: int) -> list[tuple[str, int]] | None:
    holders = {s.worker for s in step.job.slots}
    jurors: list[str] = []
    seats: list[int] = []
    filled = attempt = 0
    while attempt < needed * DRAWS_PER_SEAT and filled < needed:
        juror = step.reader.draw_juror(case.regions, case.pool_block, word(["uint256", "uint256"], [seed, attempt]))
        attempt += 1
        if juror == ZERO_ADDRESS:
            break
        if juror in holders:
            continue
        at = jurors.index(juror) if juror in jurors else len(jurors)
        if not can_back(step, juror, (seats[at] if at < len(jurors) else 0) + 1, case.collateral):
            continue
        if at == len(jurors):
            jurors.append(juror)
            seats.append(0)
        seats[at] += 1
        filled += 1
    return list(zip(jurors, seats, strict=True)) if filled == needed else None


def draw_auditor(step: Step, seed: int, *, pool_block: int) -> str | None:
    """`_drawAuditor`: the first account drawn that holds no slot and can back the collateral."""
    job = step.job
    holders = {s.worker for s in job.slots}
    for attempt in range(AUDIT_DRAWS):
        found = step.reader.draw_juror(job.request.regions, pool_block, word(["uint256", "uint256"], [seed, attempt]))
        if found == ZERO_ADDRESS:
            break
        if found not in holders and can_back(step, found, 1, job.collateral):
            return found
    return None


# -- the sampling audit ---------------------------------------------------------------------------


def audit(step: Step, event: ev.Event) -> list[Expect]:
    """`Court.audit`: schedules the audit's seed block, or decides the audit from its hash."""
    del event  # what it logged is compared with what this derives
    job, state = step.job, step.job.audit
    awaiting = state not in (AUDIT_NONE, AUDIT_DECIDED) and bool(job.slots) and job.status == JobStatus.OPEN
    if not step.rule(awaiting, "an audit step for a job not awaiting one", "audit"):
        return []
    step.rule(step.now <= job.audit_deadline(), "the audit moved on after its draw deadline", "audit")
    if state == AUDIT_AWAITING:
        done = len(job.slots) >= job.request.redundancy or step.now > job.request.lock_deadline
        step.rule(done, "the audit scheduled while locking was still open", "audit")
    else:
        step.rule(step.block > state, "the audit decided before its seed block was mined", "audit")
    if state == AUDIT_AWAITING or step.block - state > HASH_WINDOW:
        job.audit = step.block + SEED_DELAY
        why = "locking ended short of k" if state == AUDIT_AWAITING else "the seed block aged out unread"
        return [expect("AuditScheduled", why, seed_block=job.audit)]
    seed = word(["bytes32", "bytes32", "string"], [step.reader.block_hash(state), job.job_id, "audit"])
    sampled = seed % BPS < step.params.audit_bps
    job.audit = AUDIT_DECIDED
    auditor = draw_auditor(step, seed, pool_block=state - SEED_DELAY - 1) if sampled else None
    if auditor is None:
        why = "sampled, but nobody eligible was drawn" if sampled else f"not sampled at {step.params.audit_bps} bps"
        return [expect("AuditSkipped", why, sampled=sampled)]
    price = job.request.max_price
    job.slots.append(SlotModel(auditor, price, auditor=True))
    return [
        expect("AuditorDrawn", "the first eligible account the seed draws", auditor=auditor),
        expect("JobLocked", "the auditor's slot, at maxPrice", worker=auditor, slot=len(job.slots) - 1, price=price),
        expect("CollateralLocked", "the job's collateral", worker=auditor, amount=job.collateral),
    ]
