"""The bidding policy: which posted jobs a worker takes, at what price, and when it locks.

Pure functions of the request and the worker's situation, so every decision can be tested and
explained: a `Verdict` says yes or no and why, in the words the daemon logs.

The ask of a job rises from its minimum to its maximum price over its ramp (a reverse-Dutch
auction), and slots go first come, first served. A worker's minimum price is the least it takes
for a job: waiting past the moment the ask reaches it only risks losing the slot to a worker
that asks less, so the policy locks at that moment (at once when the job starts above it).
"""

from __future__ import annotations

from dataclasses import dataclass

from duties import amount, result_deadline
from ledger import JobRequest, Mode, region_code, regions_in


@dataclass(frozen=True)
class Verdict:
    """Whether to bid, and why (the reason is logged as it is)."""

    bid: bool
    reason: str
    target_price: int = 0


@dataclass(frozen=True)
class BidPolicy:
    """What a worker accepts.

    ``min_price``: least payment per job; ``max_fuel``: largest fuel limit it runs;
    ``region``: its declared region (None: undeclared, only jobs open to every region);
    ``max_concurrent``: executions at once; ``exec_margin``: seconds it needs between locking and
    the job's result deadline; ``reveal_margin``: seconds it needs between the commit and reveal
    deadlines to get its reveal on chain (terms with less would let it be slashed for not revealing);
    ``prove``: whether it takes `ZK` jobs (proving them with zokrates-js on Ray, before locking).
    """

    min_price: int = 0
    max_fuel: int = 10**11
    region: int | None = None
    max_concurrent: int = 2
    exec_margin: int = 2
    reveal_margin: int = 5
    prove: bool = True

    def evaluate(self, request: JobRequest, *, now: int) -> Verdict:
        """The standing checks, made once when a job is posted: a no here is final."""
        if request.mode == Mode.ZK and not self.prove:
            return Verdict(
                False, "skipped: zero-knowledge jobs need a prover, and this worker does not prove (--no-prove)"
            )
        if request.max_price < self.min_price:
            return Verdict(
                False,
                f"skipped: price below minimum (pays at most {amount(request.max_price)}, "
                f"this worker takes {amount(self.min_price)})",
            )
        if request.fuel_limit > self.max_fuel:
            return Verdict(
                False, f"skipped: fuel limit {request.fuel_limit:,} above this worker's maximum {self.max_fuel:,}"
            )
        if request.regions:
            allowed = ", ".join(regions_in(request.regions))
            if self.region is None:
                return Verdict(False, f"skipped: the job allows only {allowed} and this worker declared no region")
            if not request.regions >> self.region & 1:
                return Verdict(
                    False, f"skipped: region {region_code(self.region)} not allowed (the job allows {allowed})"
                )
        if now > request.lock_deadline:
            return Verdict(False, "skipped: its lock deadline has passed")
        reveal_window = request.reveal_deadline - request.commit_deadline
        if request.redundancy > 1 and reveal_window < self.reveal_margin:
            return Verdict(
                False,
                f"skipped: {reveal_window}s between commit and reveal deadlines, "
                f"this worker needs {self.reveal_margin}s",
            )
        if result_deadline(request) - now < self.exec_margin:
            return Verdict(False, f"skipped: less than {self.exec_margin}s left to compute before its deadline")
        return Verdict(True, "candidate", max(self.min_price, request.min_price))

    @staticmethod
    def lock_time(request: JobRequest, posted_at: int, target: int) -> int:
        """The first second at which the job's ask is at least ``target``."""
        if request.ramp == 0 or target <= request.min_price or request.max_price == request.min_price:
            return posted_at
        span = request.max_price - request.min_price
        # ask(t) = min + span * elapsed // ramp >= target  <=>  elapsed >= ceil((target - min) * ramp / span)
        return posted_at + -(-(target - request.min_price) * request.ramp // span)

    def ready(self, request: JobRequest, *, free_stake: int, executing: int) -> Verdict:
        """The checks made at the moment of locking: a no here means wait."""
        if executing >= self.max_concurrent:
            return Verdict(False, f"waiting: no free capacity ({executing} of {self.max_concurrent} executing)")
        if free_stake < request.collateral:
            return Verdict(
                False,
                f"waiting: not enough free stake ({amount(free_stake)} free, collateral {amount(request.collateral)})",
            )
        return Verdict(True, "lock")
