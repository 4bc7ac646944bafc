"""The court's rules (contracts/src/Court.sol), re-derived in Python: drawn rounds, votes, counts,
rulings, the pot and claims. Cases, bonds and draws are in `_audit_case`."""

from __future__ import annotations

from enum import Enum

from ledger import UNAVAILABLE, CasePhase, SlashReason
from ledger import events as ev

from . import _audit_market as market
from ._audit_case import (
    CHECKPOINT_SPAN,
    MAX_REDRAWS,
    ROUNDS,
    CaseModel,
    Tally,
    VoteModel,
    appeal,
    case_of,
    draw_seats,
    schedule,
    seats_of,
    word,
)
from ._audit_expect import Expect, expect
from ._audit_job import HASH_WINDOW, SEED_DELAY, Step
from ._audit_report import short


def draw(step: Step) -> list[Expect]:
    """`Court.draw`: the round's seats from the seed, else a redraw, else no round."""
    case = case_of(step)
    step.rule(step.block > case.seed_block, "drawn before its seed block was mined", "court")
    if step.block - case.seed_block > HASH_WINDOW:
        case.seed_block = step.block + SEED_DELAY
        why = "the seed block aged out unread: a later one"
        return [expect("RoundScheduled", why, round=case.round, pool_block=case.pool_block, seed_block=case.seed_block)]
    seed = word(["bytes32", "bytes32", "uint8"], [step.reader.block_hash(case.seed_block), step.job.job_id, case.round])
    drawn = draw_seats(step, case, seed, seats_of(case.round))
    if drawn is None:
        if case.redraws < MAX_REDRAWS:
            case.redraws += 1
            return schedule(step, "too little eligible stake for this seed: drawn again")
        return _no_round(step)
    r, vote_window = case.round, step.params.vote_window
    case.jurors[r], case.tallies[r] = [juror for juror, _ in drawn], Tally()
    out = []
    for juror, seats in drawn:
        case.votes[(r, juror)] = VoteModel(seats)
        out.append(expect("JurorDrawn", "drawn by stake from the seed", juror=juror, round=r, seats=seats))
        out.append(expect("CollateralLocked", "its seats' collateral", worker=juror, amount=seats * case.collateral))
    case.phase = CasePhase.VOTING
    case.checkpoint_fuel = word(["uint256", "string"], [seed, "checkpoint"]) % CHECKPOINT_SPAN + 1
    case.commit_deadline, case.reveal_deadline = step.now + vote_window, step.now + 2 * vote_window
    out.append(
        expect(
            "RoundDrawn",
            "the round's terms",
            round=r,
            seats=seats_of(r),
            checkpoint_fuel=case.checkpoint_fuel,
            commit_deadline=case.commit_deadline,
            reveal_deadline=case.reveal_deadline,
        )
    )
    return out


def _no_round(step: Step) -> list[Expect]:
    """A round that cannot be drawn: the latest ruling stands, else the job is void."""
    case = case_of(step)
    if any(case.tallies[r].majority for r in range(case.round) if r in case.tallies):
        return decide(step)
    return void_case(step)


# -- votes and counts -----------------------------------------------------------------------------


def vote(step: Step, event: ev.VoteCommitted | ev.VoteRevealed) -> list[Expect]:
    case = step.job.case
    voting = isinstance(case, CaseModel) and case.phase == CasePhase.VOTING and event.round == case.round
    seat = case.votes.get((event.round, event.juror)) if isinstance(case, CaseModel) else None
    if not step.rule(
        voting and seat is not None, f"a vote by {event.juror}, who holds no seat in a round voting", "court"
    ):
        return []
    assert isinstance(case, CaseModel) and seat is not None
    if isinstance(event, ev.VoteCommitted):
        step.rule(step.now <= case.commit_deadline and not seat.committed, "a vote committed late or twice", "court")
        seat.committed = True
        return [expect("VoteCommitted", juror=event.juror, round=event.round)]
    tally = case.tallies[case.round]
    step.rule(step.now <= case.reveal_deadline and seat.committed, "a vote revealed late or uncommitted", "court")
    seat.revealed, seat.digest, seat.checkpoint = True, event.digest, event.checkpoint
    tally.revealed += 1
    return [
        expect("VoteRevealed", juror=event.juror, round=event.round, digest=event.digest, checkpoint=event.checkpoint)
    ]


