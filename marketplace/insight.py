"""The auction's outlook: which registered workers would take a job's terms, why the others would
not, and when the ask reaches enough of them. `POST /v1/jobs/quote` answers it for terms not yet
posted; `GET /v1/jobs/{id}/explain` for a posted job (marketplace/explain.py).

The ask rises from the job's minimum to its maximum price over its ramp (`JobMarket._ask`):
ask(t) = min + (max − min) · t ÷ ramp for t < ramp, and max from then on (at once when ramp is
0). A worker locks the moment the ask reaches its minimum price (worker/policy.py), so the ask
reaches a minimum price p ≤ max after

    0 s when p ≤ min or ramp = 0, else ⌈(p − min) · ramp ÷ (max − min)⌉ s,

and the job may have a quorum of bids after the q-th smallest of these over the eligible workers
(all k slots after the k-th). A worker that published no minimum price counts as taking the
job's minimum (the daemon's default is 0); other unknown terms exclude nobody. These are
expectations: a worker also needs a free execution slot and the program and input from the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ledger import format_tokens, region_code, regions_in

from .directory import Directory, Profile
from .models import JobRow, SlotRow

CLEARING_PRICES = 20
"""Recent lock prices a quote shows for the same program."""


def agr(wei: int | Decimal) -> str:
    return f"{format_tokens(int(wei))} AGR"


@dataclass(frozen=True)
class Terms:
    """What a job asks of a worker (a posted job's, or a would-be job's)."""

    program_id: str
    min_price: int
    max_price: int
    ramp: int
    collateral: int
    redundancy: int
    quorum: int
    fuel_limit: int
    regions: int
    lock_deadline: int
    commit_deadline: int
    reveal_deadline: int

    @classmethod
    def of(cls, request: dict[str, Any]) -> Terms:
        """A posted job's terms, from its `JobPosted` event as indexed (`data["request"]`)."""
        names = [f for f in cls.__dataclass_fields__ if f != "program_id"]
        return cls(program_id=str(request["program_id"]), **{f: int(request[f]) for f in names})

    def ask_after(self, elapsed: int) -> int:
        """The ask ``elapsed`` seconds after posting."""
        if self.ramp == 0 or elapsed >= self.ramp:
            return self.max_price
        return self.min_price + (self.max_price - self.min_price) * max(0, elapsed) // self.ramp

    def reaches_after(self, price: int) -> int | None:
        """Seconds after posting until the ask is at least ``price``; None above the maximum."""
        if price > self.max_price:
            return None
        if price <= self.min_price or self.ramp == 0:
            return 0
        return -(-(price - self.min_price) * self.ramp // (self.max_price - self.min_price))

    @property
    def allowed(self) -> str:
        return ", ".join(regions_in(self.regions))


@dataclass(frozen=True)
class Decline:
    """Why a worker would not take a job: ``kind`` is price, region, fuel, size, capacity or stake."""

    kind: str
    says: str


@dataclass(frozen=True)
class Judged:
    """One registered worker's answer to a job's terms."""

    profile: Profile
    declines: tuple[Decline, ...]
    busy: int
    lock_after: int | None
    """Seconds after posting until the ask reaches its minimum price (eligible workers only)."""

    @property
    def eligible(self) -> bool:
        return not self.declines

    @property
    def min_price(self) -> int | None:
        return self.profile.terms.min_price


def declines(p: Profile, t: Terms, *, busy: int, min_stake: int, sizes: dict[str, int]) -> list[Decline]:
    """Every reason ``p`` would not take ``t`` now (none: it would)."""
    out: list[Decline] = []
    terms = p.terms
    if terms.min_price is not None and terms.min_price > t.max_price:
        out.append(Decline("price", f"takes at least {agr(terms.min_price)}, above the maximum of {agr(t.max_price)}"))
    if t.regions:
        if p.region is None:
            out.append(Decline("region", f"declared no region; the job allows only {t.allowed}"))
        elif not t.regions >> p.region & 1:
            out.append(Decline("region", f"is in {region_code(p.region)}, not in the allowed {t.allowed}"))
    if terms.max_fuel is not None and terms.max_fuel < t.fuel_limit:
        out.append(Decline("fuel", f"runs at most {terms.max_fuel:,} fuel, below the limit of {t.fuel_limit:,}"))
    for what, size in sizes.items():
        if terms.max_blob is not None and size > terms.max_blob:
            out.append(Decline("size", f"fetches at most {terms.max_blob:,} bytes; the {what} has {size:,}"))
    if terms.capacity is not None and busy >= terms.capacity:
        out.append(Decline("capacity", f"is executing {busy} of the {terms.capacity} jobs it takes at once"))
    if p.free + p.locked + p.unbonding < min_stake:
        stake = p.free + p.locked + p.unbonding
        out.append(Decline("stake", f"holds {agr(stake)} of stake, below the market's minimum of {agr(min_stake)}"))
    elif p.free < t.collateral:
        out.append(
            Decline("stake", f"has {agr(p.free)} of free stake, less than the collateral of {agr(t.collateral)}")
        )
    return out


@dataclass(frozen=True)
class Outlook:
    """The registered workers' answers to a job's terms, and when the ask reaches enough of them."""

    terms: Terms
    judged: list[Judged]
    staked: int
    """Accounts that ever staked (the registered workers are among them)."""

    @property
    def eligible(self) -> list[Judged]:
        return sorted((j for j in self.judged if j.eligible), key=lambda j: (j.lock_after or 0, j.profile.address))

    def after(self, count: int) -> int | None:
        """Seconds after posting until the ask reaches ``count`` eligible workers' minimum prices."""
        eligible = self.eligible
        return eligible[count - 1].lock_after if 0 < count <= len(eligible) else None

    def declined(self, kind: str) -> list[Judged]:
        return [j for j in self.judged if any(d.kind == kind for d in j.declines)]

    def reasons(self) -> list[str]:
        """Why the workers that would not take it would not, one sentence per kind of reason."""
        t, out = self.terms, []
        if (price := self.declined("price")) and len(price) == len(self.judged):
            out.append(f"every registered worker takes more than its maximum of {agr(t.max_price)} ({_span(price)})")
        elif price:
            out.append(
                f"{_who(price, 'takes', 'take')} at least {_span(price)}, above its maximum of {agr(t.max_price)}"
            )
        if (region := self.declined("region")) and len(region) == len(self.judged):
            out.append(f"no worker is in the allowed regions {t.allowed}")
        elif region:
            out.append(f"{_who(region, 'is', 'are')} outside the allowed regions {t.allowed}")
        if fuel := self.declined("fuel"):
            out.append(f"{_who(fuel, 'runs', 'run')} less fuel than its limit of {t.fuel_limit:,}")
        if size := self.declined("size"):
            out.append(f"{_who(size, 'fetches', 'fetch')} no program or input as large as its")
        if busy := self.declined("capacity"):
            out.append(f"{_who(busy, 'is', 'are')} busy, executing as many jobs as it takes at once")
        if stake := self.declined("stake"):
            out.append(
                f"{_who(stake, 'lacks', 'lack')} the stake for it (free stake for its collateral of "
                f"{agr(t.collateral)}, or the market's minimum stake)"
            )
        return out


def _who(workers: list[Judged], one: str, many: str) -> str:
    return f"1 worker {one}" if len(workers) == 1 else f"{len(workers)} workers {many}"


def _span(workers: list[Judged]) -> str:
    """The lowest and highest minimum price of ``workers``: '4–6 AGR', or '4 AGR'."""
    known = sorted(j.min_price for j in workers if j.min_price is not None)
    if not known:
        return "? AGR"
    low, high = format_tokens(known[0]), format_tokens(known[-1])
    return f"{low} AGR" if low == high else f"{low}–{high} AGR"


def outlook(directory: Directory, terms: Terms, *, sizes: dict[str, int] | None = None) -> Outlook:
    """The registered workers (bounded: `Directory.considered`) judged against ``terms``."""
    profiles, staked = directory.registered()
    busy = directory.busy(p.address for p in profiles)
    min_stake = directory.min_stake()
    judged = []
    for p in profiles:
        reasons = declines(p, terms, busy=busy.get(p.address, 0), min_stake=min_stake, sizes=sizes or {})
        lock_after = None if reasons else terms.reaches_after(p.terms.min_price or 0)
        judged.append(Judged(p, tuple(reasons), busy.get(p.address, 0), lock_after))
    return Outlook(terms, judged, staked)


def clearing_prices(engine: Engine, program_id: str, *, limit: int = CLEARING_PRICES) -> list[tuple[str, int, int]]:
    """The latest lock prices (job id, wei, block) of jobs of ``program_id``, auditors' slots left
    out, newest first."""
    query = (
        select(SlotRow.job_id, SlotRow.price, SlotRow.locked_block)
        .join(JobRow, JobRow.job_id == SlotRow.job_id)
        .where(JobRow.program_id == program_id.lower(), SlotRow.auditor.is_(False))
        .order_by(SlotRow.locked_block.desc(), SlotRow.job_id.desc(), SlotRow.slot.desc())
        .limit(limit)
    )
    with Session(engine) as s:
        return [(job, int(price), block) for job, price, block in s.execute(query)]
