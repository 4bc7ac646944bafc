"""The verifier's record of every check it made: which job, what was claimed, what it computed,
its verdict and why; and of every duty a stake drew it into (a juror's seats, an auditor's slot),
at its latest step. One SQLite file; a check is written before the verifier moves on."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from duties import Posting


class Verdict(StrEnum):
    AGREES = "agrees"  # our result digest is the one claimed (or, unresolved, one of those revealed)
    DIFFERS = "differs"  # our result digest is not the one claimed
    UNAVAILABLE = "unavailable"  # the program or input cannot be had from the store (or is too large)
    NOT_SAMPLED = "not sampled"  # a provisional settlement outside this verifier's sample
    OVER_BUDGET = "over budget"  # its fuel limit is above what this verifier runs (--max-fuel)
    PENDING = "pending"  # could not run yet (store or Ray unreachable): tried again


@dataclass(frozen=True)
class Check:
    job_id: bytes
    kind: str  # "provisional", "disputed" or "unresolved"
    claimed: dict[str, list[str]]  # result digest (hex) -> slot workers who revealed it
    verdict: Verdict
    detail: str = ""
    digest: str = ""  # ours (hex), when we ran it
    final_after: int = 0
    checked_at: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "jobId": "0x" + self.job_id.hex(),
            "kind": self.kind,
            "claimed": self.claimed,
            "verdict": self.verdict.value,
            "detail": self.detail,
            "digest": self.digest,
            "finalAfter": self.final_after,
            "checkedAt": self.checked_at,
        }


@dataclass(frozen=True)
class DutyRecord:
    """A duty its stake drew it into: a juror's seats in a job's case (``place`` its latest round)
    or an auditor's slot (``place`` the slot), its latest step (``note``) and its vote or result."""

    job_id: bytes
    role: str  # "juror" or "auditor"
    place: int
    note: str
    digest: str = ""  # its vote or result (hex), once it has one
    updated: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "jobId": "0x" + self.job_id.hex(),
            "role": self.role,
            "place": self.place,
            "note": self.note,
            "digest": self.digest,
            "updated": self.updated,
        }


class CheckLog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._lock = threading.Lock()
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS checks (job_id BLOB PRIMARY KEY, kind TEXT NOT NULL, claimed TEXT NOT NULL,"
            " verdict TEXT NOT NULL, detail TEXT NOT NULL, digest TEXT NOT NULL, final_after INTEGER NOT NULL,"
            " checked_at REAL NOT NULL)"
        )
        # Where each job's request is on chain (its JobPosted block), so a check reads one block,
        # and its redundancy k, so that its last lock (which fixes the audit's seed) is known.
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS posted (job_id BLOB PRIMARY KEY, block INTEGER NOT NULL,"
            " redundancy INTEGER NOT NULL DEFAULT 0)"
        )
        if "redundancy" not in {row[1] for row in self._db.execute("PRAGMA table_info(posted)")}:
            self._db.execute("ALTER TABLE posted ADD COLUMN redundancy INTEGER NOT NULL DEFAULT 0")  # an older log
        # Duties a stake drew it into, one row per job and role, at its latest step.
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS duties (job_id BLOB NOT NULL, role TEXT NOT NULL, place INTEGER NOT NULL,"
            " note TEXT NOT NULL, digest TEXT NOT NULL, updated REAL NOT NULL, PRIMARY KEY (job_id, role))"
        )
        # Disputes it bonded, until their case is over and the bond claimed.
        self._db.execute("CREATE TABLE IF NOT EXISTS bonds (job_id BLOB PRIMARY KEY, amount TEXT NOT NULL)")
        self._db.commit()

    def save(self, check: Check) -> Check:
        stamped = replace(check, checked_at=time.time())
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO checks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    stamped.job_id,
                    stamped.kind,
                    json.dumps(stamped.claimed),
                    stamped.verdict.value,
                    stamped.detail,
                    stamped.digest,
                    stamped.final_after,
                    stamped.checked_at,
                ),
            )
            self._db.commit()
        return stamped

    def remember_posted(self, job_id: bytes, block: int, redundancy: int) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO posted VALUES (?, ?, ?)", (job_id, block, redundancy))
            self._db.commit()

    def posting(self, job_id: bytes) -> Posting | None:
        """Where the job was posted and its k (0 when posted before the log kept it)."""
        with self._lock:
            row = self._db.execute("SELECT block, redundancy FROM posted WHERE job_id = ?", (job_id,)).fetchone()
        return Posting(int(row[0]), int(row[1])) if row else None

    def note_duty(self, duty: DutyRecord) -> DutyRecord:
        """Its latest step (a step without a digest keeps the one recorded)."""
        stamped = replace(duty, updated=time.time())
        with self._lock:
            self._db.execute(
                "INSERT INTO duties VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, role) DO UPDATE SET"
                " place = excluded.place, note = excluded.note, updated = excluded.updated,"
                " digest = CASE WHEN excluded.digest = '' THEN digest ELSE excluded.digest END",
                (duty.job_id, duty.role, duty.place, duty.note, duty.digest, stamped.updated),
            )
            self._db.commit()
        return stamped

    def duty(self, job_id: bytes, role: str) -> DutyRecord | None:
        found = self._duties("WHERE job_id = ? AND role = ?", (job_id, role))
        return found[0] if found else None

    def duties(self) -> list[DutyRecord]:
        return self._duties("ORDER BY updated", ())

    def _duties(self, where: str, args: tuple[Any, ...]) -> list[DutyRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT job_id, role, place, note, digest, updated FROM duties " + where, args
            ).fetchall()
        return [DutyRecord(bytes(r[0]), r[1], int(r[2]), r[3], r[4], float(r[5])) for r in rows]

    def remember_bond(self, job_id: bytes, amount: int) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO bonds VALUES (?, ?)", (job_id, str(amount)))
            self._db.commit()

    def bonded(self, job_id: bytes) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM bonds WHERE job_id = ?", (job_id,)).fetchone() is not None

    def forget_bond(self, job_id: bytes) -> None:
        with self._lock:
            self._db.execute("DELETE FROM bonds WHERE job_id = ?", (job_id,))
            self._db.commit()

    def get(self, job_id: bytes) -> Check | None:
        rows = self._select("WHERE job_id = ?", (job_id,))
        return rows[0] if rows else None

    def all(self) -> list[Check]:
        return self._select("ORDER BY checked_at", ())

    def pending(self) -> list[Check]:
        return self._select("WHERE verdict = ? ORDER BY checked_at", (Verdict.PENDING.value,))

    def _select(self, where: str, args: tuple[Any, ...]) -> list[Check]:
        with self._lock:
            rows = self._db.execute(
                "SELECT job_id, kind, claimed, verdict, detail, digest, final_after, checked_at FROM checks " + where,
                args,
            ).fetchall()
        return [
            Check(bytes(r[0]), r[1], json.loads(r[2]), Verdict(r[3]), r[4], r[5], int(r[6]), float(r[7])) for r in rows
        ]

    def close(self) -> None:
        self._db.close()
