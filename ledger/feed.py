"""Following the market from a persisted cursor: every event once, across restarts.

The worker daemon follows the market through it, and so will the verifier and the API's indexer.

The cursor (the last block whose events were all handed out) lives in a SQLite file; a caller
acknowledges a batch only after acting on it, so a crash repeats at most the unacknowledged
batch and never skips an event.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.contract import Contract

from ._tx import mapped_errors
from .artifacts import artifact
from .deploy import Deployment
from .errors import ChainUnavailable, LedgerError
from .market import JobRequest

EVENTS = (
    "JobPosted",
    "JobLocked",
    "ResultCommitted",
    "ResultRevealed",
    "JobProvisional",
    "JobSettled",
    "JobUnresolved",
    "JobExpired",
    "JobVoid",
    "WorkerPaid",
    "WorkerSlashed",
    "JobEscalated",
)
COURT_EVENTS = (
    "RoundScheduled",
    "Disputed",
    "JurorDrawn",
    "RoundDrawn",
    "VoteCommitted",
    "VoteRevealed",
    "RoundResolved",
    "CaseDecided",
    "CaseVoid",
    "AuditScheduled",
    "AuditorDrawn",
    "AuditSkipped",
)


@dataclass(frozen=True)
class MarketEvent:
    """One market (or court) event: its name, block, position, job id and decoded arguments."""

    name: str
    block: int
    log_index: int
    job_id: bytes
    args: dict[str, Any]

    def request(self) -> JobRequest:
        """The signed request of a `JobPosted` event."""
        return JobRequest.from_abi(self.args["request"])


class JobFeed:
    """Market and court events in chain order from a cursor kept in ``state`` (a SQLite file)."""

    def __init__(self, w3: Web3, deployment: Deployment, state: Path, *, batch_blocks: int = 2_000) -> None:
        self.w3 = w3
        self.market = w3.eth.contract(
            address=Web3.to_checksum_address(deployment.address("JobMarket")), abi=artifact("JobMarket")["abi"]
        )
        self.batch_blocks = batch_blocks
        state.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(state))
        self._db.execute("CREATE TABLE IF NOT EXISTS cursor (market TEXT PRIMARY KEY, block INTEGER NOT NULL)")
        self._db.commit()
        self._start = deployment.block
        followed: list[tuple[Contract, tuple[str, ...]]] = [(self.market, EVENTS)]
        if "Court" in deployment.contracts:
            court = w3.eth.contract(
                address=Web3.to_checksum_address(deployment.address("Court")), abi=artifact("Court")["abi"]
            )
            followed.append((court, COURT_EVENTS))
        self._addresses = [contract.address for contract, _ in followed]
        self._by_topic = {
            (contract.address, bytes.fromhex(getattr(contract.events, name)().topic.removeprefix("0x"))): (
                contract,
                name,
            )
            for contract, names in followed
            for name in names
        }

    @property
    def cursor(self) -> int:
        """The last block whose events have all been acknowledged."""
        row = self._db.execute("SELECT block FROM cursor WHERE market = ?", (self.market.address,)).fetchone()
        return int(row[0]) if row else self._start - 1

    def acknowledge(self, block: int) -> None:
        """Records that every event up to ``block`` was acted on."""
        self._db.execute(
            "INSERT INTO cursor (market, block) VALUES (?, ?) ON CONFLICT(market) DO UPDATE SET block = excluded.block",
            (self.market.address, block),
        )
        self._db.commit()

    def poll(self) -> tuple[list[MarketEvent], int]:
        """New events after the cursor (at most one batch of blocks), and the block they reach."""
        with mapped_errors():
            head = int(self.w3.eth.block_number)
            first = self.cursor + 1
            if first > head:
                return [], head
            last = min(head, first + self.batch_blocks - 1)
            logs = self.w3.eth.get_logs({"fromBlock": first, "toBlock": last, "address": self._addresses})
        events = []
        for log in sorted(logs, key=lambda entry: (entry["blockNumber"], entry["logIndex"])):
            key = (Web3.to_checksum_address(log["address"]), bytes(log["topics"][0])) if log["topics"] else None
            found = self._by_topic.get(key) if key else None
            if found is None:
                continue  # an event not followed (deposits, withdrawals)
            contract, name = found
            args = dict(getattr(contract.events, name)().process_log(log)["args"])
            events.append(MarketEvent(name, log["blockNumber"], log["logIndex"], bytes(args["jobId"]), args))
        return events, last

    def drain(self, handle: Callable[[MarketEvent], None]) -> bool:
        """Hands one batch of new events to ``handle``, in order, then acknowledges it (a crash in
        between repeats the batch). True if there were any."""
        events, last = self.poll()
        for event in events:
            handle(event)
        if last > self.cursor:
            self.acknowledge(last)
        return bool(events)

    def follow(self) -> Iterator[tuple[list[MarketEvent], int]]:
        """Batches until caught up with the head (acknowledge each after acting on it)."""
        while True:
            events, last = self.poll()
            if not events and last <= self.cursor:
                return
            yield events, last

    def close(self) -> None:
        self._db.close()


def run_until(stop: threading.Event, tick: Callable[[], bool], *, interval: float, log: logging.Logger) -> None:
    """Calls ``tick`` until ``stop`` is set: again at once while it reports work done, else after
    ``interval``; a chain outage or a refused transaction is logged and waited out (backing off up
    to 10 s). The loop of every daemon that follows the market."""
    backoff = interval
    while not stop.is_set():
        try:
            busy = tick()
            backoff = interval
        except ChainUnavailable as exc:
            log.warning("chain unavailable (%s); retrying in %.1fs", exc, backoff)
            busy = False
            backoff = min(backoff * 2, 10.0)
        except LedgerError as exc:  # e.g. a node refusing a transaction: log, wait, go on
            log.error("%s; retrying in %.1fs", exc, backoff)
            busy = False
            backoff = min(backoff * 2, 10.0)
        if not busy:
            stop.wait(backoff)
