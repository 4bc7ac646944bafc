"""The development controls of the embedded chain (`evm_*`): its clock, snapshots and mining."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from eth.constants import GENESIS_PARENT_HASH, ZERO_ADDRESS
from eth_typing import Hash32

from ._view import RecentBlocks

log = logging.getLogger(__name__)

MAX_CLOCK_OFFSET = 100 * 365 * 24 * 3600
"""How far `evm_increaseTime` may move the clock in all: a century, far from uint64's end, so
that contract arithmetic on timestamps keeps its headroom."""
MAX_SNAPSHOTS = 10_000
_TIME_OFFSET_KEY = b"agora:time-offset"


class DevControlError(ValueError):
    """Raised when a development control (`evm_*`) is given an argument it cannot take."""


class DevControls:
    """Mixin of `EmbeddedChain`: the clock offset, snapshots and empty blocks."""

    chain: Any
    _db: Any
    _lock: threading.RLock
    _time_offset: int
    _snapshots: dict[int, tuple[bytes, int]]
    _next_snapshot: int
    _recent: RecentBlocks

    def _commit(self) -> None:
        raise NotImplementedError

    def _refresh_pending(self) -> Any:
        raise NotImplementedError

    def now(self) -> int:
        """The chain's clock: wall time plus whatever `increase_time` added."""
        return int(time.time()) + self._time_offset

    def _load_time_offset(self) -> int:
        stored = self._db.get(_TIME_OFFSET_KEY, b"0")
        try:
            offset = int(stored.decode())
        except ValueError:
            offset = -1
        if not 0 <= offset <= MAX_CLOCK_OFFSET:
            log.warning("dropping an out-of-range clock offset %r: the chain clock is the wall clock again", stored)
            offset = 0
        return offset

    def _set_time_offset(self, offset: int) -> None:
        self._time_offset = offset
        self._db[_TIME_OFFSET_KEY] = str(offset).encode()

    def mine(self, blocks: int = 1) -> None:
        with self._lock:
            for _ in range(blocks):
                self._refresh_pending()
                self.chain.mine_all([], coinbase=ZERO_ADDRESS, mix_hash=os.urandom(32))
            self._commit()

    def increase_time(self, seconds: int) -> int:
        """Moves the chain clock forward; returns the total offset.

        Raises `DevControlError` when the clock would pass `MAX_TIMESTAMP`.
        """
        with self._lock:
            if seconds < 0:
                raise DevControlError(f"seconds must not be negative, got {seconds}")
            headroom = MAX_CLOCK_OFFSET - self._time_offset
            if seconds > headroom:
                raise DevControlError(
                    f"{seconds} seconds would move the chain clock more than a century ahead; "
                    f"at most {headroom} more can be added"
                )
            self._set_time_offset(self._time_offset + seconds)
            self._commit()
            return self._time_offset

    def snapshot(self) -> int:
        with self._lock:
            if len(self._snapshots) >= MAX_SNAPSHOTS:
                raise DevControlError(f"at most {MAX_SNAPSHOTS} snapshots are kept: revert to an older one first")
            sid = self._next_snapshot
            self._next_snapshot += 1
            self._snapshots[sid] = (self.chain.get_canonical_head().hash, self._time_offset)
            return sid

    def revert(self, sid: int) -> bool:
        """Returns the chain to snapshot ``sid`` (dropping it and every later one)."""
        with self._lock:
            if sid not in self._snapshots:
                return False
            block_hash, offset = self._snapshots[sid]
            for later in [s for s in self._snapshots if s >= sid]:
                del self._snapshots[later]
            chaindb = self.chain.chaindb
            header = chaindb.get_block_header_by_hash(Hash32(block_hash))
            # Before the blocks leave the canonical chain: a reader in between looks in the
            # database, which shows them until the commit.
            self._recent.forget_locations()
            chaindb._set_as_canonical_chain_head(chaindb.db, header, GENESIS_PARENT_HASH)  # type: ignore[attr-defined]
            self.chain.header = self.chain.create_header_from_parent(header)
            self._set_time_offset(offset)
            self._commit()
            return True
