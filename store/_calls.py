"""Handles on requests in flight: each `Call` has a total deadline (brought forward once the size
of its answer is known, by the minimum rate) and can be aborted from any thread (its socket is
shut down, so whatever blocks on it returns at once); a `Scope` aborts a group of calls together;
one watchdog thread aborts every call whose deadline has passed."""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time

from .errors import NodeError


class Call:
    """One request's handle: its deadline, and `abort` to stop it from any thread."""

    def __init__(self, deadline: float, limit: float) -> None:
        self.deadline = deadline
        self.why = f"no complete answer within the deadline of {limit:g}s"
        """What passing the deadline means (`tighten` may change both)."""
        self.aborted = ""
        self.done = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def tighten(self, deadline: float, why: str) -> bool:
        """Brings the deadline forward to ``deadline`` (passing it then means ``why``); whether it moved."""
        with self._lock:
            if deadline >= self.deadline:
                return False
            self.deadline, self.why = deadline, why
            return True

    def expire(self) -> None:
        """Aborts the call when its (current) deadline has passed."""
        if self.remaining() <= 0.001:
            self.abort(self.why)

    def attach(self, sock: socket.socket) -> None:
        with self._lock:
            if self.aborted:
                raise NodeError("", self.aborted)
            self._sock = sock

    def detach(self) -> None:
        with self._lock:
            self._sock = None

    def finish(self) -> None:
        with self._lock:
            self.done, self._sock = True, None

    def abort(self, reason: str) -> None:
        """Stops the request: a blocked connect, send or read returns at once."""
        with self._lock:
            if self.done or self.aborted:
                return
            self.aborted = reason
            if self._sock is not None:
                try:  # the plain socket's shutdown: an SSLSocket's own would drop its TLS state under a reader
                    socket.socket.shutdown(self._sock, socket.SHUT_RDWR)
                except OSError:
                    pass


class Scope:
    """Calls made under a scope (and its children) are aborted together by `cancel`."""

    def __init__(self, parent: Scope | None = None) -> None:
        self._calls: list[Call] = []
        self._children: list[Scope] = []
        self._lock = threading.Lock()
        self.cancelled = ""
        if parent is not None:
            parent._adopt(self)

    def _adopt(self, child: Scope) -> None:
        with self._lock:
            self._children.append(child)
            reason = self.cancelled
        if reason:
            child.cancel(reason)

    def add(self, call: Call) -> None:
        with self._lock:
            self._calls = [c for c in self._calls if not c.done]
            self._calls.append(call)
            reason = self.cancelled
        if reason:
            call.abort(reason)

    def cancel(self, reason: str = "cancelled") -> None:
        with self._lock:
            self.cancelled = self.cancelled or reason
            calls, children = list(self._calls), list(self._children)
        for call in calls:
            call.abort(reason)
        for child in children:
            child.cancel(reason)


class _Watchdog:
    """One thread that aborts every call whose deadline has passed."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Call]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, call: Call) -> None:
        with self._cond:
            while self._heap and self._heap[0][2].done:  # finished calls leave (the watchdog sleeps long)
                heapq.heappop(self._heap)
            heapq.heappush(self._heap, (call.deadline, next(self._seq), call))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="store-watchdog", daemon=True)
                self._thread.start()
            if self._heap[0][2] is call:  # due before every other: the watchdog must wake sooner
                self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                while self._heap and (self._heap[0][0] <= now or self._heap[0][2].done):
                    _, _, call = heapq.heappop(self._heap)
                    call.expire()
                self._cond.wait(self._heap[0][0] - now if self._heap else None)


WATCHDOG = _Watchdog()
