"""What a staked account must not forget: its jobs, their phase, and the salts of its commitments.

One SQLite file per account (a worker's every job it judged, a verifier's slots it was drawn into
as an auditor). Every change is committed before the daemon acts on it (a salt before the commit
transaction that uses it), so a daemon killed at any point resumes from here and the chain.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from ledger import JobRequest


class Phase(StrEnum):
    """A job's life in a worker: from candidate to an outcome."""

    CANDIDATE = "candidate"  # worth bidding for; waiting for the ask to reach the target price
    LOCKED = "locked"  # holds a slot; executing
    EXECUTED = "executed"  # result known and stored; salt chosen; commitment not yet on chain
    COMMITTED = "committed"  # commitment on chain; waiting for the reveal window
    REVEALED = "revealed"  # result on chain; waiting for settlement
    WAITING = "waiting"  # nothing more to send (a deadline passed); waiting for the outcome
    PROVISIONAL = "provisional"  # a quorum agreed: final (and paid) after the challenge window
    UNRESOLVED = "unresolved"  # settled without quorum: collateral held through the challenge window
    DISPUTED = "disputed"  # the reveals disagreed or the outcome was disputed: the court decides
    DONE = "done"  # settled, void or expired: paid, slashed or refunded
    SKIPPED = "skipped"  # the policy declined it
    LOST = "lost"  # wanted it, but the slots went to others or the lock window closed


IN_FLIGHT = (
    Phase.LOCKED,
    Phase.EXECUTED,
    Phase.COMMITTED,
    Phase.REVEALED,
    Phase.WAITING,
    Phase.PROVISIONAL,
    Phase.UNRESOLVED,
)
FINAL = (Phase.DONE, Phase.SKIPPED, Phase.LOST)


@dataclass(frozen=True)
class JobRecord:
    job_id: bytes
    request: JobRequest
    phase: Phase
    note: str = ""
    target_price: int = 0
    lock_at: int = 0
    slot: int = -1
    price: int = 0
    salt: bytes = b""
    digest: bytes = b""
    result_cid: str = ""
    result: dict[str, Any] | None = None
    earned: int = 0
    slashed: int = 0
    updated: float = 0.0

    def evolve(self, **changes: Any) -> JobRecord:
        return replace(self, **changes)


_COLUMNS = (
    "job_id TEXT PRIMARY KEY",
    "request TEXT NOT NULL",
    "phase TEXT NOT NULL",
    "note TEXT NOT NULL",
    "target_price TEXT NOT NULL",
    "lock_at INTEGER NOT NULL",
    "slot INTEGER NOT NULL",
    "price TEXT NOT NULL",
    "salt BLOB NOT NULL",
    "digest BLOB NOT NULL",
    "result_cid TEXT NOT NULL",
    "result TEXT",
    "earned TEXT NOT NULL",
    "slashed TEXT NOT NULL",
    "updated REAL NOT NULL",
)
_NAMES = [c.split()[0] for c in _COLUMNS]


class WorkerState:
    """The jobs table of one worker, or of a verifier's audit slots (thread-safe; every write
    committed before it returns, then told to ``on_save``)."""

    def __init__(self, path: Path, *, on_save: Callable[[JobRecord], None] | None = None) -> None:
        self._on_save = on_save
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(f"CREATE TABLE IF NOT EXISTS jobs ({', '.join(_COLUMNS)})")
        self._db.execute("CREATE INDEX IF NOT EXISTS jobs_phase ON jobs (phase)")
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def add(self, record: JobRecord) -> bool:
        """Stores a new job; False when it is already known (an event seen again)."""
        with self._lock:
            cur = self._db.execute(
                f"INSERT OR IGNORE INTO jobs ({', '.join(_NAMES)}) VALUES ({', '.join('?' * len(_NAMES))})",
                _row(record),
            )
            return cur.rowcount == 1

    def save(self, record: JobRecord) -> JobRecord:
        record = record.evolve(updated=time.time())
        with self._lock:
            self._db.execute(
                f"INSERT OR REPLACE INTO jobs ({', '.join(_NAMES)}) VALUES ({', '.join('?' * len(_NAMES))})",
                _row(record),
            )
        if self._on_save is not None:
            self._on_save(record)
        return record

    def get(self, job_id: bytes) -> JobRecord | None:
        with self._lock:
            row = self._db.execute(f"SELECT {', '.join(_NAMES)} FROM jobs WHERE job_id = ?", (job_id.hex(),)).fetchone()
        return None if row is None else _record(row)

    def in_phase(self, *phases: Phase) -> list[JobRecord]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {', '.join(_NAMES)} FROM jobs WHERE phase IN ({', '.join('?' * len(phases))}) ORDER BY rowid",
                [p.value for p in phases],
            ).fetchall()
        return [_record(r) for r in rows]

    def counts(self) -> dict[Phase, int]:
        with self._lock:
            rows = self._db.execute("SELECT phase, COUNT(*) FROM jobs GROUP BY phase").fetchall()
        return {Phase(p): int(n) for p, n in rows}

    def totals(self) -> tuple[int, int]:
        """(earned, slashed) over every job recorded."""
        with self._lock:
            rows = self._db.execute("SELECT earned, slashed FROM jobs").fetchall()
        return sum(int(e) for e, _ in rows), sum(int(s) for _, s in rows)


def _row(r: JobRecord) -> tuple[Any, ...]:
    return (
        r.job_id.hex(),
        json.dumps({k: "0x" + v.hex() if isinstance(v, bytes) else v for k, v in r.request.to_abi().items()}),
        r.phase.value,
        r.note,
        str(r.target_price),
        r.lock_at,
        r.slot,
        str(r.price),
        r.salt,
        r.digest,
        r.result_cid,
        None if r.result is None else json.dumps(r.result),
        str(r.earned),
        str(r.slashed),
        r.updated,
    )


def _record(row: tuple[Any, ...]) -> JobRecord:
    v = dict(zip(_NAMES, row, strict=True))
    return JobRecord(
        job_id=bytes.fromhex(v["job_id"]),
        request=JobRequest.from_abi(json.loads(v["request"])),
        phase=Phase(v["phase"]),
        note=v["note"],
        target_price=int(v["target_price"]),
        lock_at=int(v["lock_at"]),
        slot=int(v["slot"]),
        price=int(v["price"]),
        salt=bytes(v["salt"]),
        digest=bytes(v["digest"]),
        result_cid=v["result_cid"],
        result=None if v["result"] is None else json.loads(v["result"]),
        earned=int(v["earned"]),
        slashed=int(v["slashed"]),
        updated=float(v["updated"]),
    )
