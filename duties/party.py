"""What the parts acting for one staked account share: its clients, its records, and its clocks."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, Self

from eth_account.signers.local import LocalAccount
from web3 import Web3

from compute import RayExecutor
from ledger import ChainClock, Court, Deployment, JobMarket, JobRequest, StakeManager, Transactor, format_tokens
from store import StoreClient

from .state import FINAL, JobRecord, Phase, WorkerState

RETRY_AFTER = 2.0
RetryFor = Literal["slot", "audit", "case"]
"""What a refused step was for, each retried on its own: the slot it holds (bid, run, commit,
reveal, settle), deciding a job's audit, or a court case (its steps, judging a seat)."""


def short(job_id: bytes) -> str:
    return job_id.hex()[:10]


def amount(value: int) -> str:
    """'7.2 AGR'."""
    return f"{format_tokens(value)} AGR"


def result_deadline(request: JobRequest) -> int:
    """When a slot's result must be on chain: the commit deadline, or the reveal deadline for k=1."""
    return request.reveal_deadline if request.redundancy == 1 else request.commit_deadline


class Posting(NamedTuple):
    """Where a job was posted (its `JobPosted` block) and its redundancy k."""

    block: int
    redundancy: int


@dataclass(frozen=True)
class SeatNote:
    """One step of a seat in a drawn round, as the log says it (for a journal beside the log)."""

    job_id: bytes
    round: int
    note: str
    digest: bytes = b""


@dataclass
class Party:
    """One staked account: its clients (one `Transactor`, so one nonce), its slots (``state``),
    the logger its steps are told in, and what its parts keep between ticks."""

    w3: Web3
    deployment: Deployment
    address: str
    transactor: Transactor
    market: JobMarket
    court: Court
    stakes: StakeManager
    store: StoreClient
    executor: RayExecutor
    state: WorkerState
    max_blob: int
    log: logging.Logger
    journal: Callable[[SeatNote], None] | None = None
    """Told each step of its seats in drawn rounds (its slots' steps are in ``state``)."""
    posting: Callable[[bytes], Posting | None] | None = None
    """What the owner knows of a job it holds no slot in (else its request is searched for)."""
    retry_at: dict[tuple[bytes, RetryFor], float] = field(default_factory=dict)
    """When each duty of a job refused may be tried again: a retry of one duty (deciding its
    audit, say) never holds back another (committing its result)."""
    running: dict[bytes, Future[Any]] = field(default_factory=dict)  # (Result, node, CID), or a ZK job's Proven
    inputs: dict[bytes, bytes] = field(default_factory=dict)  # fetched before locking, until executed
    final_after: dict[bytes, int] = field(default_factory=dict)  # jobs awaiting their challenge window
    audits: set[bytes] = field(default_factory=set)  # jobs whose audit it keeps moving (`jury`)
    clock: ChainClock = field(init=False)

    def __post_init__(self) -> None:
        self.clock = ChainClock(self.w3)

    @classmethod
    def of(cls, w3: Web3, deployment: Deployment, account: LocalAccount, **parts: Any) -> Self:
        """The party of ``account``, its clients signing through one transactor; ``parts`` are
        the other fields (store, executor, state, max_blob, log, …)."""
        transactor = Transactor(w3, account)
        return cls(
            w3=w3,
            deployment=deployment,
            address=str(account.address),
            transactor=transactor,
            market=JobMarket(w3, deployment, transactor),
            court=Court(w3, deployment, transactor),
            stakes=StakeManager(w3, deployment, transactor),
            **parts,
        )

    def now(self) -> int:
        return self.clock.now()

    def waiting(self, job_id: bytes, duty: RetryFor = "slot") -> bool:
        return time.monotonic() < self.retry_at.get((job_id, duty), 0)

    def retry_later(self, job_id: bytes, duty: RetryFor = "slot") -> None:
        self.retry_at[(job_id, duty)] = time.monotonic() + RETRY_AFTER

    def forget_retries(self, job_id: bytes, *duties: RetryFor) -> None:
        """Drops the job's pending retries of ``duties``: those duties are over."""
        for duty in duties:
            self.retry_at.pop((job_id, duty), None)

    def request_of(self, job_id: bytes) -> JobRequest | None:
        """The job's request: from its record here, else from its `JobPosted` event on chain."""
        record = self.state.get(job_id)
        if record is not None:
            return record.request
        posting = None if self.posting is None else self.posting(job_id)
        return self.market.request_of(job_id, block=None if posting is None else posting.block)

    def noted(self, note: SeatNote) -> None:
        if self.journal is not None:
            self.journal(note)

    def finish(self, record: JobRecord, phase: Phase, note: str) -> None:
        self.state.save(record.evolve(phase=phase, note=note))
        self.running.pop(record.job_id, None)
        self.inputs.pop(record.job_id, None)
        if phase in FINAL:
            self.forget_retries(record.job_id, "slot", "audit")  # its audit was decided long before
            self.final_after.pop(record.job_id, None)
        self.log.info("job %s: %s", short(record.job_id), note)
