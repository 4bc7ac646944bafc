"""The market's rules (contracts/src/JobMarket.sol and JobSettlement.sol), re-derived in Python:
for each step of a job, what the contracts must have logged: who is paid, refunded, slashed and why."""

from __future__ import annotations

from eth_utils import to_checksum_address

from ledger import UNAVAILABLE, JobStatus, Mode, SlashReason, Verdict, format_tokens
from ledger import events as ev

from . import _audit_proof
from ._audit_expect import Expect, expect
from ._audit_job import (
    AUDIT_AWAITING,
    AUDIT_DECIDED,
    AUDIT_NONE,
    MAX_SLOTS,
    RELEASE_WINDOW,
    SEED_DELAY,
    JobModel,
    SlotModel,
    Step,
)
from ._audit_report import AuditReport, short
from ._audit_state import BPS, Params


def _market_slash(step: Step, slot: SlotModel, reason: SlashReason, why: str) -> list[Expect]:
    """A slash by the market itself (`_slash`): to the requester, or to the court for a lost dispute."""
    beneficiary = step.job.requester if reason != SlashReason.LOST_DISPUTE else step.params.court
    events, _ = step.slash(slot.worker, step.job.collateral, reason, beneficiary, why)
    return events


# -- posting and bidding --------------------------------------------------------------------------


