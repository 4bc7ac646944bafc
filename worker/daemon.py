"""The worker daemon: one identity (key, name, stake) earning tokens by running jobs.

On start it makes its name, records and stake what the operator asked for (`setup`). Then, each
tick, it reads new market events from its persisted cursor, decides on posted jobs with its
`BidPolicy` and locks when the ask is right (`bidding`), fetches program and input from the store,
executes on Ray and puts the output in the store, commits (the salt is on disk first), reveals
when the window opens, and calls settle once the reveal deadline has passed. Its stake makes it a
juror: drawn into a court's round, it re-executes and votes, and it keeps every case it sees
moving. All of that but bidding is any staked account's (`duties.Duties`, shared with a staked
verifier).
Every decision is logged in words.

State (jobs, salts) lives in SQLite under the worker's directory; the chain is read again for
anything a crash may have left half-done, so a daemon killed at any point resumes correctly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import Web3

from compute import RayExecutor
from duties import Conduct, Duties, StakeUnfunded, Strategy, WorkerState, fund, region_to_declare, stake
from ledger import Deployment, JobEvent, JobFeed, JobMarket, WorkerTerms, region_code, run_until
from ledger import events as ev
from store import StoreClient

from . import setup as start
from ._shared import Shared, log
from .bidding import Bidding
from .errors import WorkerError
from .policy import BidPolicy

MAX_BLOB = 64 * 1024 * 1024
"""Default of `WorkerConfig.max_blob`: the largest program or input the worker fetches."""

__all__ = ["Worker", "WorkerConfig"]


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
        config.state_dir.mkdir(parents=True, exist_ok=True)
        self.shared = Shared.of(
            w3,
            deployment,
            account,
            store=store,
            executor=executor,
            state=WorkerState(config.state_dir / "jobs.sqlite"),
            max_blob=config.max_blob,
            log=log,
            policy=config.policy,
        )
        self.feed = JobFeed(w3, deployment, config.state_dir / "cursor.sqlite")
        self.duties = Duties(
            self.shared,
            config.state_dir,
            threads=config.policy.max_concurrent,
            max_appeal_bond=config.max_appeal_bond,
            strategy=conduct,
        )
        self.bidding = Bidding(self.shared, self.duties.executions)

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
            fund(w, config.stake, say)
        if config.setup_name:
            region = region_code(region_to_declare(w, config.region))
            records = {
                "store": ",".join(config.store_nodes),
                "capacity": str(w.policy.max_concurrent),
                "region": region,
                "ray": "" if config.ray == "local" else config.ray,
                **self.terms(region).records(),
            }
            start.name_and_records(w, config.name, records, say)
        try:
            stake(w, config.stake, config.region, say)
        except StakeUnfunded as exc:
            raise WorkerError(str(exc)) from exc
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
        moved |= self.duties.advance(now)
        return moved

    def close(self) -> None:
        self.duties.close()
        self.feed.close()
        self.shared.state.close()

    def _on_event(self, e: JobEvent) -> None:
        if isinstance(e, ev.JobPosted):
            self.bidding.consider(e)
            return
        self.duties.on_event(e)
