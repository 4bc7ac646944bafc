"""The market `agora up` runs from a home: its lock, and the file that tells other commands where
it is (``HOME/up.json``: the chain's URL, the store nodes and their coding, the API's URL), so
`agora store …`, `agora job …` and the rest find it with no exports."""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

MARKET_FILE = "up.json"
LOCK_FILE = "up.lock"


@dataclass(frozen=True)
class Running:
    """A market `agora up` runs: its process and where each part of it answers."""

    pid: int
    chain: str
    store_nodes: list[str]
    store_k: int
    store_m: int
    api: str | None
    started: float
    ready: bool = True
    """False while it starts: its parts may not answer yet (`agora up down` stops it all the same)."""
    parts: dict[str, int] = field(default_factory=dict)
    """Each part's process id (0 while it waits to be restarted), by name: chain, store1, api, ray,
    worker1, verifier, …"""


class HomeInUse(Exception):
    """Another `agora up` runs from this home."""


def lock(home: Path) -> IO[str]:
    """Holds ``HOME/up.lock`` for as long as the returned file stays open (the process's life):
    one `agora up` per home.

    Raises:
        HomeInUse: when another process holds it.
    """
    home.mkdir(parents=True, exist_ok=True)
    fh = open(home / LOCK_FILE, "a+")  # noqa: SIM115 - held open for the process's life
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        other = running(home)
        said = f" (pid {other.pid}, chain {other.chain})" if other else ""
        raise HomeInUse(f"a market is already running from {home}{said}: `agora up down` stops it") from None
    return fh


def write(home: Path, market: Running) -> None:
    path = home / MARKET_FILE
    staged = path.with_suffix(".tmp")
    staged.write_text(json.dumps(asdict(market), indent=1) + "\n")
    staged.replace(path)


def remove(home: Path) -> None:
    (home / MARKET_FILE).unlink(missing_ok=True)


def running(home: Path) -> Running | None:
    """The market running from ``home``, if its process is alive (a stale file is ignored)."""
    try:
        data: dict[str, Any] = orjson.loads((home / MARKET_FILE).read_bytes())
        market = Running(**data)
    except (OSError, ValueError, TypeError):
        return None
    try:
        os.kill(market.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, another user's
    if not _is_agora_up(market.pid):  # the pid of a market killed outright, since given to another
        return None
    return market


def _is_agora_up(pid: int) -> bool:
    """Whether process ``pid`` runs `agora up` (where /proc tells; elsewhere, assumed)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        return not Path("/proc/self").exists()
    except OSError:
        return True
    return b"up" in args and any(a.endswith((b"agora", b"cli")) for a in args)
