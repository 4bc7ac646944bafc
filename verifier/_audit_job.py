"""A job as an audit rebuilds it from its events (mirroring `IJobMarket.Job` and its slots), and
the `Step`: one step of a job, with what was true when it happened, that the rules are applied to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ledger import JobRequest, JobStatus, SlashReason

from ._audit_chain import ChainReader
from ._audit_expect import Expect, expect
from ._audit_report import AuditReport
from ._audit_state import Params, StakeBook

ZERO32 = bytes(32)
MAX_SLOTS = 8
AUDIT_NONE, AUDIT_AWAITING, AUDIT_DECIDED = 0, 1, 2
SEED_DELAY = 2
RELEASE_WINDOW = 120
"""`JobMarket.RELEASE_WINDOW`: seconds after its lock in which a slot may be given back."""
HASH_WINDOW = 256
"""`blockhash` answers for the last 256 blocks only (zero otherwise)."""
OPEN = (JobStatus.OPEN, JobStatus.UNRESOLVED, JobStatus.PROVISIONAL, JobStatus.DISPUTED)
"""Statuses in which the market still holds the job's escrow."""


@dataclass
class SlotModel:
    worker: str
    price: int
    auditor: bool = False
    committed: bool = False
    revealed: bool = False
    sealed: bytes = ZERO32  # the lock's time (an auditor's: zero), then the commitment, then the digest


@dataclass
class JobModel:
    """A job as its events built it (mirroring `IJobMarket.Job` and its slots)."""

    job_id: bytes
    request: JobRequest
    escrow: int
    posted_at: int
    audit: int
    challenge_window: int
    status: JobStatus = JobStatus.OPEN
    outcome: bytes = ZERO32  # the digest it settled on
    slots: list[SlotModel] = field(default_factory=list)
    released: set[str] = field(default_factory=set)  # who gave a slot back: they may not lock again
    case: Any = None  # the court's case (`_audit_case.CaseModel`), once it has one

    @property
    def requester(self) -> str:
        return self.request.requester

    @property
    def collateral(self) -> int:
        return self.request.collateral

    def final_after(self) -> int:
        return self.request.reveal_deadline + self.challenge_window

    def audit_deadline(self) -> int:
        r = self.request
        return r.lock_deadline + (r.commit_deadline - r.lock_deadline) // 2

    def audit_pending(self, now: int) -> bool:
        return self.audit not in (AUDIT_NONE, AUDIT_DECIDED) and now <= self.audit_deadline()

    def all_revealed(self, now: int) -> bool:
        locking_done = (len(self.slots) >= self.request.redundancy or now > self.request.lock_deadline) and not (
            self.audit_pending(now)
        )
        return bool(self.slots) and locking_done and all(s.revealed for s in self.slots)

    def revealers(self) -> list[SlotModel]:
        return [s for s in self.slots if s.revealed]

    def largest_group(self) -> tuple[bytes, int, bool]:
        """The largest group of equal revealed digests; a tie for largest counts as no winner."""
        best, size, tie = ZERO32, 0, False
        for s in self.revealers():
            count = sum(1 for x in self.revealers() if x.sealed == s.sealed)
            if count > size:
                best, size, tie = s.sealed, count, False
            elif count == size and s.sealed != best:
                tie = True
        return best, size, tie

    def ask(self, now: int) -> int:
        r, elapsed = self.request, now - self.posted_at
        if r.ramp == 0 or elapsed >= r.ramp:
            return r.max_price
        return r.min_price + (r.max_price - r.min_price) * elapsed // r.ramp


@dataclass
class Step:
    """What one step of a job is judged with: the moment it happened and what was true then."""

    job: JobModel
    block: int
    now: int
    tx_hash: bytes
    params: Params
    book: StakeBook
    reader: ChainReader
    report: AuditReport
    taken: dict[str, int] = field(default_factory=dict)
    open_case: Callable[[Step], list[Expect]] | None = None

    def rule(self, condition: bool, message: str, check: str = "settlement") -> bool:
        where = {"job_id": self.job.job_id, "block": self.block, "tx_hash": self.tx_hash}
        return self.report.expect(condition, check, message, **where)

    def slash(
        self, worker: str, amount: int, reason: SlashReason, beneficiary: str, why: str, *, by_market: bool = True
    ) -> tuple[list[Expect], int]:
        """The events of `StakeManager.slash(worker, job, amount, reason, beneficiary)` (taking what
        the worker holds, up to ``amount``; the market adds its own `WorkerSlashed`), and what
        reaches the beneficiary after the burn."""
        held = self.book.of(worker).total - self.taken.get(worker, 0)
        taken = min(amount, held)
        self.taken[worker] = self.taken.get(worker, 0) + taken
        burned = self.params.burned(taken)
        why = f"{reason.describe()}: {why}" + ("" if taken == amount else f" (held only {taken} of {amount})")
        events = [
            expect("Slashed", why, worker=worker, reason=reason, beneficiary=beneficiary, amount=taken, burned=burned)
        ]
        if by_market:
            events.append(expect("WorkerSlashed", why, worker=worker, reason=reason, amount=taken))
        return events, taken - burned
