"""What the parts of one worker daemon share: its clients, its records, and its clocks."""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from dataclasses import dataclass, field

from web3 import Web3

from compute import RayExecutor, Result
from ledger import ChainClock, Court, Deployment, JobMarket, Names, StakeManager, Transactor
from store import StoreClient

from .policy import BidPolicy
from .state import FINAL, JobRecord, Phase, WorkerState

log = logging.getLogger("agora.worker")

RETRY_AFTER = 2.0


def short(job_id: bytes) -> str:
    return job_id.hex()[:10]


@dataclass
class Shared:
    w3: Web3
    deployment: Deployment
    address: str
    transactor: Transactor
    market: JobMarket
    court: Court
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
    final_after: dict[bytes, int] = field(default_factory=dict)  # jobs awaiting their challenge window
    audits: set[bytes] = field(default_factory=set)  # jobs whose audit it keeps moving (`jury`)
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
            self.final_after.pop(record.job_id, None)
        log.info("job %s: %s", short(record.job_id), note)
