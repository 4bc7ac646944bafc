"""The recent-blocks cache: each entry loaded once however many readers ask at the same time."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

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


def _block(name: bytes, number: int, *txs: bytes) -> Any:
    """What the cache reads of a block: its hash and its transactions' hashes (``number`` names
    the block in the tests only)."""
    return SimpleNamespace(hash=name, number=number, transactions=[SimpleNamespace(hash=t) for t in txs])


def test_a_block_put_by_its_writer_is_served_without_decoding() -> None:
    recent = RecentBlocks(4)
    block = _block(b"a", 1, b"t0", b"t1")
    recent.put_block(block, ("r0", "r1"))
    assert recent.get(b"a", "block", lambda: "decoded") is block
    assert recent.get(b"a", "receipts", lambda: "decoded") == ("r0", "r1")
    assert recent.locate(b"t1") == (block, 1)
    assert recent.locate(b"t9") is None


def test_places_are_forgotten_on_revert_and_with_their_blocks() -> None:
    recent = RecentBlocks(2)  # one block and its receipts
    recent.put_block(_block(b"a", 1, b"t0"), ("r0",))
    recent.forget_locations()
    assert recent.locate(b"t0") is None  # evm_revert: looked up on chain again
    recent.put_block(_block(b"a", 1, b"t0"), ("r0",))
    recent.put_block(_block(b"b", 2, b"t1"), ("r1",))
    assert recent.locate(b"t0") is None  # its block is no longer kept
    assert recent.get(b"a", "block", lambda: "decoded") == "decoded"
