"""What the parts of one worker daemon share: its clients, its records, and its clocks."""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from dataclasses import dataclass, field

from web3 import Web3

from compute import RayExecutor, Result
from ledger import Deployment, JobMarket, Names, StakeManager, Transactor
from store import StoreClient

from .policy import BidPolicy
from .state import FINAL, JobRecord, Phase, WorkerState

log = logging.getLogger("agora.worker")

RETRY_AFTER = 2.0


def short(job_id: bytes) -> str:
    return job_id.hex()[:10]


class ChainClock:
    """The chain's time as the next block will see it: wall time, or, on a chain whose clock runs
    ahead of it (a dev chain moved on), wall time plus how far ahead the latest block was when
    first seen; never behind the latest block. Time moves on between blocks, so a worker waiting
    for a deadline on a quiet chain still sees it pass."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self._seen_block = -1
        self._ahead = 0.0

    def now(self) -> int:
        latest = self.w3.eth.get_block("latest")
        stamp, number, wall = int(latest["timestamp"]), int(latest["number"]), time.time()
        if number != self._seen_block:
            self._seen_block, self._ahead = number, max(0.0, stamp - wall)
        return max(stamp, int(wall + self._ahead))


@dataclass
class Shared:
    w3: Web3
    deployment: Deployment
    address: str
    transactor: Transactor
    market: JobMarket
    stakes: StakeManager
    names: Names
    store: StoreClient
    executor: RayExecutor
    state: WorkerState
    policy: BidPolicy
    max_blob: int
    retry_at: dict[bytes, float] = field(default_factory=dict)
    running: dict[bytes, Future[tuple[Result, str, str]]] = field(default_factory=dict)
    inputs: dict[bytes, bytes] = field(default_factory=dict)  # fetched before locking, until executed
    clock: ChainClock = field(init=False)

    def __post_init__(self) -> None:
        self.clock = ChainClock(self.w3)

    def now(self) -> int:
        return self.clock.now()

    def waiting(self, job_id: bytes) -> bool:
        return time.monotonic() < self.retry_at.get(job_id, 0)

    def retry_later(self, job_id: bytes) -> None:
        self.retry_at[job_id] = time.monotonic() + RETRY_AFTER

    def finish(self, record: JobRecord, phase: Phase, note: str) -> None:
        self.state.save(record.evolve(phase=phase, note=note))
        self.running.pop(record.job_id, None)
        self.inputs.pop(record.job_id, None)
        if phase in FINAL:
            self.retry_at.pop(record.job_id, None)
        log.info("job %s: %s", short(record.job_id), note)