def resolve(step: Step) -> list[Expect]:
    """`Court.resolve`: the (digest, checkpoint) pair with the most seats; a strict majority rules;
    silent jurors are slashed."""
    case, court = case_of(step), step.params.court
    r, jurors, tally = case.round, case.jurors[case.round], case.tallies[case.round]
    everyone = tally.revealed == len(jurors)
    step.rule(everyone or step.now > case.reveal_deadline, "counted before the votes were in", "court")
    best = 0
    votes = [case.votes[(r, j)] for j in jurors]
    for v in votes:
        if not v.revealed or v.digest == UNAVAILABLE:
            continue
        n = sum(w.seats for w in votes if w.revealed and (w.digest, w.checkpoint) == (v.digest, v.checkpoint))
        if n > best:
            best, tally.digest, tally.checkpoint = n, v.digest, v.checkpoint
    tally.majority = best * 2 > seats_of(r)
    if tally.majority:
        case.ruling = tally.digest
    last = r + 1 == ROUNDS
    appeal_by = step.now + step.params.vote_window if tally.majority and not last else 0
    why = f"{best} of {seats_of(r)} seats behind {short(tally.digest)}"
    out = [
        expect("RoundResolved", why, round=r, majority=tally.majority, digest=tally.digest, appeal_deadline=appeal_by)
    ]
    for juror, v in zip(jurors, votes, strict=True):
        if not v.revealed:
            events, net = step.slash(
                juror,
                v.seats * case.collateral,
                SlashReason.NO_REVEAL,
                court,
                "a juror silent in its round",
                by_market=False,
            )
            out += events
            case.pot += net
    if tally.majority and last:
        return out + decide(step)
    if tally.majority:
        case.phase, case.appeal_deadline = CasePhase.RULED, appeal_by
        return out
    if last:
        return out + void_case(step)
    case.round, case.redraws = r + 1, 0
    return out + schedule(step, "no majority: a larger round")


def finalize_case(step: Step) -> list[Expect]:
    case = case_of(step)
    step.rule(step.now > case.appeal_deadline, "a ruling made final within its appeal window", "court")
    return decide(step)


class _Standing(Enum):
    SLASHED = 0
    RELEASED = 1
    PAID = 2


def _standing(case: CaseModel, round_: int, vote_: VoteModel) -> _Standing:
    if vote_.digest != case.ruling:
        return _Standing.RELEASED if vote_.digest == UNAVAILABLE else _Standing.SLASHED
    tally = case.tallies[round_]
    if not tally.majority or tally.digest != case.ruling:
        return _Standing.RELEASED
    return _Standing.PAID if vote_.checkpoint == tally.checkpoint else _Standing.SLASHED