def post(event: ev.JobPosted, *, now: int, params: Params, report: AuditReport) -> JobModel:
    """The job a `JobPosted` event creates, after checking its id, its terms and its escrow."""
    r = event.request
    audited = (
        r.mode == Mode.REDUNDANT and params.market_court is not None and params.audit_bps != 0 and r.redundancy < 8
    )
    where = {"job_id": event.job_id, "block": event.block, "tx_hash": event.tx_hash}
    report.expect(r.struct_hash() == event.job_id, "settlement", "the job id is not its request's hash", **where)
    report.expect(r.requester == event.requester, "settlement", "the requester is not the request's", **where)
    escrow = (r.redundancy + (1 if audited else 0)) * r.max_price
    fee = " and the audit fee" if audited else ""
    report.expect(
        event.escrow == escrow,
        "settlement",
        f"escrow {event.escrow} where the rule gives k x maxPrice{fee} = {escrow}",
        **where,
    )
    if r.mode == Mode.REDUNDANT and params.market_court is not None:
        needed = -(-3 * r.max_price * BPS // (BPS - params.burn_bps))
        report.expect(r.collateral >= needed, "settlement", f"collateral {r.collateral} below {needed}", **where)
    report.expect(
        1 <= r.quorum <= r.redundancy <= MAX_SLOTS and r.min_price <= r.max_price,
        "settlement",
        f"terms out of bounds: k={r.redundancy} q={r.quorum} prices {r.min_price}..{r.max_price}",
        **where,
    )
    return JobModel(
        job_id=event.job_id,
        request=r,
        escrow=event.escrow,
        posted_at=now,
        audit=AUDIT_AWAITING if audited else AUDIT_NONE,
        challenge_window=params.challenge_window,
    )


def lock(step: Step, event: ev.JobLocked) -> list[Expect]:
    job = step.job
    step.rule(step.now <= job.request.lock_deadline, f"slot taken after the lock deadline ({event.worker})")
    step.rule(len(job.slots) < job.request.redundancy, f"slot {event.slot} taken beyond k={job.request.redundancy}")
    step.rule(all(s.worker != event.worker for s in job.slots), f"{event.worker} holds two slots")
    step.rule(event.worker not in job.released, f"{event.worker} locks again a job whose slot it gave back")
    price = job.ask(step.now)
    job.slots.append(SlotModel(event.worker, price, sealed=step.now.to_bytes(32, "big")))
    if len(job.slots) == job.request.redundancy and job.audit == AUDIT_AWAITING:
        job.audit = step.block + SEED_DELAY  # the last slot taken fixes the audit's seed block
    why = f"the ask {step.now - job.posted_at} s after posting"
    return [
        expect("JobLocked", why, worker=event.worker, slot=len(job.slots) - 1, price=price),
        expect("CollateralLocked", "the job's collateral", worker=event.worker, amount=job.collateral),
    ]


def release(step: Step, event: ev.SlotReleased) -> list[Expect]:
    """`release`: a slot given back without fault, before its commit and within its window (two
    minutes after its lock, at most the lock deadline), and not once the audit's seed block is
    mined; the job's last slot moves into its place, and the giver may not lock the job again."""
    job = step.job
    slot = job.slots[event.slot] if event.slot < len(job.slots) else None
    if not step.rule(slot is not None and slot.worker == event.worker, f"{event.worker} gives back a slot not its own"):
        return []
    assert slot is not None
    locked_at = int.from_bytes(slot.sealed, "big")
    until = min(locked_at + RELEASE_WINDOW, job.request.lock_deadline)
    step.rule(
        not slot.committed and not slot.auditor, f"slot {event.slot} given back after committing, or an auditor's"
    )
    step.rule(step.now <= until, f"slot {event.slot} given back at {step.now}, after its window closed at {until}")
    seeded = job.audit > AUDIT_DECIDED
    step.rule(
        job.audit != AUDIT_DECIDED and not (seeded and step.block > job.audit),
        f"slot {event.slot} given back once the job's audit seed was known",
    )
    if seeded:
        job.audit = AUDIT_AWAITING  # locking reopens: the next full lock fixes a new seed block
    job.released.add(event.worker)
    last = len(job.slots) - 1
    job.slots[event.slot] = job.slots[last]
    job.slots.pop()
    return [
        expect("SlotReleased", "given back within its window", worker=event.worker, slot=event.slot, moved_from=last),
        expect("CollateralReleased", "a slot given back, without fault", worker=event.worker, amount=job.collateral),
    ]


def commit(step: Step, event: ev.ResultCommitted) -> list[Expect]:
    job = step.job
    slot = job.slots[event.slot] if event.slot < len(job.slots) else None
    if step.rule(slot is not None and slot.worker == event.worker, f"{event.worker} commits for a slot not its own"):
        step.rule(not slot.committed, f"slot {event.slot} committed twice")  # type: ignore[union-attr]
        slot.committed, slot.sealed = True, event.commitment  # type: ignore[union-attr]
    step.rule(step.now <= job.request.commit_deadline, f"slot {event.slot} committed after the commit deadline")
    return [expect("ResultCommitted", worker=event.worker, slot=event.slot, commitment=event.commitment)]


def reveal(step: Step, event: ev.ResultRevealed) -> list[Expect]:
    job = step.job
    slot = job.slots[event.slot] if event.slot < len(job.slots) else None
    if step.rule(slot is not None and slot.worker == event.worker, f"{event.worker} reveals for a slot not its own"):
        step.rule(not slot.revealed, f"slot {event.slot} revealed twice")  # type: ignore[union-attr]
        slot.revealed, slot.sealed = True, event.digest  # type: ignore[union-attr]
    step.rule(step.now <= job.request.reveal_deadline, f"slot {event.slot} revealed after the reveal deadline")
    out = [expect("ResultRevealed", worker=event.worker, slot=event.slot, digest=event.digest)]
    if job.all_revealed(step.now):
        out += settle(step)  # the last reveal settles at once
    return out


# -- outcomes -------------------------------------------------------------------------------------


def settle(step: Step) -> list[Expect]:
    """`_settle`: a quorum makes the job provisional, disagreement goes to the court, agreement short
    of the quorum leaves it unresolved; slots that did not reveal are slashed now."""
    job = step.job
    if not job.slots:
        return close(step, "nobody took a slot")
    best, size, tie = job.largest_group()
    revealed = len(job.revealers())
    court = step.params.market_court
    out: list[Expect]
    if size == revealed and best == UNAVAILABLE:
        out = void(step, "every revealer claimed the data unavailable")
    elif size < revealed and court is not None:
        job.status = JobStatus.DISPUTED
        out = [expect("JobEscalated", "the reveals disagree: the court decides")]
    elif size >= job.request.quorum and not tie:
        job.status = JobStatus.PROVISIONAL
        _window_from_now(step)
        why = f"{size} of the {revealed} reveals agree on {short(best)} (quorum {job.request.quorum})"
        out = [expect("JobProvisional", why, digest=best, agreeing=size, final_after=job.final_after())]
    elif revealed:
        job.status = JobStatus.UNRESOLVED
        _window_from_now(step)
        out = [expect("JobUnresolved", "reveals short of the quorum", largest_group=size, quorum=job.request.quorum)]
    else:
        out = close(step, "locked, but nobody revealed")
    for s in job.slots:
        if not s.revealed:
            reason = SlashReason.NO_REVEAL if s.committed else SlashReason.DEADLINE_MISSED
            why = "committed, never revealed" if s.committed else "never committed"
            out += _market_slash(step, s, reason, why)
    if job.status == JobStatus.DISPUTED and step.open_case is not None:
        out += step.open_case(step)  # `Court.open`: the court's half of the rules
    return out


def _window_from_now(step: Step) -> None:
    r = step.job.request
    if step.now > r.reveal_deadline:  # settled late: the challenge window runs from now
        step.job.challenge_window += step.now - r.reveal_deadline


def finalize(step: Step, best: bytes, reason: SlashReason, beneficiary: str) -> tuple[list[Expect], int]:
    """`_finalize`: revealers of ``best`` are paid their price, the rest of the escrow goes back,
    every other revealer (but "unavailable") is slashed; returns the events and what the slashes
    sent ``beneficiary`` after the burn."""
    job = step.job
    winners = [s for s in job.revealers() if s.sealed == best]
    ruled = "ruled" if reason == SlashReason.LOST_DISPUTE else "winning"
    out = [
        expect(
            "WorkerPaid",
            f"revealed the {ruled} digest {short(best)}: its locked price",
            worker=s.worker,
            amount=s.price,
        )
        for s in winners
    ]
    paid = sum(s.price for s in winners)
    out.append(expect("JobSettled", f"the {ruled} digest", winning_digest=best, agreeing=len(winners)))
    out += _refund(job, paid)
    sent = 0
    for s in job.revealers():
        if s.sealed == best or s.sealed == UNAVAILABLE:
            why = "revealed the result" if s.sealed == best else "claimed the data unavailable: never slashed"
            out.append(expect("CollateralReleased", why, worker=s.worker, amount=job.collateral))
        else:
            events, net = step.slash(s.worker, job.collateral, reason, beneficiary, f"revealed {short(s.sealed)}")
            out += events
            sent += net
    job.status, job.outcome = JobStatus.SETTLED, best
    return out, sent


def void(step: Step, why: str) -> list[Expect]:
    """`_void`: every revealer paid its price (an "unavailable" claim minPrice / 4), nobody slashed
    for its digest, the rest of the escrow back."""
    job = step.job
    job.status = JobStatus.VOID
    revealers = job.revealers()
    pays = [_void_pay(job, s) for s in revealers]
    out = [expect("JobVoid", why, revealed=len(revealers))]
    out += _refund(job, sum(pays))
    for s, pay in zip(revealers, pays, strict=True):
        because = "job void: its locked price" if s.sealed != UNAVAILABLE else "an unavailable claim: minPrice / 4"
        out.append(expect("WorkerPaid", because, worker=s.worker, amount=pay))
        out.append(expect("CollateralReleased", "job void", worker=s.worker, amount=job.collateral))
    return out


def _void_pay(job: JobModel, slot: SlotModel) -> int:
    return slot.price if slot.sealed != UNAVAILABLE else min(job.request.min_price // 4, slot.price)


def close(step: Step, why: str) -> list[Expect]:
    """`_close`: the job expires and its whole escrow goes back."""
    step.job.status = JobStatus.EXPIRED
    return [expect("JobExpired", why), *_refund(step.job, 0)]


def _refund(job: JobModel, paid: int) -> list[Expect]:
    amount = job.escrow - paid
    if amount == 0:
        return []
    why = f"escrow {format_tokens(job.escrow)} AGR less payments {format_tokens(paid)} AGR"
    return [expect("Refunded", why, requester=job.requester, amount=amount)]


def proof(step: Step, event: ev.ProofChecked) -> list[Expect]:
    """`ProofCourt.submitProof` and the market's `settleProof`: the verdict judged again from the
    submission (_audit_proof), then what it pays, refunds or slashes."""
    job = step.job
    slot = job.slots[0] if job.slots else None
    step.rule(slot is not None and slot.worker == event.worker, f"a proof from {event.worker}, not the slot's worker")
    step.rule(step.now <= job.request.reveal_deadline, "a proof after the reveal deadline")
    pinned = to_checksum_address(job.request.verifier_pin[:20])
    step.rule(
        event.verifier == pinned, f"checked by {event.verifier}, not by the verifier the request pinned ({pinned})"
    )
    _audit_proof.judge(step, event)
    if slot is None:
        return []
    checked = expect(
        "ProofChecked",
        "the proof court's verdict",
        worker=slot.worker,
        verifier=pinned,
        verdict=event.verdict,
        digest=event.digest,
    )
    if event.verdict == Verdict.VALID:
        slot.revealed, slot.sealed, job.status, job.outcome = True, event.digest, JobStatus.SETTLED, event.digest
        return [
            checked,
            expect("ProofAccepted", "the verifier accepted the proof", worker=slot.worker, digest=event.digest),
            expect("JobSettled", "a valid proof", winning_digest=event.digest, agreeing=1),
            *_refund(job, slot.price),
            expect("WorkerPaid", "a valid proof: its locked price", worker=slot.worker, amount=slot.price),
            expect("CollateralReleased", "a valid proof", worker=slot.worker, amount=job.collateral),
        ]
    if event.verdict == Verdict.UNVERIFIABLE:
        slot.revealed, slot.sealed = True, event.digest
        return [checked, *void(step, "the pinned verifier failed: the requester's choice, the worker paid")]
    job.status = JobStatus.EXPIRED
    return [
        checked,
        expect("ProofRejected", "the verifier refused the proof", worker=slot.worker, digest=event.digest),
        *_refund(job, 0),
        *_market_slash(step, slot, SlashReason.INVALID_PROOF, "the proof did not verify"),
    ]


def expire_open(step: Step) -> list[Expect]:
    """`settle` or `expire` of an open job."""
    job, r = step.job, step.job.request
    due = r.lock_deadline if not job.slots else r.reveal_deadline
    ready = step.now > due or (r.mode == Mode.REDUNDANT and job.all_revealed(step.now))
    step.rule(ready, f"closed at {step.now}, before its deadline {due} and before every slot revealed")
    if r.mode == Mode.REDUNDANT:
        return settle(step)
    if not job.slots:
        return close(step, "nobody took the slot")
    out = close(step, "no proof by the reveal deadline")
    return out + _market_slash(step, job.slots[0], SlashReason.DEADLINE_MISSED, "no proof by the reveal deadline")


def finish_provisional(step: Step) -> list[Expect]:
    """`finalize` after the challenge window, or `accept` by the requester of a unanimous result."""
    job = step.job
    best, size, _ = job.largest_group()
    if step.now <= job.final_after():
        # as JobMarket.accept: at least k agree and every slot taken (a drawn auditor's too) is among them
        unanimous = size >= job.request.redundancy and size == len(job.slots)
        step.rule(
            unanimous, f"final before its challenge window ended ({job.final_after()}) without all slots agreeing"
        )
    out, _ = finalize(step, best, SlashReason.WRONG_RESULT, job.requester)
    return out


def void_unresolved(step: Step) -> list[Expect]:
    step.rule(step.now > step.job.final_after(), "an unresolved job made void before its challenge window ended")
    return void(step, "no quorum by the end of the challenge window")
