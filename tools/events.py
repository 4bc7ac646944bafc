"""Generate ``ledger/events.py``: one typed record per event of every deployable contract.

Run by ``make contracts`` (tools/artifacts.py) after the artifacts are written, and checked by
``tools/artifacts.py --check``: the records are always those of the shipped ABIs. Field names are
the ABI's in snake case (``jobId`` -> ``job_id``; ``from`` -> ``from_``); addresses are checksummed
``str``, fixed and dynamic bytes ``bytes``, the market's request a `JobRequest`, the protocol's
enums their Python enums, every other integer ``int``. An event declared alike by several
contracts (``OwnershipTransferred``) is one record; one name with different arguments in two
contracts is prefixed by each contract's name (``AgoraTokenTransfer``, ``NameRegistryTransfer``).
"""

from __future__ import annotations

import json
import keyword
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "ledger" / "artifacts"
TARGET = ROOT / "ledger" / "events.py"

# Solidity internal types with a Python type of their own in `ledger`.
SPECIAL = {
    "struct IJobMarket.JobRequest": "JobRequest",
    "enum IJobMarket.Mode": "Mode",
    "enum IJobMarket.JobStatus": "JobStatus",
    "enum IStakeManager.SlashReason": "SlashReason",
    "enum ICourt.Phase": "CasePhase",
    "enum IProofCourt.Verdict": "Verdict",
}


def snake(name: str) -> str:
    out = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower().rstrip("_")
    return out + "_" if keyword.iskeyword(out) or out in ("block", "log_index", "tx_hash", "address") else out


def kind(param: dict[str, str]) -> str:
    """How a decoded value becomes the record's: a Python type name."""
    special = SPECIAL.get(param.get("internalType", ""))
    if special:
        return special
    solidity = param["type"]
    if solidity == "address":
        return "str"
    if solidity == "bool":
        return "bool"
    if solidity == "string":
        return "str"
    if solidity.startswith("bytes"):
        return "bytes"
    if solidity.startswith(("uint", "int")):
        return "int"
    raise SystemExit(f"tools/events.py: no Python type for {param}")


def collect(contracts: list[str]) -> list[tuple[str, str, list[str], list[tuple[str, str, str]]]]:
    """(class name, event name, contracts, [(abi name, field, kind)]) for every distinct event."""
    by_name: dict[str, dict[tuple[tuple[str, str], ...], list[str]]] = {}
    inputs: dict[tuple[str, tuple[tuple[str, str], ...]], list[dict[str, str]]] = {}
    for contract in contracts:
        abi = json.loads((ARTIFACTS / f"{contract}.json").read_text())["abi"]
        for entry in abi:
            if entry["type"] != "event":
                continue
            shape = tuple((p["name"], p["type"]) for p in entry["inputs"])
            by_name.setdefault(entry["name"], {}).setdefault(shape, []).append(contract)
            inputs[(entry["name"], shape)] = entry["inputs"]
    out = []
    for name in sorted(by_name):
        shapes = by_name[name]
        for shape, owners in shapes.items():
            cls = name if len(shapes) == 1 else owners[0] + name
            fields = [(p["name"], snake(p["name"]), kind(p)) for p in inputs[(name, shape)]]
            out.append((cls, name, owners, fields))
    return out


def render(contracts: list[str]) -> str:
    events = collect(contracts)
    used = {kind for *_, fields in events for _, _, kind in fields}
    market = sorted(used & {"JobRequest", "JobStatus", "Mode", "SlashReason", "Verdict"})
    imports = ["from .court import CasePhase"] if "CasePhase" in used else []
    imports += [f"from .model import {', '.join(market)}"] if market else []
    lines = [
        '"""Typed records of every contract event, generated from the shipped ABIs by tools/events.py',
        '(`make contracts`). Do not edit: `tools/artifacts.py --check` fails when this is stale."""',
        "",
        "from __future__ import annotations",
        "",
        "from dataclasses import dataclass",
        "from typing import ClassVar",
        "",
        *imports,
        "",
        "__all__ = [",
        '    "EVENTS",',
        '    "Event",',
        '    "JobEvent",',
        *[f'    "{cls}",' for cls, *_ in events],
        "]",
        "",
        "",
        "@dataclass(frozen=True, kw_only=True)",
        "class Event:",
        '    """Where an event was logged: block, position in it, transaction, emitting contract."""',
        "",
        "    block: int",
        "    log_index: int",
        "    tx_hash: bytes",
        "    address: str",
        '    NAME: ClassVar[str] = ""',
        "    CONTRACTS: ClassVar[tuple[str, ...]] = ()",
        "    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = ()",
        '    """(ABI name, field, kind) of each argument, in ABI order."""',
        "",
        "",
        "@dataclass(frozen=True, kw_only=True)",
        "class JobEvent(Event):",
        '    """An event about one job (every market and court event that names one)."""',
        "",
        "    job_id: bytes",
    ]
    for cls, name, owners, fields in events:
        about_job = any(field == "job_id" for _, field, _ in fields)
        base = "JobEvent" if about_job else "Event"
        lines += ["", "", "@dataclass(frozen=True, kw_only=True)", f"class {cls}({base}):"]
        lines.append(f'    """`{name}` of {", ".join(owners)}."""')
        lines.append("")
        for _, field, py in fields:
            if field != "job_id":
                lines.append(f"    {field}: {py}")
        lines.append(f'    NAME: ClassVar[str] = "{name}"')
        lines.append(f"    CONTRACTS: ClassVar[tuple[str, ...]] = ({', '.join(repr(o) for o in owners)},)")
        spec = ", ".join(f"({a!r}, {f!r}, {k!r})" for a, f, k in fields)
        comma = "," if len(fields) == 1 else ""
        lines.append(f"    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = ({spec}{comma})")
    lines += [
        "",
        "",
        "EVENTS: dict[tuple[str, str], type[Event]] = {",
        *[f'    ("{owner}", "{name}"): {cls},' for cls, name, owners, _ in events for owner in owners],
        "}",
        '"""The record of each (contract, event name)."""',
        "",
    ]
    text = "\n".join(lines).replace("'", '"')
    # ruff's layout, so the file passes `ruff format --check` as written
    ruff = Path(sys.executable).parent / "ruff"
    done = subprocess.run(
        [str(ruff), "format", "--stdin-filename", str(TARGET)], input=text, capture_output=True, text=True, check=True
    )
    return done.stdout


def write(contracts: list[str]) -> None:
    TARGET.write_text(render(contracts))


def stale(contracts: list[str]) -> bool:
    return not TARGET.exists() or TARGET.read_text() != render(contracts)