def decide(step: Step) -> list[Expect]:
    """`_decide`: the market rules for the ruling; jurors are settled; the pot pays the coherent
    seats, then the claims on the ruling pro rata (or the requester when none named it)."""
    case, job, court = case_of(step), step.job, step.params.court
    case.phase, case.final_tx, ruling = CasePhase.DECIDED, step.tx_hash, case.ruling
    out, net = market.finalize(step, ruling, SlashReason.LOST_DISPUTE, court)
    case.pot += net
    paid_seats, payees = 0, []
    for r in range(case.round + 1):
        for juror in case.jurors.get(r, []):
            v = case.votes[(r, juror)]
            if not v.revealed:
                continue
            standing = _standing(case, r, v)
            if standing == _Standing.SLASHED:
                why = "a juror against the ruling" if v.digest != ruling else "a juror off its round's checkpoint"
                amount = v.seats * case.collateral
                events, net = step.slash(juror, amount, SlashReason.LOST_DISPUTE, court, why, by_market=False)
                out += events
                case.pot += net
                continue
            if standing == _Standing.PAID:
                paid_seats += v.seats
                payees.append((juror, v.seats))
            out.append(
                expect("CollateralReleased", "a juror for the ruling", worker=juror, amount=v.seats * case.collateral)
            )
    pot = case.pot + case.bonds - case.bonded.get(ruling, 0)
    case.pot = pot
    paid = 0
    if paid_seats:
        fees = min(paid_seats * case.fee, pot)
        for juror, seats in payees:
            amount = fees * seats // paid_seats
            paid += amount
            out.append(expect("JurorPaid", f"{seats} coherent seat(s) at the seat fee", juror=juror, amount=amount))
    rest, winners = pot - paid, case.claimed.get(ruling, 0)
    if winners == 0:
        out.append(
            expect("CaseDecided", "no claim named the ruling", digest=ruling, pot=pot, juror_fees=paid, winners_share=0)
        )
        if rest:
            why = "no claim named the ruling: the pot's rest to the requester"
            out.append(expect("ClaimPaid", why, kind="pot share", account=job.requester, amount=rest))
        return out
    case.winners_share = rest
    out.append(
        expect("CaseDecided", "claims named the ruling", digest=ruling, pot=pot, juror_fees=paid, winners_share=rest)
    )
    for s in job.revealers():
        amount = rest * job.collateral // winners
        if s.sealed == ruling and amount:
            why = "a slot on the ruled digest: its share of the pot"
            out.append(expect("ClaimPaid", why, kind="pot share", account=s.worker, amount=amount))
    return out


def void_case(step: Step) -> list[Expect]:
    """`Court._void`: the market voids the job, jurors who voted go free, the pot to the requester."""
    case = case_of(step)
    case.phase, case.final_tx = CasePhase.VOID, step.tx_hash
    out = [expect("CaseVoid", "no round could decide", round=case.round)]
    out += market.void(step, "the court could not decide")
    for r in range(case.round + 1):
        for juror in case.jurors.get(r, []):
            v = case.votes[(r, juror)]
            if v.revealed:
                out.append(expect("CollateralReleased", "case void", worker=juror, amount=v.seats * case.collateral))
    if case.pot:
        why = "case void: the silent jurors' slashes to the requester"
        out.append(expect("ClaimPaid", why, kind="pot share", account=step.job.requester, amount=case.pot))
    return out


def claim(step: Step, event: ev.ClaimPaid) -> list[Expect]:
    """`Court.claimBond`: bonds back when void; bonds on the ruling with their share when decided."""
    case = case_of(step)
    total = case.bond_totals.get(event.account, 0)
    if case.phase == CasePhase.VOID:
        amount, why = total, "case void: its bonds back"
    else:
        on = case.bond_of.get((event.account, case.ruling), 0) if total else 0
        amount = on + on * case.winners_share // case.claimed[case.ruling] if on else 0
        why = "its bond on the ruling and its share of the pot"
    step.rule(amount > 0, f"a claim by {event.account}, who has nothing to claim", "court")
    case.bond_totals[event.account] = 0
    return [expect("ClaimPaid", why, kind="bond claim", account=event.account, amount=amount)]


def step_disputed(step: Step, event: ev.Event) -> tuple[str, list[Expect]]:
    """A step of a job in court, told by its first event."""
    case = case_of(step)
    if case.phase == CasePhase.DRAWING:
        return "court draw", draw(step)
    if case.phase == CasePhase.VOTING and isinstance(event, ev.RoundResolved):
        return "court count", resolve(step)
    if case.phase == CasePhase.RULED:
        if isinstance(event, ev.RoundScheduled):
            return "appeal", appeal(step)
        return "ruling", finalize_case(step)
    return "court", []
