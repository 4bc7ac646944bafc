"""What a juror must not forget: the cases it keeps moving, its seats and votes (salts on disk
before the commit that uses them), and the appeals it bonded."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Duty:
    """This account's seats in one round, and its vote (the salt is saved before it commits)."""

    job_id: bytes
    round: int
    seats: int
    salt: bytes
    digest: bytes = b""
    checkpoint: bytes = b""
    committed: bool = False
    revealed: bool = False


class JuryState:
    """Cases to keep moving and rounds to serve in, in SQLite beside the account's jobs."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS cases (job_id BLOB PRIMARY KEY)")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS duties (job_id BLOB, round INTEGER, seats INTEGER, salt BLOB,"
            " digest BLOB, checkpoint BLOB, committed INTEGER, revealed INTEGER, PRIMARY KEY (job_id, round))"
        )
        # Appeals it bonded, until their case is over and the bond claimed.
        self._db.execute("CREATE TABLE IF NOT EXISTS appeals (job_id BLOB PRIMARY KEY)")
        self._db.commit()

    def add_case(self, job_id: bytes) -> None:
        self._db.execute("INSERT OR IGNORE INTO cases VALUES (?)", (job_id,))
        self._db.commit()

    def drop_case(self, job_id: bytes) -> None:
        self._db.execute("DELETE FROM cases WHERE job_id = ?", (job_id,))
        self._db.commit()

    def cases(self) -> list[bytes]:
        return [bytes(row[0]) for row in self._db.execute("SELECT job_id FROM cases")]

    def add_appeal(self, job_id: bytes) -> None:
        self._db.execute("INSERT OR IGNORE INTO appeals VALUES (?)", (job_id,))
        self._db.commit()

    def take_appeal(self, job_id: bytes) -> bool:
        """Whether it had appealed in this case (forgotten from now on)."""
        gone = self._db.execute("DELETE FROM appeals WHERE job_id = ?", (job_id,)).rowcount
        self._db.commit()
        return bool(gone)

    def save(self, d: Duty) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO duties VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (d.job_id, d.round, d.seats, d.salt, d.digest, d.checkpoint, int(d.committed), int(d.revealed)),
        )
        self._db.commit()

    def duty(self, job_id: bytes, round_: int) -> Duty | None:
        row = self._db.execute("SELECT * FROM duties WHERE job_id = ? AND round = ?", (job_id, round_)).fetchone()
        if row is None:
            return None
        job_id, round_, seats, salt, digest, checkpoint, committed, revealed = row
        return Duty(bytes(job_id), round_, seats, bytes(salt), bytes(digest), bytes(checkpoint), committed, revealed)

    def close(self) -> None:
        self._db.close()
