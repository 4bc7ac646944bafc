"""Region codes: the 32 jurisdictions a worker can declare and a job can allow.

On chain a region is a number 0..31 (`StakeManager.regionOf`) and a job's allowed regions are a
32-bit mask (0 = anywhere). Store nodes and the CLI use the codes below; the table is append-only
so a code keeps its number.
"""

from __future__ import annotations

from collections.abc import Iterable

REGIONS: tuple[str, ...] = (
    "global",
    "eu",
    "us",
    "ch",
    "uk",
    "ca",
    "jp",
    "sg",
    "au",
    "br",
    "in",
    "kr",
    "de",
    "fr",
    "nl",
    "se",
    "no",
    "fi",
    "dk",
    "es",
    "it",
    "pl",
    "ie",
    "at",
    "be",
    "za",
    "ae",
    "hk",
    "tw",
    "mx",
    "cl",
    "nz",
)
assert len(REGIONS) == 32 and len(set(REGIONS)) == 32


def region_index(code: str | int) -> int:
    """The on-chain number of a region code ('eu' -> 1); a number 0..31 is taken as it is."""
    if isinstance(code, int) or (isinstance(code, str) and code.isdigit()):
        index = int(code)
        if not 0 <= index < len(REGIONS):
            raise ValueError(f"region numbers are 0..{len(REGIONS) - 1}, not {index}")
        return index
    try:
        return REGIONS.index(code.strip().lower())
    except ValueError:
        raise ValueError(f"unknown region {code!r}: one of {', '.join(REGIONS)}") from None


def region_code(index: int) -> str:
    """The code of an on-chain region number (1 -> 'eu')."""
    if not 0 <= index < len(REGIONS):
        raise ValueError(f"region numbers are 0..{len(REGIONS) - 1}, not {index}")
    return REGIONS[index]


def regions_mask(codes: Iterable[str | int]) -> int:
    """The allowed-regions mask of a job (no codes: 0, anywhere)."""
    mask = 0
    for code in codes:
        mask |= 1 << region_index(code)
    return mask


def regions_in(mask: int) -> list[str]:
    """The codes a mask allows (0 allows anywhere: an empty list)."""
    if not 0 <= mask < 2 ** len(REGIONS):
        raise ValueError(f"a regions mask has {len(REGIONS)} bits, not {mask:#x}")
    return [code for i, code in enumerate(REGIONS) if mask >> i & 1]
