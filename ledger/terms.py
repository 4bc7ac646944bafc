"""A worker's terms: what it publishes in its name's text records, so anyone can tell whether it
would take a job without asking it (docs/worker.md, docs/api.md).

The worker daemon writes them when it starts (only the records whose value changed); the API
reads them for quotes and explanations. Anyone can write anything into their own records, so
`parse_terms` is strict and bounded: a record that is missing, longer than `MAX_VALUE`
characters, or not what its key says, is unknown (None), never an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields

from .amounts import format_tokens, parse_tokens
from .regions import REGIONS

MIN_PRICE = "agora.minPrice"
"""The least it takes per job, in decimal AGR ("2", "0.5")."""
MAX_FUEL = "agora.maxFuel"
"""The largest fuel limit it runs (an integer)."""
MAX_BLOB = "agora.maxBlob"
"""The largest program or input it fetches, in bytes (an integer)."""
CAPACITY = "agora.capacity"
"""How many jobs it executes at once (an integer)."""
REGIONS_KEY = "agora.regions"
"""Its regions, comma-separated codes (`ledger.REGIONS`); informative: the market checks the
region declared with the stake."""
TERMS_KEYS: tuple[str, ...] = (MIN_PRICE, MAX_FUEL, MAX_BLOB, CAPACITY, REGIONS_KEY)
"""Every terms record, in the order they are read."""

MAX_VALUE = 128
"""Characters a terms value may have; a longer one is unknown."""
MAX_PRICE = 2**96 - 1  # a request's prices are uint96
MAX_FUEL_LIMIT = 2**64 - 1  # a request's fuel limit is uint64
MAX_BLOB_BYTES = 2**53
MAX_CAPACITY = 10_000
_INTEGER = re.compile(r"[0-9]{1,20}")
_PRICE = re.compile(r"[0-9]{1,29}(\.[0-9]{1,18})?")
_CODES = re.compile(r"[a-z]{2,6}(,[a-z]{2,6}){0,31}")


@dataclass(frozen=True)
class WorkerTerms:
    """What a worker takes; None where it published nothing usable."""

    min_price: int | None = None
    """Wei."""
    max_fuel: int | None = None
    max_blob: int | None = None
    """Bytes."""
    capacity: int | None = None
    regions: tuple[str, ...] | None = None

    @property
    def published(self) -> bool:
        """Whether any term is known."""
        return any(getattr(self, f.name) is not None for f in fields(self))

    def records(self) -> dict[str, str]:
        """The text records that say these terms (the unknown ones left out)."""
        out: dict[str, str] = {}
        if self.min_price is not None:
            out[MIN_PRICE] = format_tokens(self.min_price)
        if self.max_fuel is not None:
            out[MAX_FUEL] = str(self.max_fuel)
        if self.max_blob is not None:
            out[MAX_BLOB] = str(self.max_blob)
        if self.capacity is not None:
            out[CAPACITY] = str(self.capacity)
        if self.regions is not None:
            out[REGIONS_KEY] = ",".join(self.regions)
        return out


def _integer(value: str, least: int, most: int) -> int | None:
    if not _INTEGER.fullmatch(value):
        return None
    number = int(value)
    return number if least <= number <= most else None


def _price(value: str) -> int | None:
    if not _PRICE.fullmatch(value):
        return None
    wei = parse_tokens(value)
    return wei if wei <= MAX_PRICE else None


def _regions(value: str) -> tuple[str, ...] | None:
    if not _CODES.fullmatch(value):
        return None
    codes = tuple(dict.fromkeys(value.split(",")))
    return codes if all(code in REGIONS for code in codes) else None


def parse_terms(records: Mapping[str, str | None]) -> WorkerTerms:
    """The terms these text records say; each record missing, too long or malformed is unknown."""

    def value(key: str) -> str | None:
        raw = records.get(key)
        if not isinstance(raw, str) or len(raw) > MAX_VALUE:
            return None
        return raw.strip() or None

    price, fuel, blob, capacity, regions = (value(key) for key in TERMS_KEYS)
    return WorkerTerms(
        min_price=None if price is None else _price(price),
        max_fuel=None if fuel is None else _integer(fuel, 0, MAX_FUEL_LIMIT),
        max_blob=None if blob is None else _integer(blob, 0, MAX_BLOB_BYTES),
        capacity=None if capacity is None else _integer(capacity, 1, MAX_CAPACITY),
        regions=None if regions is None else _regions(regions),
    )
