"""Per-signer quotas of a store node, persisted in a small SQLite file so they survive restarts.

A signer is charged what each object it newly stores costs the node's disk (`cost`: its size in
whole 4 KiB blocks, at least one, plus a block for its inode and directory entry), and may keep at
most ``max_objects`` objects; re-uploading an object already there costs nothing. Uploads in
progress hold a reservation, so concurrent uploads cannot together pass the quota.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from .errors import QuotaExceeded

BLOCK = 4096
"""The file system block an object's bytes are counted in."""
OBJECT_OVERHEAD = BLOCK
"""What an object costs beyond its blocks: its inode, directory entry and quota record."""
MAX_OBJECTS = 65_536


def cost(size: int) -> int:
    """The bytes a ``size``-byte object is charged: whole blocks (at least one) plus the overhead."""
    return max(1, -(-size // BLOCK)) * BLOCK + OBJECT_OVERHEAD


class QuotaBook:
    """Bytes (as `cost` counts them) and objects stored per signer on this node, against one
    quota for every signer."""

    def __init__(self, path: Path, quota: int, *, max_objects: int = MAX_OBJECTS) -> None:
        self.quota = quota
        self.max_objects = max_objects
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # No fsync per upload: a power cut may forget the last few charges (never a stored object).
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS usage (signer TEXT PRIMARY KEY, bytes INTEGER NOT NULL)")
        if "objects" not in {row[1] for row in self._db.execute("PRAGMA table_info(usage)")}:
            self._db.execute("ALTER TABLE usage ADD COLUMN objects INTEGER NOT NULL DEFAULT 0")
        rows = self._db.execute("SELECT signer, bytes, objects FROM usage")
        self._used = {row[0]: (int(row[1]), int(row[2])) for row in rows}
        self._reserved: dict[str, tuple[int, int]] = {}

    def used(self, signer: str) -> tuple[int, int]:
        """(bytes charged, objects) of what ``signer`` has stored on this node."""
        with self._lock:
            return self._used.get(signer.lower(), (0, 0))

    def reserve(self, signer: str, size: int) -> None:
        """Holds what a ``size``-byte object costs of ``signer``'s quota for an upload in progress.

        Raises:
            QuotaExceeded: when the signer's stored and reserved bytes plus the object's cost pass
                the quota, or its objects would pass ``max_objects``.
        """
        key, charge = signer.lower(), cost(size)
        with self._lock:
            used, objects = self._used.get(key, (0, 0))
            held, pending = self._reserved.get(key, (0, 0))
            if used + held + charge > self.quota:
                raise QuotaExceeded(
                    f"{signer} has stored {used} bytes here ({held} more in uploads in progress); "
                    f"{charge} more (what {size} bytes cost on disk) would pass the quota of {self.quota} bytes "
                    "on this node"
                )
            if objects + pending + 1 > self.max_objects:
                raise QuotaExceeded(f"{signer} has stored {objects} objects here, the most this node keeps per writer")
            self._reserved[key] = (held + charge, pending + 1)

    def release(self, signer: str, size: int) -> None:
        """Ends a reservation made by `reserve` for a ``size``-byte object."""
        with self._lock:
            self._release(signer.lower(), size)

    def _release(self, key: str, size: int) -> None:
        held, pending = self._reserved.get(key, (0, 0))
        left = (held - cost(size), pending - 1)
        if left[1] > 0:
            self._reserved[key] = left
        else:
            self._reserved.pop(key, None)

    def commit(self, signer: str, size: int) -> None:
        """Ends a reservation and charges the newly stored object in one step (under one lock), so
        a concurrent `reserve` never sees it counted twice, nor not at all."""
        with self._lock:
            self._release(signer.lower(), size)
            self._charge(signer.lower(), size)

    def charge(self, signer: str, size: int) -> None:
        """Adds a newly stored ``size``-byte object to ``signer``'s use (persisted)."""
        with self._lock:
            self._charge(signer.lower(), size)

    def _charge(self, key: str, size: int) -> None:
        charge = cost(size)
        used, objects = self._used.get(key, (0, 0))
        self._used[key] = (used + charge, objects + 1)
        self._db.execute(
            "INSERT INTO usage (signer, bytes, objects) VALUES (?, ?, 1) "
            "ON CONFLICT(signer) DO UPDATE SET bytes = bytes + excluded.bytes, objects = objects + 1",
            (key, charge),
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()
