"""The worker daemon: one identity (key, name, stake) earning tokens by running jobs.

On start it makes its name, records and stake what the operator asked for (`setup`). Then, each
tick, it reads new market events from its persisted cursor, decides on posted jobs with its
`BidPolicy` and locks when the ask is right (`bidding`), fetches program and input from the store,
executes on Ray and puts the output in the store (`running`), commits (the salt is on disk first),
reveals when the window opens, and calls settle once the reveal deadline has passed (`results`).
Its stake makes it a juror: drawn into a court's round, it re-executes and votes, and it keeps
every case it sees moving (`jury`).
Every decision is logged in words.

State (jobs, salts) lives in SQLite under the worker's directory; the chain is read again for
anything a crash may have left half-done, so a daemon killed at any point resumes correctly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import Web3

from compute import RayExecutor
from ledger import (
    Court,
    Deployment,
    JobEvent,
    JobFeed,
    JobMarket,
    Names,
    StakeManager,
    Transactor,
    WorkerTerms,
    region_code,
    run_until,
)
from ledger import events as ev
from store import StoreClient

from . import setup as start
from ._shared import Shared, short
from .bidding import Bidding
from .conduct import Conduct, Strategy
from .jury import Jury
from .policy import BidPolicy, amount
from .results import Results
from .running import Executions
from .state import FINAL, JobRecord, Phase, WorkerState

log = logging.getLogger("agora.worker")

MAX_BLOB = 64 * 1024 * 1024
"""Default of `WorkerConfig.max_blob`: the largest program or input the worker fetches."""

__all__ = ["Worker", "WorkerConfig"]

UNHELD = (Phase.CANDIDATE, Phase.LOST, Phase.SKIPPED)
"""A job in one of these phases holds no slot here: a lock of its own there is news (an auditor's)."""


@dataclass(frozen=True)
class WorkerConfig:
    """What the operator chose (see `agora worker run --help`)."""

    name: str
    state_dir: Path
    store_nodes: list[str]
    stake: int = 200 * 10**18
    region: int | None = None
    ray: str = "local"
    policy: BidPolicy = field(default_factory=BidPolicy)
    poll_interval: float = 0.2
    fund_on_dev_chain: bool = True
    setup_name: bool = True
    max_blob: int = MAX_BLOB
    """Bytes: a program or input larger than this is refused before any of it is read."""
    max_appeal_bond: int = 100 * 10**18
    """The largest bond (from the worker's wallet) it posts to appeal a ruling against its result."""


class Worker:
    """A worker daemon over a chain, a store and a Ray executor (`run` loops; `tick` is one step)."""

    def __init__(
        self,
        w3: Web3,
        deployment: Deployment,
        account: LocalAccount,
        config: WorkerConfig,
        *,
        store: StoreClient,
        executor: RayExecutor,
        conduct: Strategy = Conduct.HONEST,
    ) -> None:
        self.config = config
        transactor = Transactor(w3, account)
        config.state_dir.mkdir(parents=True, exist_ok=True)
        self.shared = Shared(
            w3=w3,
            deployment=deployment,
            address=str(account.address),
            transactor=transactor,
            market=JobMarket(w3, deployment, transactor),
            court=Court(w3, deployment, transactor),
            stakes=StakeManager(w3, deployment, transactor),
            names=Names(w3, deployment, transactor),
            store=store,
            executor=executor,
            state=WorkerState(config.state_dir / "jobs.sqlite"),
            policy=config.policy,
            max_blob=config.max_blob,
        )
        self.feed = JobFeed(w3, deployment, config.state_dir / "cursor.sqlite")
        self.executions = Executions(self.shared, config.policy.max_concurrent)
        self.bidding = Bidding(self.shared, self.executions)
        self.results = Results(self.shared, self.executions, conduct)
        self.jury = Jury(
            self.shared, self.executions, conduct, config.state_dir, max_appeal_bond=config.max_appeal_bond
        )

    @property
    def address(self) -> str:
        return self.shared.address

    @property
    def policy(self) -> BidPolicy:
        return self.shared.policy

    @property
    def state(self) -> WorkerState:
        return self.shared.state

    @property
    def market(self) -> JobMarket:
        return self.shared.market

    # -- start -----------------------------------------------------------------------------------

    def setup(self, on_progress: Callable[[str], None] | None = None) -> None:
        """Name, records, stake and region as configured (only what differs is sent)."""
        say = on_progress or (lambda message: log.info("%s", message))
        w, config = self.shared, self.config
        if config.fund_on_dev_chain:
            start.fund(w, config.stake, say)
        if config.setup_name:
            region = region_code(start.region_to_declare(w, config.region))
            records = {
                "store": ",".join(config.store_nodes),
                "capacity": str(w.policy.max_concurrent),
                "region": region,
                "ray": "" if config.ray == "local" else config.ray,
                **self.terms(region).records(),
            }
            start.name_and_records(w, config.name, records, say)
        start.stake(w, config.stake, config.region, say)
        if config.region is None:  # keep what is declared (the first stake declares global)
            w.policy = replace(w.policy, region=w.stakes.region_of(w.address))

    def terms(self, region: str) -> WorkerTerms:
        """What its bidding policy takes, as its name's text records publish it (`ledger.WorkerTerms`)."""
        policy = self.shared.policy
        return WorkerTerms(
            min_price=policy.min_price,
            max_fuel=policy.max_fuel,
            max_blob=self.config.max_blob,
            capacity=policy.max_concurrent,
            regions=(region,),
        )

    # -- the loop --------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Ticks until ``stop`` is set; a chain outage is waited out."""
        run_until(stop, self.tick, interval=self.config.poll_interval, log=log)

    def tick(self) -> bool:
        """One step: events, bids, finished executions, due transactions. True if anything moved."""
        moved = self.feed.drain(self._on_event)
        now = self.shared.now()
        moved |= self.bidding.bid(now)
        moved |= self.executions.collect()
        moved |= self.results.advance(now)
        moved |= self.jury.advance(now)
        return moved

    def close(self) -> None:
        self.executions.close()
        self.jury.close()
        self.feed.close()
        self.shared.state.close()

    # -- events ----------------------------------------------------------------------------------

    def _take_slot(self, e: ev.JobLocked, record: JobRecord | None) -> None:
        """A slot of its own: the lock it sent, or a slot it was drawn into as the job's auditor
        (its collateral is locked: it runs the job like any other, whatever its policy)."""
        w = self.shared
        slot, price = e.slot, e.price
        auditor = record is None or record.phase != Phase.CANDIDATE or slot >= record.request.redundancy
        if record is None:
            request = w.market.request_of(e.job_id)
            if request is None:
                log.warning("job %s: holds slot %d but its request is not on chain", short(e.job_id), slot)
                return
            record = JobRecord(e.job_id, request, Phase.LOCKED)
            w.state.add(record)
        note = "drawn as its auditor" if auditor else f"locked at {amount(price)}"
        w.state.save(record.evolve(phase=Phase.LOCKED, slot=slot, price=price, note=note))
        if auditor:
            log.info("job %s: drawn as its auditor (slot %d, paid %s)", short(e.job_id), slot, amount(price))

    def _on_event(self, e: JobEvent) -> None:
        w = self.shared
        if isinstance(e, ev.JobPosted):
            self.bidding.consider(e)
            return
        self.jury.on_event(e)
        record = w.state.get(e.job_id)
        mine = getattr(e, "worker", "").lower() == w.address.lower()
        if isinstance(e, ev.JobLocked) and mine and (record is None or record.phase in UNHELD):
            self._take_slot(e, record)
            return
        if record is None:
            return
        if record.phase not in FINAL:
            self._outcome(e, record)
        if isinstance(e, ev.JobLocked):
            if e.slot + 1 == record.request.redundancy:
                w.audits.add(e.job_id)  # the last slot fixed the audit's seed block: see it decided
        elif isinstance(e, ev.WorkerPaid) and mine:
            w.state.save(record.evolve(earned=record.earned + e.amount, note=f"paid {amount(e.amount)}"))
            log.info("job %s: paid %s", short(e.job_id), amount(e.amount))
        elif isinstance(e, ev.WorkerSlashed) and mine:
            taken, reason = e.amount, e.reason.describe()
            w.state.save(record.evolve(slashed=record.slashed + taken, note=f"slashed {amount(taken)}: {reason}"))
            log.warning("job %s: slashed %s (%s)", short(e.job_id), amount(taken), reason)

    def _outcome(self, e: JobEvent, record: JobRecord) -> None:
        """What a job's event means for a job still in play here."""
        w = self.shared
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
