"""The registered workers: who staked (from the index), and what the chain says of each (stake,
declared region, reverse name, published terms), read briefly cached and bounded.

A worker is *registered* when it holds stake and its address resolves back to a name whose
address record points at it (`ledger.Names.reverse`); its terms are that name's text records
(`ledger.WorkerTerms`), unknown where missing or malformed. Who staked comes from the `Staked`
events in the index, never from a scan of the chain. The work one request causes is bounded: at
most ``considered`` workers (those that put in the most stake) are looked at, each is read from
the chain at most once every ``ttl`` seconds, and every read of a name's records may use at most
``call_gas`` gas (a name's resolver is a contract of its owner's choosing).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, and_, case, func, or_, select
from sqlalchemy.orm import Session
from web3 import Web3

from ledger import TERMS_KEYS, ContractRevert, Deployment, Names, StakeManager, WorkerTerms, parse_terms

from .indexer import NO_JOB
from .models import EventRow, JobRow, SettlementRow, SlotRow

MAX_CONSIDERED = 64
"""Workers a quote or an explanation looks at: those that put in the most stake."""
TTL = 30.0
"""Seconds a worker's chain reads are reused."""
CALL_GAS = 300_000
"""Gas one read of a name's records may use: a value of a few KiB; more is unknown."""
_CACHE_MAX = 4_096


@dataclass(frozen=True)
class Profile:
    """A worker as the chain says it is now."""

    address: str
    name: str | None
    terms: WorkerTerms
    free: int
    locked: int
    unbonding: int
    region: int | None

    @property
    def registered(self) -> bool:
        """Holds stake and has a verified reverse name."""
        return self.name is not None and self.free + self.locked > 0


@dataclass(frozen=True)
class Standing:
    """A worker's record in the index: slots taken, jobs paid, slashes."""

    jobs: int
    paid: int
    earned: int
    slashes: int

    @property
    def reputation(self) -> float | None:
        """Paid jobs ÷ (paid jobs + slashes) (docs/api.md); None before its first outcome."""
        outcomes = self.paid + self.slashes
        return round(self.paid / outcomes, 4) if outcomes else None


STAKER = EventRow.data["worker"].as_string()
"""The account of an indexed `Staked` event."""
STAKED = (EventRow.job_id == NO_JOB) & (EventRow.name == "Staked")


