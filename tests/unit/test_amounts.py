"""Token amounts as people read and write them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import format_tokens, parse_tokens


@pytest.mark.parametrize("text,wei", [("1", 10**18), ("1.5", 15 * 10**17), (".25", 25 * 10**16), ("0", 0)])
def test_parse_tokens(text: str, wei: int) -> None:
    assert parse_tokens(text) == wei


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "-1", "1e18", "0." + "1" * 19])
def test_parse_tokens_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_tokens(text)


@given(st.integers(min_value=0, max_value=10**30))
def test_tokens_round_trip(wei: int) -> None:
    assert parse_tokens(format_tokens(wei)) == wei
