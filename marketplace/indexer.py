"""The chain indexer: the market's and the court's job events into the marketplace's database.

Each `step` reads one batch of blocks after the cursor and, in one database transaction, stores
every job event (`events`), applies it to the projections (`jobs`, `slots`, `settlements`) and
moves the cursor: a crash anywhere repeats at most that batch, and a repeated event is never
stored twice (unique block and log position). Before each batch the cursor's block hash is
compared with the chain's; a different hash means the chain reorganised under the index: events
above the highest block the chain still agrees with are dropped, the cursor goes back there, and
every job they touched is projected again from its remaining events. `rebuild` empties the
database and indexes from the deployment block again: the same rows, from events alone.

Besides job events it keeps each `Staked` and `UnstakeRequested` event of `StakeManager` (with
`job_id` `NO_JOB`): the accounts that staked are the workers the API lists, quotes and explains
with, ranked by the stake they hold (marketplace/directory.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, fields, is_dataclass
from enum import IntEnum
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session
from web3 import Web3

from ledger import Deployment, Event, EventDecoder, JobEvent, Mode, SlashReason, mapped_errors
from ledger import events as ev

from .models import BlockSeen, Cursor, EventRow, JobRow, SettlementRow, SlotRow

log = logging.getLogger("agora.indexer")

CURSOR = "jobs"
BASE_FIELDS = {"block", "log_index", "tx_hash", "address"}
NO_JOB = ""
"""The `job_id` of an event that belongs to no job (a worker's `Staked`, `UnstakeRequested`)."""
ACCOUNT_EVENTS: tuple[type[ev.Event], ...] = (ev.Staked, ev.UnstakeRequested)
"""Events of no job that are indexed all the same."""


def indexed_events(w3: Web3, deployment: Deployment) -> EventDecoder:
    """A decoder of what the index keeps: the market's and the court's job events, and the
    workers' `Staked` and `UnstakeRequested`."""
    contracts = ("JobMarket", "Court", "StakeManager")
    jobs = [cls for (name, _), cls in ev.EVENTS.items() if name in ("JobMarket", "Court") and issubclass(cls, JobEvent)]
    return EventDecoder(w3, deployment, contracts, only=[*jobs, *ACCOUNT_EVENTS])


def _json(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, IntEnum):
        return int(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _json(v) for k, v in asdict(value).items()}
    return value


def event_data(e: Event) -> dict[str, Any]:
    """An event's arguments, JSON-ready (bytes as 0x-hex, enums as numbers)."""
    return {f.name: _json(getattr(e, f.name)) for f in fields(e) if f.name not in BASE_FIELDS}


class Indexer:
    """Indexes job events of ``deployment`` into the database behind ``engine`` (already migrated)."""

    def __init__(self, w3: Web3, deployment: Deployment, engine: Engine, *, batch_blocks: int = 2_000) -> None:
        self.w3 = w3
        self.engine = engine
        self.start = deployment.block
        self.batch_blocks = batch_blocks
        self.decoder = indexed_events(w3, deployment)
        self.generation = 0
        """Counts the steps that stored events: a reader in this process waits for it to move."""
        self._listeners: set[Callable[[], None]] = set()
        self._listeners_lock = threading.Lock()

    def listen(self, wake: Callable[[], None]) -> Callable[[], None]:
        """Calls ``wake`` (in the indexing thread: it must be quick; a failure is logged) each
        time the generation moves, until the function returned is called."""
        with self._listeners_lock:
            self._listeners.add(wake)

        def stop() -> None:
            with self._listeners_lock:
                self._listeners.discard(wake)

        return stop

    # -- the chain -----------------------------------------------------------------------------

    def _hash(self, number: int) -> str:
        with mapped_errors():
            return "0x" + bytes(self.w3.eth.get_block(number)["hash"]).hex()

    def _head(self) -> int:
        with mapped_errors():
            return int(self.w3.eth.block_number)

    def _tip(self) -> tuple[int, str]:
        """The head block's number and hash: one call, all an idle step asks."""
        with mapped_errors():
            block = self.w3.eth.get_block("latest")
        return int(block["number"]), "0x" + bytes(block["hash"]).hex()

    # -- stepping ------------------------------------------------------------------------------

    @property
    def cursor(self) -> int:
        """The last block whose events are all indexed."""
        with Session(self.engine) as s:
            row = s.get(Cursor, CURSOR)
            return row.block if row is not None else self.start - 1

    def step(self) -> int:
        """Indexes one batch of blocks (or undoes a reorganisation); the events stored."""
        with Session(self.engine) as s, s.begin():
            cursor = s.get(Cursor, CURSOR)
            head, head_hash = self._tip()
            if cursor is not None and cursor.block >= 0:
                # The chain is shorter than the index, or has another block at the cursor: it reorganised.
                at = head_hash if cursor.block == head else None
                if cursor.block > head or (at or self._hash(cursor.block)) != cursor.block_hash:
                    self._unwind(s, cursor)
                    return 0
            first = (cursor.block if cursor is not None else self.start - 1) + 1
            if first > head:
                return 0
            last = min(head, first + self.batch_blocks - 1)
            last_hash = head_hash if last == head else self._hash(last)
            with mapped_errors():
                logs = self.w3.eth.get_logs({"fromBlock": first, "toBlock": last, "address": self.decoder.addresses})
            if self._hash(last) != last_hash:
                return 0  # the chain moved under the read: read again
            decoded = self.decoder.decode_all(logs)
            seen = {int(entry["blockNumber"]): "0x" + bytes(entry["blockHash"]).hex() for entry in logs}
            seen[last] = last_hash
            for e in decoded:
                row = EventRow(
                    block=e.block,
                    log_index=e.log_index,
                    tx_hash="0x" + e.tx_hash.hex(),
                    contract=e.address,
                    name=e.NAME,
                    job_id="0x" + e.job_id.hex() if isinstance(e, JobEvent) else NO_JOB,
                    data=event_data(e),
                )
                s.add(row)  # never there yet: events and the cursor are committed together
                s.flush()
                project(s, row)
            for number, block_hash in seen.items():
                s.merge(BlockSeen(number=number, hash=block_hash))
            if cursor is None:
                s.add(Cursor(name=CURSOR, block=last, block_hash=last_hash))
            else:
                cursor.block, cursor.block_hash = last, last_hash
        if decoded:
            self.generation += 1
            log.info("indexed %d events from blocks %d..%d", len(decoded), first, last)
            with self._listeners_lock:
                listeners = list(self._listeners)
            for wake in listeners:
                try:
                    wake()
                except Exception:  # noqa: BLE001 - a listener's failure must not stop the indexing
                    log.exception("a listener of the indexer failed")
        return len(decoded)

    def catch_up(self, on_batch: Callable[[int, int], None] | None = None) -> int:
        """Steps until the cursor reaches the chain's head; the events stored."""
        total = 0
        while True:
            total += self.step()
            cursor, head = self.cursor, self._head()
            if on_batch is not None:
                on_batch(cursor, head)
            if cursor >= head:
                return total

    def rebuild(self, on_batch: Callable[[int, int], None] | None = None) -> int:
        """Empties the index and builds it again from the deployment block."""
        with Session(self.engine) as s, s.begin():
            for table in (SettlementRow, SlotRow, JobRow, EventRow, BlockSeen, Cursor):
                s.execute(delete(table))
        return self.catch_up(on_batch)

    def _unwind(self, s: Session, cursor: Cursor) -> None:
        """The chain no longer has the cursor's block: back to the highest block it still agrees
        with, events above it dropped, the jobs they touched projected again."""
        fork = self.start - 1
        for seen in s.scalars(select(BlockSeen).order_by(BlockSeen.number.desc())):
            if seen.number <= self._head() and self._hash(seen.number) == seen.hash:
                fork = seen.number
                break
        touched = set(s.scalars(select(EventRow.job_id).where(EventRow.block > fork))) - {NO_JOB}
        s.execute(delete(EventRow).where(EventRow.block > fork))
        s.execute(delete(BlockSeen).where(BlockSeen.number > fork))
        s.execute(delete(JobRow).where(JobRow.job_id.in_(touched)))
        s.flush()
        for row in s.scalars(
            select(EventRow).where(EventRow.job_id.in_(touched)).order_by(EventRow.block, EventRow.log_index)
        ):
            project(s, row)
        cursor.block = fork
        cursor.block_hash = self._hash(fork) if fork >= 0 else "0x"
        log.warning("the chain reorganised: back to block %d; %d jobs projected again", fork, len(touched))


# -- projections ---------------------------------------------------------------------------------

STATUS = {
    "JobProvisional": "provisional",
    "JobSettled": "settled",
    "JobUnresolved": "unresolved",
    "JobExpired": "expired",
    "JobVoid": "void",
    "JobEscalated": "disputed",
}


def project(s: Session, row: EventRow) -> None:
    """Applies one stored event to the jobs, slots and settlements it describes."""
    d = row.data
    if row.job_id == NO_JOB:
        return  # a worker's event: read where it is stored (marketplace/directory.py)
    if row.name == "JobPosted":
        r = d["request"]
        s.add(
            JobRow(
                job_id=row.job_id,
                requester=d["requester"],
                program_id=r["program_id"],
                input_digest=r["input_digest"],
                mode=Mode(r["mode"]).name.lower(),
                redundancy=r["redundancy"],
                quorum=r["quorum"],
                min_price=r["min_price"],
                max_price=r["max_price"],
                collateral=r["collateral"],
                escrow=d["escrow"],
                regions=r["regions"],
                fuel_limit=r["fuel_limit"],
                lock_deadline=r["lock_deadline"],
                commit_deadline=r["commit_deadline"],
                reveal_deadline=r["reveal_deadline"],
                status="open",
                posted_block=row.block,
                posted_tx=row.tx_hash,
                updated_block=row.block,
            )
        )
        return
    job = s.get(JobRow, row.job_id)
    if job is None:
        return  # a court event of a job posted before the index began: nothing to describe
    job.updated_block = row.block
    name = row.name
    if name in STATUS:
        job.status = STATUS[name]
        if name in ("JobProvisional", "JobSettled"):
            job.result_digest = d["digest"] if name == "JobProvisional" else d["winning_digest"]
    elif name == "JobLocked":
        s.add(
            SlotRow(
                job_id=row.job_id,
                slot=d["slot"],
                worker=d["worker"],
                price=d["price"],
                auditor=d["slot"] >= job.redundancy,
                locked_block=row.block,
            )
        )
    elif name == "SlotReleased":  # the giver's slot is gone; the job's last slot moved into its place
        gone = s.get(SlotRow, (row.job_id, d["slot"]))
        if gone is not None:
            s.delete(gone)
            s.flush()
        moved = s.get(SlotRow, (row.job_id, d["moved_from"])) if d["moved_from"] != d["slot"] else None
        if moved is not None:
            moved.slot = d["slot"]
    elif name in ("ResultCommitted", "ResultRevealed"):
        slot = s.get(SlotRow, (row.job_id, d["slot"]))
        if slot is not None:
            slot.committed = True
            if name == "ResultRevealed":
                slot.digest, slot.result_cid = d["digest"], d["result_cid"]
    elif name == "ProofAccepted":
        slot = s.get(SlotRow, (row.job_id, 0))
        if slot is not None:
            slot.digest, slot.result_cid = d["digest"], d["result_cid"]
    elif name in ("WorkerPaid", "WorkerSlashed", "Refunded", "ClaimPaid", "JurorPaid"):
        account = d.get("worker") or d.get("requester") or d.get("account") or d.get("juror")
        kind = {"WorkerPaid": "paid", "WorkerSlashed": "slashed", "Refunded": "refunded", "ClaimPaid": "claim"}
        s.add(
            SettlementRow(
                job_id=row.job_id,
                account=account,
                kind=kind.get(name, "juror"),
                amount=d["amount"],
                reason=SlashReason(d["reason"]).describe() if name == "WorkerSlashed" else None,
                block=row.block,
                log_index=row.log_index,
                tx_hash=row.tx_hash,
            )
        )
