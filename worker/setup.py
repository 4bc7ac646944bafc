"""A worker's name and records (its funding and stake are any staked account's: `duties.setup`)."""

from __future__ import annotations

from collections.abc import Callable

from ._shared import Shared
from .errors import WorkerError

Say = Callable[[str], None]


def name_and_records(w: Shared, name: str, records: dict[str, str], say: Say) -> None:
    """Registers ``name``.agora for this key (refusing one another key owns), sets ``records``
    (only those that differ) and the reverse record."""
    full = f"{name}.agora"
    owner = w.names.owner(name)
    if owner is None:
        say(f"registering {full} (commit, wait, register)")
        w.names.register(name)
    elif owner.lower() != w.address.lower():
        raise WorkerError(f"{full} belongs to {owner}, not to this worker's key {w.address}")
    for key, value in records.items():
        if w.names.text(name, key) != value:
            say(f"setting {full} text record {key} = {value!r}")
            w.names.set_text(name, key, value)
    if w.names.reverse(w.address) != full:
        say(f"pointing {w.address} back at {full}")
        w.names.set_reverse(name)
