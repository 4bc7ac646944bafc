"""Sizes as the store's and worker's options take them (--max-size, --max-blob, --quota)."""

from __future__ import annotations

import pytest

from cli._common import parse_size


@pytest.mark.parametrize(
    "text,size",
    [
        ("0", 0),
        ("1048576", 1048576),
        ("64MiB", 64 * 1024**2),
        ("64mib", 64 * 1024**2),
        ("1GB", 10**9),
        ("1.5GiB", 3 * 1024**3 // 2),
        ("500k", 500_000),
        (" 10 MB ", 10**7),
        ("2TiB", 2 * 1024**4),
    ],
)
def test_sizes_in_units(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "MiB", "-1", "1e9", "10 parsecs", "1.2.3"])
def test_what_is_not_a_size_says_so(text: str) -> None:
    with pytest.raises(ValueError, match="not a size"):
        parse_size(text)
