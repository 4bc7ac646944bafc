"""Workers' published terms (`ledger.WorkerTerms`): written and read back the same, and anything
else in a record read as unknown, never as an error."""

from __future__ import annotations

import pytest

from ledger import TERMS_KEYS, WorkerTerms, parse_terms
from ledger.terms import MAX_VALUE

AGR = 10**18


def test_terms_read_back_what_they_write() -> None:
    terms = WorkerTerms(min_price=25 * AGR // 10, max_fuel=10**11, max_blob=1 << 26, capacity=4, regions=("eu", "ch"))
    records = terms.records()
    assert records == {
        "agora.minPrice": "2.5",
        "agora.maxFuel": "100000000000",
        "agora.maxBlob": "67108864",
        "agora.capacity": "4",
        "agora.regions": "eu,ch",
    }
    assert set(records) == set(TERMS_KEYS)
    assert parse_terms(records) == terms and terms.published
    assert WorkerTerms().records() == {} and not parse_terms({}).published


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("agora.minPrice", "-1"),
        ("agora.minPrice", "1e3"),
        ("agora.minPrice", "0x10"),
        ("agora.minPrice", "1.0000000000000000001"),  # 19 decimals
        ("agora.minPrice", "99999999999999999999999999999"),  # above a uint96 price
        ("agora.minPrice", "1" * (MAX_VALUE + 1)),
        ("agora.maxFuel", "18446744073709551616"),  # 2^64
        ("agora.maxFuel", "lots"),
        ("agora.maxBlob", " "),
        ("agora.capacity", "0"),
        ("agora.capacity", "1_000"),
        ("agora.capacity", "٣"),  # a digit, but not an ASCII one
        ("agora.regions", "eu,,ch"),
        ("agora.regions", "eu,atlantis"),
        ("agora.regions", ",".join(["eu"] * 40)),
    ],
)
def test_a_malformed_or_oversized_record_is_unknown(key: str, value: str) -> None:
    terms = parse_terms({key: value, "agora.capacity" if key != "agora.capacity" else "agora.maxFuel": "3"})
    field = {
        "agora.minPrice": "min_price",
        "agora.maxFuel": "max_fuel",
        "agora.maxBlob": "max_blob",
        "agora.capacity": "capacity",
        "agora.regions": "regions",
    }[key]
    assert getattr(terms, field) is None
    assert terms.published  # the other, well-formed record still counts


def test_values_are_trimmed_and_regions_deduplicated() -> None:
    terms = parse_terms({"agora.minPrice": " 0.5 ", "agora.regions": "eu,eu,us", "agora.capacity": None})
    assert (terms.min_price, terms.regions, terms.capacity) == (AGR // 2, ("eu", "us"), None)
