"""Wall-time limits for EVM work that may not hold the event loop or a thread for long.

py-evm is pure Python, and so are the bn254 and BLS12-381 precompiles it runs (py_ecc): one
`eth_call` can compute for minutes inside a single precompile without consuming more gas. The
only interruption that reaches every such loop is an exception raised asynchronously in the
thread that runs it (`PyThreadState_SetAsyncExc`), which the interpreter delivers at its next
check between bytecodes. One watchdog thread keeps the deadlines and raises `Timeout` in a
thread whose deadline passed while it was still inside `limit()`.

The exception derives from `BaseException` so that no `except Exception` on the way (py-evm,
web3, our own) can swallow it. The caller must throw away whatever the interrupted code was
building (a call's state, its database view), since it stopped at an arbitrary point.
"""

from __future__ import annotations

import ctypes
import heapq
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


def _set_async_exc(thread_id: int, exc: type[BaseException] | None) -> None:
    """Raises ``exc`` in the thread at its next check (None: clears a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), None if exc is None else ctypes.py_object(exc)
    )


class Timeout(BaseException):  # noqa: N818 - named for what happened, like KeyboardInterrupt
    """Raised inside a thread whose `limit()` ran out of time."""


_PENDING, _FIRING, _FIRED, _SKIPPED = range(4)


class _Entry:
    __slots__ = ("deadline", "done", "state", "thread_id")

    def __init__(self, deadline: float, thread_id: int) -> None:
        self.deadline = deadline
        self.thread_id = thread_id
        self.done = False
        self.state = _PENDING


class _Watchdog:
    """One daemon thread that interrupts threads whose deadline passed.

    The interrupted thread never takes a lock while an interruption may be on its way (an
    exception delivered between acquiring and releasing would leave the lock held). It marks
    its entry done, then waits out a firing in progress; the watchdog fires only while an
    entry is not done. Every interleaving either raises `Timeout` inside `limit()` or not at
    all; a raised-but-undelivered one is cleared before `limit()` returns.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Entry]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, entry: _Entry) -> None:
        with self._cond:
            heapq.heappush(self._heap, (entry.deadline, next(self._seq), entry))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="evm-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()

    @staticmethod
    def finish(entry: _Entry) -> None:
        """Marks ``entry`` done; clears an interruption that was raised but not yet delivered."""
        entry.done = True
        while entry.state == _FIRING:
            time.sleep(0)
        if entry.state == _FIRED:
            _set_async_exc(entry.thread_id, None)

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, _, entry = self._heap[0]
                delay = deadline - time.monotonic()
                if delay > 0:
                    self._cond.wait(timeout=delay)
                    continue
                heapq.heappop(self._heap)
                entry.state = _FIRING
                if entry.done:
                    entry.state = _SKIPPED
                else:
                    _set_async_exc(entry.thread_id, Timeout)
                    entry.state = _FIRED


_watchdog = _Watchdog()


@contextmanager
def limit(seconds: float | None) -> Iterator[None]:
    """Runs the body with a wall-time limit: `Timeout` is raised in it when ``seconds`` pass.

    ``None`` means no limit. The body must be plain Python that tolerates being stopped at any
    point; whatever it built is to be discarded when `Timeout` comes out.
    """
    if seconds is None:
        yield
        return
    entry = _Entry(time.monotonic() + max(0.0, seconds), threading.get_ident())
    _watchdog.add(entry)
    try:
        yield
    finally:
        _watchdog.finish(entry)
