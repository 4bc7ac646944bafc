"""Replaying jobs: every event of the market, the court and the stake manager in chain order,
transaction by transaction; each step of a job re-derived by the rules and matched against what its
transaction logged; at the end, every job compared with the contracts' own state."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import groupby

from ledger import CasePhase, JobStatus
from ledger import events as ev

from . import _audit_case as cases
from . import _audit_court as court
from . import _audit_market as market
from ._audit_chain import ChainReader
from ._audit_expect import Action, Expect
from ._audit_job import OPEN, JobModel, Step
from ._audit_report import AuditReport
from ._audit_state import Params, StakeBook

FACTS: tuple[tuple[type[ev.Event], str, Callable[..., list[Expect]]], ...] = (
    (ev.JobLocked, "lock", market.lock),
    (ev.SlotReleased, "release", market.release),
    (ev.ResultCommitted, "commit", market.commit),
    (ev.ResultRevealed, "reveal", market.reveal),
    (ev.ProofChecked, "proof", market.proof),
    (ev.AuditScheduled, "audit", cases.audit),
    (ev.AuditorDrawn, "audit", cases.audit),
    (ev.AuditSkipped, "audit", cases.audit),
    (ev.Disputed, "bond", cases.bond),
    (ev.VoteCommitted, "vote", court.vote),
    (ev.VoteRevealed, "vote", court.vote),
)
"""Events that start a step of their own (anything else continues the step its transaction is in,
or is an outcome whose step the job's status tells)."""


def transactions(events: Iterable[ev.Event]) -> Iterator[list[ev.Event]]:
    """Events grouped by transaction, in chain order."""
    ordered = sorted(events, key=lambda e: (e.block, e.log_index))
    for _, group in groupby(ordered, key=lambda e: (e.block, e.tx_hash)):
        yield list(group)


def _start(step: Step, event: ev.Event) -> tuple[str, list[Expect]]:
    """The step ``event`` begins, and what it must log."""
    for cls, label, rule in FACTS:
        if isinstance(event, cls):
            return label, rule(step, event)
    job = step.job
    if job.status == JobStatus.OPEN:
        return "settlement", market.expire_open(step)
    if job.status == JobStatus.PROVISIONAL:
        if isinstance(event, ev.JobEscalated):
            return "dispute", cases.escalate(step)
        return "finalization", market.finish_provisional(step)
    if job.status == JobStatus.UNRESOLVED:
        return "void", market.void_unresolved(step)
    if job.status == JobStatus.DISPUTED and isinstance(job.case, cases.CaseModel):
        return court.step_disputed(step, event)
    if isinstance(job.case, cases.CaseModel) and job.case.phase in (CasePhase.DECIDED, CasePhase.VOID):
        if isinstance(event, ev.ClaimPaid):
            return "claim", court.claim(step, event)  # type: ignore[arg-type]
    return f"{job.status.name.lower()} job", []


class JobReplay:
    """Replays the protocol's events, checking the jobs ``in_scope`` (all by default)."""

    def __init__(
        self, reader: ChainReader, report: AuditReport, *, in_scope: Callable[[bytes], bool] | None = None
    ) -> None:
        self.reader = reader
        self.report = report
        self.in_scope = in_scope or (lambda _: True)
        a = reader.addresses
        self.params = Params(market=a["JobMarket"], stakes=a["StakeManager"], court=a.get("Court", ""))
        self.book = StakeBook(report)
        self.jobs: dict[bytes, JobModel] = {}
        self._sources = {a["JobMarket"], a["StakeManager"], a.get("Court"), a.get("ProofCourt")}

    def run(self, events: Iterable[ev.Event]) -> None:
        for tx in transactions(events):
            actions: dict[bytes, Action] = {}
            for event in tx:
                self.params.apply(event)
                if isinstance(event, ev.JobEvent) and event.address in self._sources and self.in_scope(event.job_id):
                    self._job_event(event, actions)
                self.book.apply(event)
            for action in actions.values():
                action.close()

    def _job_event(self, event: ev.JobEvent, actions: dict[bytes, Action]) -> None:
        now = self.reader.block_time(event.block)
        if isinstance(event, ev.JobPosted):
            fresh = event.job_id not in self.jobs
            self.report.expect(fresh, "settlement", "posted twice", job_id=event.job_id, block=event.block)
            self.jobs[event.job_id] = market.post(event, now=now, params=self.params, report=self.report)
            return
        job = self.jobs.get(event.job_id)
        if job is None:
            where = {"job_id": event.job_id, "block": event.block, "tx_hash": event.tx_hash}
            self.report.fail("settlement", f"{event.NAME} of a job never posted", **where)  # type: ignore[arg-type]
            return
        action = actions.get(job.job_id)
        if action is not None and action.offer(event):
            return
        if action is not None:
            action.close()
        step = Step(job, event.block, now, event.tx_hash, self.params, self.book, self.reader, self.report)
        step.open_case = cases.open_case
        label, expected = _start(step, event)
        check = "court" if job.case is not None and label not in ("lock", "commit", "reveal") else "settlement"
        action = Action(label, job.job_id, event.block, event.tx_hash, self.report, expected, check)
        actions[job.job_id] = action
        if not action.offer(event):
            action.unexpected(event)

    # -- against the contracts' state ------------------------------------------------------------
    def compare_state(self, job_ids: Iterable[bytes]) -> None:
        """Each job (and its case) as rebuilt, against what the contracts hold at the reader's block."""
        for job_id in job_ids:
            job = self.jobs.get(job_id)
            if job is not None:
                self._compare_job(job)
                if isinstance(job.case, cases.CaseModel):
                    self._compare_case(job, job.case)

    def _same(self, job: JobModel, what: str, rebuilt: object, held: object) -> None:
        message = f"{what}: the events give {rebuilt!r}, the contract holds {held!r}"
        self.report.expect(rebuilt == held, "state", message, job_id=job.job_id, block=self.reader.at)

    def _compare_job(self, job: JobModel) -> None:
        held = self.reader.job(job.job_id)
        committed = sum(1 << i for i, s in enumerate(job.slots) if s.committed)
        revealed = sum(1 << i for i, s in enumerate(job.slots) if s.revealed)
        self._same(job, "status", job.status.name, held.status.name)
        self._same(job, "slots taken", len(job.slots), held.locked)
        self._same(job, "commit and reveal masks", (committed, revealed), (held.committed_mask, held.revealed_mask))
        self._same(job, "posted at", job.posted_at, held.posted_at)
        self._same(job, "challenge window", job.challenge_window, held.challenge_window)
        self._same(job, "audit state", job.audit, held.audit)
        for i, s in enumerate(job.slots):
            slot = self.reader.slot(job.job_id, i)
            self._same(job, f"slot {i}", (s.worker, s.price, s.sealed), (slot.worker, slot.price, slot.sealed))
        escrow = job.escrow if job.status in OPEN else 0
        self._same(job, "escrow held", escrow, int(self.reader.call("JobMarket", "escrowOf", job.job_id)))

    def _compare_case(self, job: JobModel, case: cases.CaseModel) -> None:
        held = self.reader.case(job.job_id)
        self._same(
            job,
            "case phase and round",
            (case.phase.name, case.round, case.redraws),
            (held.phase.name, held.round, held.redraws),
        )
        self._same(job, "ruling", case.ruling, held.ruling)
        self._same(
            job,
            "pot, bonds, winners' share",
            (case.pot, case.bonds, case.winners_share),
            (held.pot, held.bonds, held.winners_share),
        )
        self._same(job, "seat fee and collateral", (case.fee, case.collateral), (held.fee, held.collateral))
        self._same(job, "pool and seed blocks", (case.pool_block, case.seed_block), (held.pool_block, held.seed_block))
        rebuilt = (case.checkpoint_fuel, case.commit_deadline, case.reveal_deadline, case.appeal_deadline)
        self._same(
            job,
            "round terms",
            rebuilt,
            (held.checkpoint_fuel, held.commit_deadline, held.reveal_deadline, held.appeal_deadline),
        )
        for r, jurors in case.jurors.items():
            self._same(
                job, f"round {r} jurors", jurors, [str(a) for a in self.reader.call("Court", "jurorsOf", job.job_id, r)]
            )
