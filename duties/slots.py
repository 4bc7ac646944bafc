"""What the market's events mean for the slots an account holds: a slot it was drawn into as a
job's auditor, a job's outcome, its pay and its slashes."""

from __future__ import annotations

from ledger import JobEvent
from ledger import events as ev

from .party import Party, amount, short
from .state import FINAL, IN_FLIGHT, JobRecord, Phase

UNHELD = (Phase.CANDIDATE, Phase.LOST, Phase.SKIPPED)
"""A job in one of these phases holds no slot here: a lock of its own there is news (an auditor's)."""


class Slots:
    def __init__(self, shared: Party) -> None:
        self.w = shared

    def on_event(self, e: JobEvent) -> None:
        w = self.w
        record = w.state.get(e.job_id)
        mine = getattr(e, "worker", "").lower() == w.address.lower()
        if isinstance(e, ev.JobLocked) and mine and (record is None or record.phase in UNHELD):
            self._take_slot(e, record)
            return
        if isinstance(e, ev.SlotReleased):
            self._released(e, record)
            return
        if isinstance(e, ev.JobLocked) and e.slot + 1 == self._redundancy(e.job_id, record):
            w.audits.add(e.job_id)  # the last slot fixed the audit's seed block: see it decided
        if record is None:
            return
        if record.phase not in FINAL:
            self._outcome(e, record)
        if isinstance(e, ev.WorkerPaid) and mine:
            w.state.save(record.evolve(earned=record.earned + e.amount, note=f"paid {amount(e.amount)}"))
            w.log.info("job %s: paid %s", short(e.job_id), amount(e.amount))
        elif isinstance(e, ev.WorkerSlashed) and mine:
            taken, reason = e.amount, e.reason.describe()
            w.state.save(record.evolve(slashed=record.slashed + taken, note=f"slashed {amount(taken)}: {reason}"))
            w.log.warning("job %s: slashed %s (%s)", short(e.job_id), amount(taken), reason)

    def _released(self, e: ev.SlotReleased, record: JobRecord | None) -> None:
        """A slot given back: its own (done here: nothing paid, nothing slashed); the job's last
        slot, moved into the gap, being the one it holds (commit and reveal name the new index);
        or a slot free again in a job it lost to others (bid again)."""
        w = self.w
        if record is None:
            return
        if e.worker.lower() == w.address.lower():
            if record.phase not in FINAL:
                w.finish(record, Phase.DONE, f"gave slot {e.slot} back: nothing paid, nothing slashed")
            return
        if record.phase in IN_FLIGHT and record.slot == e.moved_from != e.slot:
            w.state.save(record.evolve(slot=e.slot, note=f"now slot {e.slot}: slot {e.slot} was given back"))
            w.log.info(
                "job %s: now slot %d (was %d): %s gave its slot back", short(e.job_id), e.slot, e.moved_from, e.worker
            )
        elif record.phase == Phase.LOST:
            w.state.save(record.evolve(phase=Phase.CANDIDATE, note="a slot came free: bidding again"))

    def _redundancy(self, job_id: bytes, record: JobRecord | None) -> int | None:
        if record is not None:
            return record.request.redundancy
        posting = None if self.w.posting is None else self.w.posting(job_id)
        return None if posting is None else posting.redundancy

    def _take_slot(self, e: ev.JobLocked, record: JobRecord | None) -> None:
        """A slot of its own: the lock it sent, or a slot it was drawn into as the job's auditor
        (its collateral is locked: it runs the job like any other, whatever its policy)."""
        w = self.w
        slot, price = e.slot, e.price
        auditor = record is None or record.phase != Phase.CANDIDATE or slot >= record.request.redundancy
        if record is None:
            request = w.request_of(e.job_id)
            if request is None:
                w.log.warning("job %s: holds slot %d but its request is not on chain", short(e.job_id), slot)
                return
            record = JobRecord(e.job_id, request, Phase.LOCKED)
            w.state.add(record)
        note = "drawn as its auditor" if auditor else f"locked at {amount(price)}"
        w.state.save(record.evolve(phase=Phase.LOCKED, slot=slot, price=price, note=note))
        if auditor:
            w.log.info("job %s: drawn as its auditor (slot %d, paid %s)", short(e.job_id), slot, amount(price))

    def _outcome(self, e: JobEvent, record: JobRecord) -> None:
        """What a job's event means for a job still in play here."""
        w = self.w
        match e:
            case ev.JobLocked(slot=slot) if record.phase == Phase.CANDIDATE and slot + 1 >= record.request.redundancy:
                w.finish(record, Phase.LOST, f"lost: all {record.request.redundancy} slots taken")
            case ev.JobProvisional(final_after=final_after):
                w.finish(record, Phase.PROVISIONAL, f"provisional: a quorum agreed, final after {final_after}")
            case ev.JobEscalated():
                w.finish(record, Phase.DISPUTED, "in court: the reveals disagree or the outcome was disputed")
            case ev.JobSettled():
                w.finish(record, Phase.DONE, "settled")
            case ev.JobUnresolved():
                # Revealed (even if a crash kept that from the record): collateral held through the window.
                revealed = record.phase == Phase.REVEALED or (
                    record.slot >= 0 and bool(w.market.job(e.job_id).revealed_mask >> record.slot & 1)
                )
                phase, note = (
                    (Phase.UNRESOLVED, "no quorum: collateral held through the challenge window")
                    if revealed
                    else (Phase.DONE, "no quorum")
                )
                w.finish(record, phase, note)
            case ev.JobVoid():
                w.finish(record, Phase.DONE, "void: nothing could resolve it; every revealer paid its price")
            case ev.JobExpired():
                w.finish(record, Phase.LOST if record.phase == Phase.CANDIDATE else Phase.DONE, "expired")
