"""The Python enums equal the Solidity ones, member for member and in order: a value read from the
chain means the same thing on both sides."""

from __future__ import annotations

import re
from enum import IntEnum
from pathlib import Path

import pytest

from ledger import CasePhase, JobStatus, Mode, SlashReason

SOURCES = Path(__file__).resolve().parents[2] / "contracts" / "src"


def solidity_enum(source: str, name: str) -> list[str]:
    """The members of ``enum name { ... }`` in a Solidity source, comments dropped."""
    text = re.sub(r"//[^\n]*|/\*.*?\*/", "", source, flags=re.S)
    match = re.search(rf"\benum\s+{name}\s*\{{([^}}]*)\}}", text)
    assert match, f"no enum {name}"
    return [member.strip() for member in match.group(1).split(",") if member.strip()]


def python_names(enum: type[IntEnum]) -> list[str]:
    """Members in value order, spelled as Solidity spells them (WRONG_RESULT -> WrongResult)."""
    members = sorted(enum, key=int)
    assert [int(m) for m in members] == list(range(len(members))), "values must be 0, 1, 2, ..."
    return ["".join(part.capitalize() for part in m.name.split("_")) for m in members]


@pytest.mark.parametrize(
    "enum,source,name",
    [
        (Mode, "interfaces/IJobMarket.sol", "Mode"),
        (JobStatus, "interfaces/IJobMarket.sol", "JobStatus"),
        (SlashReason, "interfaces/IStakeManager.sol", "SlashReason"),
        (CasePhase, "interfaces/ICourt.sol", "Phase"),
    ],
)
def test_python_enum_equals_solidity(enum: type[IntEnum], source: str, name: str) -> None:
    solidity = solidity_enum((SOURCES / source).read_text(), name)
    assert [m.lower() for m in python_names(enum)] == [m.lower() for m in solidity]


def test_the_parser_reads_what_it_must() -> None:
    source = "enum Colour {\n  Red, // warm\n  /* cool */ Blue,\n  DeepGreen\n}"
    assert solidity_enum(source, "Colour") == ["Red", "Blue", "DeepGreen"]