class Directory:
    """The registered workers of the market behind ``w3``/``deployment``, over the index in ``engine``."""

    def __init__(
        self,
        engine: Engine,
        w3: Web3,
        deployment: Deployment,
        *,
        considered: int = MAX_CONSIDERED,
        ttl: float = TTL,
        call_gas: int = CALL_GAS,
    ) -> None:
        self.engine, self.considered, self.ttl = engine, considered, ttl
        self.names = Names(w3, deployment, call_gas=call_gas)
        self.stakes = StakeManager(w3, deployment)
        self._cache: dict[str, tuple[float, Profile]] = {}
        self._min_stake: tuple[float, int] | None = None
        self._lock = threading.Lock()

    # -- the index -------------------------------------------------------------------------------

    def stakers(self, *, limit: int, before: tuple[int, str] | None = None) -> list[tuple[str, int]]:
        """Accounts that staked, newest first (by their first stake's block), with that block."""
        staked = (
            select(STAKER.label("worker"), func.min(EventRow.block).label("since"))
            .where(STAKED)
            .group_by(STAKER)
            .subquery()
        )
        query = select(staked.c.worker, staked.c.since)
        if before is not None:
            block, address = before
            query = query.where(or_(staked.c.since < block, and_(staked.c.since == block, staked.c.worker < address)))
        query = query.order_by(staked.c.since.desc(), staked.c.worker.desc()).limit(limit)
        with Session(self.engine) as s:
            return [(str(w), int(b)) for w, b in s.execute(query)]

    def candidates(self) -> list[str]:
        """The ``considered`` accounts that hold the most stake by the index (`Staked` less
        `UnstakeRequested`): stake put in and asked back at once ranks nowhere."""
        amount = EventRow.data["amount"].as_float()
        held = func.sum(case((EventRow.name == "Staked", amount), else_=-amount))
        query = (
            select(STAKER)
            .where(EventRow.job_id == NO_JOB, EventRow.name.in_(("Staked", "UnstakeRequested")))
            .group_by(STAKER)
            .order_by(held.desc(), STAKER)
            .limit(self.considered)
        )
        with Session(self.engine) as s:
            return [str(w) for w in s.scalars(query)]

    def standing(self, addresses: Iterable[str]) -> dict[str, Standing]:
        """Each account's slots, paid jobs, earnings and slashes, from the index."""
        wanted = list(addresses)
        jobs: dict[str, int] = {}
        paid: dict[str, tuple[int, int]] = {}
        slashes: dict[str, int] = {}
        with Session(self.engine) as s:
            for w, n in s.execute(
                select(SlotRow.worker, func.count()).where(SlotRow.worker.in_(wanted)).group_by(SlotRow.worker)
            ):
                jobs[w] = int(n)
            for w, kind, amount in s.execute(  # summed in Python: exact on SQLite too (models.Wei)
                select(SettlementRow.account, SettlementRow.kind, SettlementRow.amount).where(
                    SettlementRow.account.in_(wanted), SettlementRow.kind.in_(("paid", "slashed"))
                )
            ):
                if kind == "paid":
                    count, total = paid.get(w, (0, 0))
                    paid[w] = (count + 1, total + int(amount))
                else:
                    slashes[w] = slashes.get(w, 0) + 1
        return {
            a: Standing(jobs.get(a, 0), paid.get(a, (0, 0))[0], paid.get(a, (0, 0))[1], slashes.get(a, 0))
            for a in wanted
        }

    def busy(self, addresses: Iterable[str]) -> dict[str, int]:
        """Slots each account holds in open jobs and has not committed yet: what it is executing."""
        wanted = list(addresses)
        query = (
            select(SlotRow.worker, func.count())
            .join(JobRow, JobRow.job_id == SlotRow.job_id)
            .where(SlotRow.worker.in_(wanted), JobRow.status == "open", SlotRow.committed.is_(False))
            .group_by(SlotRow.worker)
        )
        with Session(self.engine) as s:
            return {str(w): int(n) for w, n in s.execute(query)}

    # -- the chain, cached -----------------------------------------------------------------------

    def profile(self, address: str) -> Profile:
        """What the chain says of ``address`` (reused for ``ttl`` seconds)."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(address)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        free, locked, unbonding = self.stakes.stake_of(address)
        region = self.stakes.region_of(address)
        try:
            name = self.names.reverse(address)
        except ContractRevert:  # its resolver reverts, or wants more gas than a read may use
            name = None
        terms = parse_terms(self.names.records(name, TERMS_KEYS)) if name is not None else WorkerTerms()
        found = Profile(address, name, terms, free, locked, unbonding, region)
        with self._lock:
            if len(self._cache) >= _CACHE_MAX:
                self._cache = {a: v for a, v in self._cache.items() if now - v[0] < self.ttl}
            self._cache[address] = (now, found)
        return found

    def registered(self) -> tuple[list[Profile], int]:
        """The registered workers among the candidates, and how many accounts ever staked."""
        with Session(self.engine) as s:
            total = s.scalar(select(func.count(func.distinct(STAKER))).where(STAKED))
        profiles = [self.profile(a) for a in self.candidates()]
        return [p for p in profiles if p.registered], int(total or 0)

    def min_stake(self) -> int:
        """The least total stake that may lock a slot (reused for ``ttl`` seconds)."""
        now = time.monotonic()
        if self._min_stake is None or now - self._min_stake[0] >= self.ttl:
            self._min_stake = (now, self.stakes.min_stake())
        return self._min_stake[1]
