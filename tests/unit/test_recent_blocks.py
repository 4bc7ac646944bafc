"""The recent-blocks cache: each entry loaded once however many readers ask at the same time."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from ledger._view import RecentBlocks

READERS = 8


def test_readers_asking_together_share_one_load() -> None:
    recent = RecentBlocks(4)
    started, release = threading.Event(), threading.Event()
    loads: list[int] = []

    def load() -> str:
        loads.append(1)
        started.set()
        release.wait(10)  # every other reader arrives while this load runs
        return "block"

    with ThreadPoolExecutor(READERS) as pool:
        first = pool.submit(recent.get, b"h", "block", load)
        assert started.wait(10)
        others = [pool.submit(recent.get, b"h", "block", load) for _ in range(READERS - 1)]
        time.sleep(0.2)  # let them reach the cache while the load runs (each would load it without the wait)
        release.set()
        answers = [first.result(), *(f.result() for f in others)]
    assert answers == ["block"] * READERS
    assert len(loads) == 1


def test_a_failed_load_reaches_its_waiters_and_is_not_kept() -> None:
    recent = RecentBlocks(4)
    started, release = threading.Event(), threading.Event()

    def failing() -> str:
        started.set()
        release.wait(10)
        raise KeyError("gone")

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(recent.get, b"h", "block", failing)
        assert started.wait(10)
        waiter = pool.submit(recent.get, b"h", "block", failing)
        release.set()
        for future in (first, waiter):
            with pytest.raises(KeyError):
                future.result()
    assert recent.get(b"h", "block", lambda: "loaded again") == "loaded again"


def test_a_put_entry_is_served_and_the_oldest_entries_go() -> None:
    recent = RecentBlocks(2)
    recent.put(b"a", "block", "A")
    assert recent.get(b"a", "block", lambda: "decoded") == "A"
    recent.put(b"b", "block", "B")
    recent.put(b"c", "block", "C")
    assert recent.get(b"a", "block", lambda: "decoded") == "decoded"
