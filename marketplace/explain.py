"""A job explained in words (`GET /v1/jobs/{id}/explain`): why it has no lock yet, what it waits
for, why a worker was slashed, what happens next and when; from the auction's state on chain,
the registered workers (marketplace/directory.py, marketplace/insight.py) and the indexed events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ledger import ChainClock, JobMarket, format_duration, format_time, format_tokens

from .directory import Directory
from .insight import Outlook, Terms, agr, outlook
from .models import EventRow, IntakeRow, JobRow, SettlementRow, SlotRow
from .problems import Problem

WHY = {
    "wrong result": "its revealed digest differed from the one the quorum agreed on",
    "no reveal": "it committed a result but did not reveal it before the reveal deadline",
    "deadline missed": "it took a slot but committed nothing before the commit deadline",
    "invalid proof": "its zero-knowledge proof did not verify",
    "lost dispute": "the court ruled a digest other than the one it revealed",
}
"""A slash reason (`SlashReason.describe`) in a sentence (`ZK_WHY` for a zero-knowledge job)."""
ZK_WHY = {"deadline missed": "it took the job but sent no valid proof before the reveal deadline"}
COURT = ("Disputed", "RoundScheduled", "RoundDrawn", "RoundResolved", "CaseDecided", "CaseVoid")
MAX_SLASHES = 16


@dataclass
class Explanation:
    """What `explain` says: a summary, the reasons, what comes next, and the figures behind them."""

    summary: str = ""
    reasons: list[str] = field(default_factory=list)
    next: str | None = None
    next_at: int | None = None
    figures: dict[str, Any] = field(default_factory=dict)
    slashes: list[dict[str, Any]] = field(default_factory=list)


def _in(seconds: int) -> str:
    return f"in {format_duration(seconds)}" if seconds > 0 else "now"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _short(digest: str | None) -> str:
    return f"{digest[:10]}…" if digest else "?"


class Explainer:
    """Explains jobs of the index in ``engine``, reading the auction's state and the workers from the chain."""

    def __init__(self, engine: Engine, directory: Directory, market: JobMarket, clock: ChainClock) -> None:
        self.engine, self.directory, self.market, self.clock = engine, directory, market, clock

    def explain(self, job_id: str) -> tuple[str, Explanation]:
        """The job's status and its explanation; a 404 problem for a job nobody knows."""
        with Session(self.engine) as s:
            row = s.get(JobRow, job_id)
            if row is None:
                return self._not_indexed(s, job_id)
            events = list(
                s.scalars(
                    select(EventRow).where(EventRow.job_id == job_id).order_by(EventRow.block, EventRow.log_index)
                )
            )
            slots = list(s.scalars(select(SlotRow).where(SlotRow.job_id == job_id).order_by(SlotRow.slot)))
            money = list(
                s.scalars(
                    select(SettlementRow)
                    .where(SettlementRow.job_id == job_id)
                    .order_by(SettlementRow.block, SettlementRow.log_index)
                )
            )
            s.expunge_all()
        posted = next(e for e in events if e.name == "JobPosted")
        terms = Terms.of(posted.data["request"])
        now = self.clock.now()
        out = Explanation(
            figures={
                "now": now,
                "redundancy": terms.redundancy,
                "quorum": terms.quorum,
                "slots_taken": len(slots),
                "lock_deadline": terms.lock_deadline,
                "commit_deadline": terms.commit_deadline,
                "reveal_deadline": terms.reveal_deadline,
            }
        )
        last = {e.name: e for e in events}
        if row.status == "open":
            self._open(job_id, terms, {x.worker for x in slots}, now, out)
        elif row.status == "provisional":
            self._provisional(last["JobProvisional"].data, now, out)
        elif row.status == "unresolved":
            self._unresolved(job_id, last["JobUnresolved"].data, now, out)
        elif row.status == "disputed":
            self._disputed([e for e in events if e.name in COURT], now, out)
        else:
            self._final(row, slots, last, out)
        self._money(money, row.mode == "zk", out)
        return row.status, out

    # -- before the index has it ---------------------------------------------------------------

    def _not_indexed(self, s: Session, job_id: str) -> tuple[str, Explanation]:
        taken = s.scalar(select(IntakeRow).where(IntakeRow.job_id == job_id))
        if taken is None:
            raise Problem(404, "job-not-found", f"no job {job_id} has been indexed or submitted here")
        if taken.status == "accepted":
            out = Explanation(
                "Acknowledged here; waiting for the API's relayer to post it.",
                ["the relayer posts acknowledged requests in the order they came"],
                "once it is posted the auction starts and workers see it",
            )
        elif taken.status == "failed":
            error = taken.error or {}
            out = Explanation(
                f"The market refused to post it ({error.get('error', 'reverted')}).",
                [f"posting reverted with {error.get('error', 'an error')} {error.get('args', {})}"],
            )
        else:
            out = Explanation("Posted; the index has not reached its block yet.", [], "it is explained once indexed")
        return taken.status, out

    # -- open ----------------------------------------------------------------------------------

    def _open(self, job_id: str, terms: Terms, holders: set[str], now: int, out: Explanation) -> None:
        job = self.market.job(bytes.fromhex(job_id[2:]))
        elapsed = now - job.posted_at
        taken = min(job.locked, job.k)
        out.figures.update(
            ask=format_tokens(terms.ask_after(elapsed)),
            min_price=format_tokens(terms.min_price),
            max_price=format_tokens(terms.max_price),
            ramp=terms.ramp,
            posted_at=job.posted_at,
            slots_taken=taken,
            committed=bin(job.committed_mask).count("1"),
            revealed=bin(job.revealed_mask).count("1"),
        )
        if taken < job.k and now <= terms.lock_deadline:
            view = outlook(self.directory, terms)
            others = Outlook(terms, [j for j in view.judged if j.profile.address not in holders], view.staked)
            self._auction(others, taken, elapsed, now, out)
        elif taken == 0:
            view = outlook(self.directory, terms)
            out.summary = "Nobody locked it before its lock deadline."
            out.reasons = [f"its lock deadline passed {now - terms.lock_deadline:,} s ago", *view.reasons()]
            out.next = "anyone may expire it now: the whole escrow goes back to the requester's deposit"
            out.next_at = terms.lock_deadline + 1
        else:
            self._results(job.locked, taken, job.audit_pending(now), job.reveals_open(now), terms, now, out)

    def _auction(self, view: Outlook, taken: int, elapsed: int, now: int, out: Explanation) -> None:
        t = view.terms
        ask, eligible, registered = t.ask_after(elapsed), view.eligible, len(view.judged)
        out.figures.update(registered=registered, eligible=len(eligible), staked=view.staked)
        lead = f"{taken} of {t.redundancy} slots taken, no more yet" if taken else "no lock yet"
        out.next = f"locking closes at {t.lock_deadline} ({_in(t.lock_deadline - now)})"
        out.next_at = t.lock_deadline
        out.reasons = [f"the ask is {agr(ask)}"]
        if not view.judged:
            out.summary = _sentence(f"{lead}: no worker is registered.")
            out.reasons.append(f"no account with stake has a name pointing back at it ({view.staked} staked)")
            return
        if not eligible:
            out.summary = _sentence(f"{lead}: none of the {registered} registered workers would take it.")
            out.reasons += view.reasons()
            out.next += "; unless a worker joins or changes its terms, nobody will lock it"
            return
        prices = sorted(j.min_price if j.min_price is not None else t.min_price for j in eligible)
        low, high = format_tokens(prices[0]), format_tokens(prices[-1])
        span = f"{low} AGR" if low == high else f"{low}–{high} AGR"
        out.figures.update(min_prices=[low, high])
        would = (
            "1 of them would take it, at a minimum price of"
            if len(eligible) == 1
            else (f"{len(eligible)} of them would take it, at minimum prices of")
        )
        out.reasons.append(f"{registered} workers are registered; {would} {span}")
        needed = min(t.quorum, len(eligible))
        wait, target = (view.after(needed) or 0) - elapsed, prices[needed - 1]
        out.figures.update(quorum_in=max(0, wait), full_in=_after(view, t.redundancy, elapsed))
        if wait > 0:
            out.summary = _sentence(
                f"{lead}: the ask is {agr(ask)}; the workers that would take it ask {span}; "
                f"it reaches {agr(target)} in {wait:,} s."
            )
            out.reasons.append(f"the ask reaches {agr(target)} in {wait:,} s")
            if t.lock_deadline < now + wait:
                out.reasons.append("that is after its lock deadline: raise the maximum price or shorten the ramp")
        else:
            out.summary = _sentence(
                f"{lead}: the ask of {agr(ask)} has reached the minimum prices of workers that would take it."
            )
            out.reasons.append(
                f"the ask has reached the minimum price of {sum(1 for p in prices if p <= ask)} of them: each locks "
                "once it has fetched the program and the input (a job whose program or input is on no store node "
                "is skipped) and has a free execution slot"
            )
        if len(eligible) < t.quorum:
            out.reasons.append(f"only {len(eligible)} would take it, fewer than its quorum of {t.quorum}")
        out.reasons += view.reasons()

    def _results(
        self, locked: int, taken: int, audit_pending: bool, reveals_open: bool, t: Terms, now: int, out: Explanation
    ) -> None:
        committed, revealed = out.figures["committed"], out.figures["revealed"]
        took = f"{taken} of {t.redundancy} slots taken" + (", locking closed" if now > t.lock_deadline else "")
        if now > t.reveal_deadline:
            out.summary = "Its reveal deadline has passed: it waits for anyone to settle it."
            out.reasons = [took, f"{revealed} of {locked} slots revealed, {committed} committed"]
            out.next = (
                "anyone may settle it now: slots that committed but did not reveal are slashed (no reveal), those "
                "that never committed too (deadline missed); equal reveals of a quorum make it provisional"
            )
            out.next_at = t.reveal_deadline + 1
        elif reveals_open:
            out.summary = f"Waiting for reveals: {revealed} of {locked} slots revealed."
            out.reasons = [took, "every slot has committed (or the commit deadline passed): reveals are open"]
            out.next = (
                f"the last reveal settles it; else anyone may settle it after {t.reveal_deadline} "
                f"({_in(t.reveal_deadline - now)})"
            )
            out.next_at = t.reveal_deadline
        else:
            out.summary = f"Waiting for results: {committed} of {locked} slots committed."
            out.reasons = [took, "its workers execute the program, then commit a sealed result digest"]
            if audit_pending:
                out.reasons.append("its audit is undecided: reveals wait until it is")
            out.next = (
                f"reveals open once every slot has committed, or after {t.commit_deadline} "
                f"({_in(t.commit_deadline - now)})"
            )
            out.next_at = t.commit_deadline

    # -- after the reveals ---------------------------------------------------------------------

    def _provisional(self, d: dict[str, Any], now: int, out: Explanation) -> None:
        final_after = int(d["final_after"])
        out.figures["final_after"] = final_after
        agreeing = int(d["agreeing"])
        out.summary = f"Provisional: {agreeing} slot{'s' if agreeing != 1 else ''} agreed on {_short(d['digest'])}."
        out.reasons = [
            "nothing is paid, refunded or slashed before its challenge window ends",
            "until then anyone may dispute the outcome with a bond naming another digest, which sends it to the court",
        ]
        if now > final_after:
            out.next = "its challenge window has passed: anyone may finalize it now (quorum paid, dissenters slashed)"
        else:
            out.next = (
                f"final after {format_time(final_after)} ({_in(final_after - now)}), when anyone may finalize it; "
                "the requester may accept it earlier when every slot revealed the same digest"
            )
        out.next_at = final_after

    def _unresolved(self, job_id: str, d: dict[str, Any], now: int, out: Explanation) -> None:
        final_after = self.market.final_after(bytes.fromhex(job_id[2:]))
        out.figures["final_after"] = final_after
        out.summary = f"Unresolved: the reveals agreed, but only {d['largest_group']} of the {d['quorum']} needed."
        out.reasons = ["the revealers' collateral is held through the challenge window"]
        out.next = (
            f"after {final_after} ({_in(final_after - now)}) anyone may expire it: void, every revealer paid its "
            "price, the rest refunded"
        )
        out.next_at = final_after

    def _disputed(self, court: list[EventRow], now: int, out: Explanation) -> None:
        out.summary = "Disputed: the court decides its result."
        out.reasons = ["its reveals disagreed, or its provisional outcome was disputed with a bond"]
        out.next = "a first round of jurors is scheduled, drawn by stake, and votes"
        for e in court[-8:]:
            d = e.data
            if e.name == "Disputed":
                out.reasons.append(f"{d['account']} bonded {agr(d['amount'])} on {_short(d['digest'])}")
            elif e.name == "RoundScheduled":
                out.reasons.append(f"round {d['round']} was scheduled; its seed is block {d['seed_block']}")
                out.next, out.next_at = f"anyone draws round {d['round']} once block {d['seed_block']} is mined", None
            elif e.name == "RoundDrawn":
                out.reasons.append(f"round {d['round']} was drawn: {d['seats']} seats")
                until = int(d["reveal_deadline"])
                out.next = f"its jurors vote until {until} ({_in(until - now)}); then anyone counts the votes"
                out.next_at = int(d["reveal_deadline"])
            elif e.name == "RoundResolved" and d["majority"]:
                out.reasons.append(f"round {d['round']} ruled {_short(d['digest'])}")
                out.next = (
                    f"unless appealed by {d['appeal_deadline']} ({_in(int(d['appeal_deadline']) - now)}), anyone may "
                    "then make the ruling final: its revealers paid, every other revealer slashed (lost dispute)"
                )
                out.next_at = int(d["appeal_deadline"])
            elif e.name == "RoundResolved":
                out.reasons.append(f"round {d['round']} reached no majority")
                out.next, out.next_at = "a larger round is scheduled and drawn", None

    def _final(self, row: JobRow, slots: list[SlotRow], last: dict[str, EventRow], out: Explanation) -> None:
        if row.status == "settled":
            out.summary = f"Settled on {_short(row.result_digest)}."
            if "CaseDecided" in last:
                out.reasons.append("the court ruled it")
        elif row.status == "expired":
            out.summary = (
                f"Expired: {len(slots)} of its {row.redundancy} slots were taken, but no result was revealed in time."
                if slots
                else "Expired: nobody locked it before its lock deadline; the escrow went back to the requester."
            )
        elif row.status == "void":
            revealed = last["JobVoid"].data["revealed"] if "JobVoid" in last else 0
            out.summary = f"Void: nothing could resolve it; its {revealed} revealers were paid their price."
        else:
            out.summary = f"{row.status.capitalize()}."
        out.next = "nothing: it is final"

    def _money(self, money: list[SettlementRow], zk: bool, out: Explanation) -> None:
        paid = [m for m in money if m.kind == "paid"]
        if paid:
            out.reasons.append(f"{len(paid)} slots were paid {agr(sum(int(m.amount) for m in paid))} in all")
        for m in [m for m in money if m.kind == "slashed"][:MAX_SLASHES]:
            name = self.directory.profile(m.account).name
            why = (ZK_WHY if zk else {}).get(m.reason or "") or WHY.get(m.reason or "", m.reason or "")
            who = f"{m.account} ({name})" if name else m.account
            out.reasons.append(f"{who} was slashed {agr(m.amount)} for {m.reason}: {why}")
            out.slashes.append(
                {
                    "worker": m.account,
                    "name": name,
                    "amount": format_tokens(int(m.amount)),
                    "reason": m.reason or "",
                    "why": why,
                    "block": m.block,
                    "tx_hash": m.tx_hash,
                }
            )
        refunded = sum(int(m.amount) for m in money if m.kind == "refunded")
        if refunded:
            out.reasons.append(f"{agr(refunded)} went back to the requester")


def _after(view: Outlook, count: int, elapsed: int) -> int | None:
    reach = view.after(count)
    return None if reach is None else max(0, reach - elapsed)
