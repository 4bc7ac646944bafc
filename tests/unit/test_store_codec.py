"""The shard size a reader expects, checked against real encodes: every small segment size for
many codes, the default segment sizes and their neighbours, the last short segment, 0 bytes."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store import codec, shard_size

CODES = [(1, 1), (2, 1), (3, 1), (4, 2), (5, 3), (6, 3), (7, 2), (8, 4), (10, 4), (16, 16), (31, 1)]
MIB = 1024 * 1024


@pytest.mark.parametrize("km", CODES)
def test_every_segment_size_up_to_2_kib(km: tuple[int, int]) -> None:
    k, m = km
    data = os.urandom(2048)
    for size in range(0, 2049):
        shards = codec.encode(data[:size], k, m)
        assert {len(s) for s in shards} == {shard_size(size, k)}, (size, k, m)


@pytest.mark.parametrize("km", [(1, 1), (2, 1), (4, 2), (10, 4), (31, 1)])
@pytest.mark.parametrize("segment", [64 * 1024, MIB, 4 * MIB])
def test_default_segment_sizes_and_their_neighbours(km: tuple[int, int], segment: int) -> None:
    k, m = km
    data = os.urandom(segment + 64)
    for size in (segment - 63, segment - 1, segment, segment + 1, segment + 63):
        assert {len(s) for s in codec.encode(data[:size], k, m)} == {shard_size(size, k)}, (size, k)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=1, max_value=3 * MIB),
    st.integers(min_value=1, max_value=1 * MIB),
    st.sampled_from(CODES),
)
def test_a_blob_split_into_segments_every_shard_has_its_expected_size(
    size: int, segment: int, km: tuple[int, int]
) -> None:
    """What the client does: full segments, then the last short one."""
    k, m = km
    data = os.urandom(size)
    pieces = [data[i : i + segment] for i in range(0, size, segment)]
    assert pieces and len(pieces[-1]) <= segment
    for piece in pieces[:1] + pieces[-1:]:
        assert {len(s) for s in codec.encode(piece, k, m)} == {shard_size(len(piece), k)}


def test_an_empty_blob_is_one_empty_segment_of_header_only_shards() -> None:
    assert [len(s) for s in codec.encode(b"", 4, 2)] == [codec.FRAGMENT_HEADER] * 6 == [shard_size(0, 4)] * 6


@pytest.mark.parametrize("km", [(1, 1), (3, 1), (4, 2), (10, 4)])
def test_decoding_from_the_data_shards_gives_what_the_library_decodes(km: tuple[int, int]) -> None:
    """The data shards alone are decoded by joining their payloads; with a parity shard among
    them, by liberasurecode: both give the segment, for every size up to 600 bytes and around 4 MiB."""
    k, m = km
    data = os.urandom(4 * MIB + 64)
    for size in [*range(0, 600), 4 * MIB - 1, 4 * MIB, 4 * MIB + 63]:
        shards = codec.encode(data[:size], k, m)
        assert codec.decode(dict(enumerate(shards)), k, m, size) == data[:size], (size, k)
        with_parity = {i: s for i, s in enumerate(shards) if i != 0}
        assert codec.decode(with_parity, k, m, size) == data[:size], (size, k)


def test_a_data_shard_with_a_wrong_header_is_refused_before_it_is_joined() -> None:
    shards = codec.encode(os.urandom(1000), 4, 2)
    forged = bytes(codec.header(1, 999, 4)) + shards[0][codec.FRAGMENT_HEADER :]
    with pytest.raises(codec.CorruptShard):
        codec.decode({0: forged, 1: shards[1], 2: shards[2], 3: shards[3]}, 4, 2, 1000)
