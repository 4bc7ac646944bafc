"""A durable bytes-to-bytes store for py-evm: SQLite in WAL mode, committed once per block."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from eth.db.backends.base import BaseDB


class SqliteKV(BaseDB):
    """py-evm database backed by one SQLite file.

    Writes join an open SQLite transaction; `commit` makes everything written since the last
    commit durable at once, so a crash leaves the state of the last committed block. A
    ``readonly`` connection (the readers that answer calls beside the writer) sees only
    committed blocks.
    """

    def __init__(self, path: Path, *, synchronous: str = "FULL", readonly: bool = False) -> None:
        if readonly:
            # Autocommit: every read sees the blocks committed before it began (WAL).
            self._conn = sqlite3.connect(
                f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
            )
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), isolation_level="DEFERRED", check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={synchronous}")
        self._conn.execute("CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID")
        self._conn.commit()

    def __getitem__(self, key: bytes) -> bytes:
        row = self._conn.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return bytes(row[0])

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._conn.execute("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", (key, value))

    def __delitem__(self, key: bytes) -> None:
        if self._conn.execute("DELETE FROM kv WHERE k = ?", (key,)).rowcount == 0:
            raise KeyError(key)

    def _exists(self, key: bytes) -> bool:
        return self._conn.execute("SELECT 1 FROM kv WHERE k = ?", (key,)).fetchone() is not None

    def commit(self) -> None:
        """Makes every write since the last commit durable."""
        self._conn.commit()

    def rollback(self) -> None:
        """Drops every write since the last commit."""
        self._conn.rollback()

    def close(self) -> None:
        """Commits nothing further and closes the file."""
        self._conn.rollback()
        self._conn.close()
