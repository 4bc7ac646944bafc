"""Chain time, one definition for every daemon: what the next block's timestamp will be about."""

from __future__ import annotations

import time

from web3 import Web3

from ._tx import mapped_errors


class ChainClock:
    """The chain's time as the next block will see it: wall time, or, on a chain whose clock runs
    ahead of it (a dev chain moved on), wall time plus how far ahead the latest block was when
    first seen; never behind the latest block. Time moves on between blocks, so a worker waiting
    for a deadline on a quiet chain still sees it pass."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self._seen_block = -1
        self._ahead = 0.0

    def now(self) -> int:
        with mapped_errors():
            latest = self.w3.eth.get_block("latest")
        stamp, number, wall = int(latest["timestamp"]), int(latest["number"]), time.time()
        if number != self._seen_block:
            self._seen_block, self._ahead = number, max(0.0, stamp - wall)
        return max(stamp, int(wall + self._ahead))


def format_time(timestamp: int) -> str:
    """A chain timestamp as people read it: ``2026-11-27 04:25:00 UTC``."""
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))


def format_duration(seconds: float) -> str:
    """``95`` -> ``1 min 35 s``; ``11387`` -> ``3 h 9 min``; days beyond two days."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min" + (f" {s % 60} s" if s % 60 else "")
    if s < 2 * 86400:
        return f"{s // 3600} h" + (f" {s % 3600 // 60} min" if s % 3600 // 60 else "")
    return f"{s // 86400} days" + (f" {s % 86400 // 3600} h" if s % 86400 // 3600 else "")
