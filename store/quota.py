"""Per-signer quotas of a store node, persisted in a small SQLite file so they survive restarts.

A signer is charged the bytes of each object it newly stores on the node (re-uploading an
object already there costs nothing). Uploads in progress hold a reservation, so concurrent
uploads cannot together pass the quota.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from .errors import QuotaExceeded


class QuotaBook:
    """Bytes stored per signer on this node, against one quota for every signer."""

    def __init__(self, path: Path, quota: int) -> None:
        self.quota = quota
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # No fsync per upload: a power cut may forget the last few charges (never a stored object).
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS usage (signer TEXT PRIMARY KEY, bytes INTEGER NOT NULL)")
        self._used = {row[0]: int(row[1]) for row in self._db.execute("SELECT signer, bytes FROM usage")}
        self._reserved: dict[str, int] = {}

    def used(self, signer: str) -> int:
        """Bytes ``signer`` has stored on this node."""
        with self._lock:
            return self._used.get(signer.lower(), 0)

    def reserve(self, signer: str, size: int) -> None:
        """Holds ``size`` bytes of ``signer``'s quota for an upload in progress.

        Raises:
            QuotaExceeded: when the signer's stored and reserved bytes plus ``size`` pass the quota.
        """
        key = signer.lower()
        with self._lock:
            used, held = self._used.get(key, 0), self._reserved.get(key, 0)
            if used + held + size > self.quota:
                raise QuotaExceeded(
                    f"{signer} has stored {used} bytes here ({held} more in uploads in progress); "
                    f"{size} more would pass the quota of {self.quota} bytes on this node"
                )
            self._reserved[key] = held + size

    def release(self, signer: str, reserved: int) -> None:
        """Ends a reservation made by `reserve`."""
        key = signer.lower()
        with self._lock:
            left = self._reserved.get(key, 0) - reserved
            if left > 0:
                self._reserved[key] = left
            else:
                self._reserved.pop(key, None)

    def charge(self, signer: str, size: int) -> None:
        """Adds ``size`` newly stored bytes to ``signer``'s use (persisted)."""
        key = signer.lower()
        with self._lock:
            self._used[key] = self._used.get(key, 0) + size
            self._db.execute(
                "INSERT INTO usage (signer, bytes) VALUES (?, ?) "
                "ON CONFLICT(signer) DO UPDATE SET bytes = bytes + excluded.bytes",
                (key, size),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
