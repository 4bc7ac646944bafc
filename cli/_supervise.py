"""Child processes that `agora up` keeps running: started, watched, restarted, stopped together.

A child that dies after start-up is restarted after a pause that doubles with each quick death
(1 s up to 30 s, back to 1 s once a child has run for a minute), and the supervisor says so.
Stopping goes in reverse order of starting, each child with SIGTERM first and SIGKILL after a
grace period; a child that leads a process group (the Ray head) has what remains of its group
killed once its leader is gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

FIRST_PAUSE = 1.0
LONGEST_PAUSE = 30.0
STEADY = 60.0
"""Seconds a child must run before its next death counts as a first one again."""
GRACE = 20.0


@dataclass
class Child:
    """A supervised process: how to start it, and how it has fared."""

    name: str
    cmd: list[str]
    log: Path
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    group: bool = False
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    restarts: int = 0
    pause: float = FIRST_PAUSE
    restart_at: float | None = None
    log_offset: int = 0
    """Where this start's output begins in the log."""

    def start(self) -> None:
        with self.log.open("ab") as out, _signals_held():
            self.log_offset = out.tell()
            self.proc = subprocess.Popen(
                self.cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**self.env, "PYTHONUNBUFFERED": "1"},
                start_new_session=self.group,
            )
        self.started = time.monotonic()
        self.restart_at = None

    def exited(self) -> int | None:
        """The exit code once the process has ended, else None."""
        return None if self.proc is None else self.proc.poll()

    def stop(self) -> None:
        """Asks the process to stop (SIGTERM to it alone: Ray's head stops its own children)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def wait(self, grace: float = GRACE) -> None:
        """Waits for the process; kills it after ``grace`` seconds, and whatever its group left."""
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.kill_leftovers()

    def kill_leftovers(self) -> None:
        if self.group and self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


@contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM held back while a child starts, then delivered: an interruption inside
    `Popen`, after the fork, would leave a child running that nobody knows of to stop."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    before = {s: signal.getsignal(s) for s in held}
    if any(h is None for h in before.values()):  # a handler not set from Python: cannot be put back
        yield
        return
    for s in held:
        signal.signal(s, lambda signum, _frame: got.append(signum))
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
        if got:
            signal.raise_signal(got[0])


class Supervisor:
    """Starts children and restarts the ones that die; ``say`` reports what it does."""

    def __init__(self, logs: Path, say: Callable[[str], None], on_change: Callable[[], None] | None = None) -> None:
        self.logs = logs
        self.say = say
        self.on_change = on_change or (lambda: None)
        """Called when a child starts, dies or is restarted (`pids` then says what runs)."""
        self.children: list[Child] = []

    def spawn(self, name: str, cmd: list[str], *, env: dict[str, str] | None = None, group: bool = False) -> Child:
        child = Child(name, cmd, self.logs / f"{name}.log", dict(env or os.environ), group)
        self.children.append(child)  # before it starts: whatever happens next, it is stopped with the rest
        child.start()
        self.on_change()
        return child

    def pids(self) -> dict[str, int]:
        """Each child's process id, 0 while it is not running (waiting to be restarted)."""
        return {c.name: c.proc.pid if c.proc is not None and c.proc.poll() is None else 0 for c in self.children}

    def check(self) -> None:
        """One look at every child: schedule a restart for the dead, restart the ones due."""
        now = time.monotonic()
        for child in self.children:
            code = child.exited()
            if code is None:
                continue
            if child.restart_at is None:
                child.kill_leftovers()  # a Ray head's nodes would hold its ports
                if now - child.started >= STEADY:
                    child.pause = FIRST_PAUSE
                child.restart_at = now + child.pause
                self.say(f"{child.name} exited with code {code}; restarting in {child.pause:.0f}s (log: {child.log})")
                child.pause = min(LONGEST_PAUSE, child.pause * 2)
                self.on_change()
            elif now >= child.restart_at:
                child.restarts += 1
                child.start()
                self.say(f"{child.name} restarted (restart {child.restarts})")
                self.on_change()

    def run(self, stop: Callable[[], bool], interval: float = 0.5) -> None:
        """Watches the children until ``stop()`` holds."""
        while not stop():
            self.check()
            time.sleep(interval)

    def stop_all(self) -> None:
        """Stops every child, the last started first."""
        for child in reversed(self.children):
            child.restart_at = None
            child.stop()
            child.wait()
