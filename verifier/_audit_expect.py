"""Expected events and how the events a transaction actually logged are matched against them.

Each step of a job (a lock, a reveal, a settlement, a court's draw or ruling) is re-derived from the
job's earlier events and the rules, as the list of events the contracts must have logged for it:
`Expect`s. The events the step's transaction logged for the job are then matched, one by one, by
name and identity (who, which round, why), and their values (amounts, digests, deadlines) compared.
Whatever is left over on either side is a discrepancy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from ledger import events as ev
from ledger import format_tokens

from ._audit_report import AuditReport, Movement, short

# event name -> (fields that say which one it is, fields compared)
SHAPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "JobPosted": ((), ("requester", "escrow")),
    "JobLocked": (("worker",), ("slot", "price")),
    "SlotReleased": (("worker",), ("slot", "moved_from")),
    "ResultCommitted": (("worker", "slot"), ("commitment",)),
    "ResultRevealed": (("worker", "slot"), ("digest",)),
    "ProofChecked": (("worker",), ("verifier", "verdict", "digest")),
    "ProofAccepted": (("worker",), ("digest",)),
    "ProofRejected": (("worker",), ("digest",)),
    "JobProvisional": ((), ("digest", "agreeing", "final_after")),
    "JobUnresolved": ((), ("largest_group", "quorum")),
    "JobEscalated": ((), ()),
    "JobSettled": ((), ("winning_digest", "agreeing")),
    "JobVoid": ((), ("revealed",)),
    "JobExpired": ((), ()),
    "WorkerPaid": (("worker",), ("amount",)),
    "Refunded": (("requester",), ("amount",)),
    "WorkerSlashed": (("worker", "reason"), ("amount",)),
    "Slashed": (("worker", "reason", "beneficiary"), ("amount", "burned")),
    "CollateralLocked": (("worker",), ("amount",)),
    "CollateralReleased": (("worker",), ("amount",)),
    "AuditScheduled": ((), ("seed_block",)),
    "AuditorDrawn": ((), ("auditor",)),
    "AuditSkipped": ((), ("sampled",)),
    "Disputed": (("account", "digest"), ("amount", "round")),
    "RoundScheduled": (("round",), ("pool_block", "seed_block")),
    "JurorDrawn": (("juror", "round"), ("seats",)),
    "RoundDrawn": (("round",), ("seats", "checkpoint_fuel", "commit_deadline", "reveal_deadline")),
    "VoteCommitted": (("juror", "round"), ()),
    "VoteRevealed": (("juror", "round"), ("digest", "checkpoint")),
    "RoundResolved": (("round",), ("majority", "digest", "appeal_deadline")),
    "CaseDecided": ((), ("digest", "pot", "juror_fees", "winners_share")),
    "CaseVoid": ((), ("round",)),
    "JurorPaid": (("juror",), ("amount",)),
    "ClaimPaid": (("account",), ("amount",)),
}
MONEY = {"WorkerPaid": "paid", "Refunded": "refunded", "Slashed": "slashed", "JurorPaid": "juror fee"}
"""Events that move value, and what a movement of each is called (`ClaimPaid` says per rule)."""
AMOUNTS = {"amount", "price", "escrow", "burned", "pot", "juror_fees", "winners_share"}


def show(name: str, value: Any) -> str:
    if isinstance(value, bytes):
        return short(value)
    if isinstance(value, IntEnum):
        return value.name.lower().replace("_", " ")
    if name in AMOUNTS and isinstance(value, int):
        return f"{format_tokens(value)} AGR"
    return str(value)


@dataclass(frozen=True)
class Expect:
    """An event the rules say a step logs, with why."""

    name: str
    key: tuple[Any, ...]
    values: tuple[Any, ...]
    why: str = ""
    kind: str | None = None  # the movement's name, for value-moving events

    def describe(self) -> str:
        keys, fields = SHAPES[self.name]
        parts = [f"{n}={show(n, v)}" for n, v in zip(keys + fields, self.key + self.values, strict=True)]
        return f"{self.name}({', '.join(parts)})"


def expect(name: str, why: str = "", kind: str | None = None, **fields: Any) -> Expect:
    keys, values = SHAPES[name]
    return Expect(name, tuple(fields[k] for k in keys), tuple(fields[v] for v in values), why, kind or MONEY.get(name))


def observed(event: ev.Event) -> Expect:
    """An event as an `Expect`, to compare."""
    keys, values = SHAPES[event.NAME]
    return Expect(event.NAME, tuple(getattr(event, k) for k in keys), tuple(getattr(event, v) for v in values))


@dataclass
class Action:
    """One step of one job in one transaction: what it must log, matched as the events come."""

    label: str
    job_id: bytes
    block: int
    tx_hash: bytes
    report: AuditReport
    remaining: list[Expect] = field(default_factory=list)
    check: str = "settlement"

    def offer(self, event: ev.Event) -> bool:
        """Takes ``event`` if this step was to log it (comparing its values); False otherwise."""
        if event.NAME not in SHAPES:
            return False
        seen = observed(event)
        for i, wanted in enumerate(self.remaining):
            if wanted.name == seen.name and wanted.key == seen.key:
                del self.remaining[i]
                self._compare(wanted, seen, event)
                return True
        return False

    def _compare(self, wanted: Expect, seen: Expect, event: ev.Event) -> None:
        good = wanted.values == seen.values
        if not good:
            _, fields = SHAPES[wanted.name]
            wrong = [
                f"{n} {show(n, got)} where the rule gives {show(n, want)}"
                for n, got, want in zip(fields, seen.values, wanted.values, strict=True)
                if got != want
            ]
            self._fail(f"{self.label}: {seen.describe()} has {'; '.join(wrong)} ({wanted.why})", event.block)
        else:
            self.report.checks += 1
        if wanted.kind is not None:
            self._move(wanted.kind, event, wanted.why, good)

    def _move(self, kind: str, event: ev.Event, why: str, verified: bool) -> None:
        account = next(getattr(event, f) for f in ("worker", "requester", "juror", "account") if hasattr(event, f))
        if isinstance(event, ev.Slashed):
            why = f"{why}; {format_tokens(event.burned)} AGR burned, the rest to {event.beneficiary}"
        self.report.movements.append(
            Movement(kind, self.job_id, account, event.amount, why, event.block, event.tx_hash, verified)  # type: ignore[attr-defined]
        )

    def unexpected(self, event: ev.Event) -> None:
        """``event`` is one no rule explains here."""
        seen = observed(event) if event.NAME in SHAPES else None
        text = seen.describe() if seen else event.NAME
        self._fail(f"{self.label}: unexpected {text}: no rule of this step logs it", event.block)
        kind = MONEY.get(event.NAME) or ("pot share" if isinstance(event, ev.ClaimPaid) else None)
        if kind is not None:
            self._move(kind, event, "not explained by any rule", False)

    def close(self) -> None:
        """Reports every event this step should have logged and did not."""
        for wanted in self.remaining:
            self._fail(f"{self.label}: missing {wanted.describe()} ({wanted.why})", self.block)
        self.remaining = []

    def _fail(self, message: str, block: int) -> None:
        self.report.fail(self.check, message, job_id=self.job_id, block=block, tx_hash=self.tx_hash)
