"""Reed-Solomon erasure coding (pyeclib, ISA-L Cauchy backend) of one segment into k+m shards.

Shards come from nodes and manifests that may lie. liberasurecode trusts the 80-byte header in
front of every fragment (sizes, index, backend): a crafted header with a valid checksum makes it
read and write out of bounds. So no header from outside reaches it: every shard's header must be,
byte for byte, the one our encoder writes for that index, segment size and code (`header`), and
anything else is refused as a corrupt shard before the C library sees it.
"""

from __future__ import annotations

import struct
import zlib
from functools import cache
from importlib.metadata import version

from pyeclib.ec_iface import ECDriver

from .errors import CorruptShard, StoreError

EC_TYPE = "isa_l_rs_cauchy"
PYECLIB_VERSION = version("pyeclib")
FRAGMENT_HEADER = 80
"""Bytes of liberasurecode's header in front of every fragment (``sizeof(fragment_header_t)``)."""
MAX_SHARDS = 32
# liberasurecode's fragment_header_t (packed, little-endian): the metadata (59 bytes: index,
# payload size, backend metadata size, original data size, checksum type, 8 checksum words,
# checksum mismatch flag, backend id, backend version), magic, library version, a CRC-32 of the
# metadata, 9 bytes of padding.
_FIELDS = struct.Struct("<IIIQ")
_META = 59
_CRC = slice(67, 71)


@cache
def _driver(k: int, m: int) -> ECDriver:
    return ECDriver(k=k, m=m, ec_type=EC_TYPE)


def check_params(k: int, m: int) -> None:
    """Raises `StoreError` unless 1 <= k, 1 <= m and k + m <= 32."""
    if k < 1 or m < 1 or k + m > MAX_SHARDS:
        raise StoreError(f"unsupported erasure code k={k}, m={m}: need k >= 1, m >= 1, k + m <= {MAX_SHARDS}")


def shard_size(segment: int, k: int) -> int:
    """The exact size of each shard of a ``segment``-byte segment coded with ``k`` data shards.

    ISA-L's word size is one byte, so liberasurecode pads the segment to a multiple of k and
    splits it: ceil(segment / k) payload bytes behind the fragment header (checked against real
    encodes of every size in tests/unit/test_store_codec.py).
    """
    return FRAGMENT_HEADER + -(-segment // k)


@cache
def _template() -> bytes:
    """A header our encoder wrote: its constant fields (checksum type, backend id and version,
    magic, library version, padding) are those of every fragment this pyeclib writes."""
    return bytes(_driver(1, 1).encode(b"")[0][:FRAGMENT_HEADER])


def header(index: int, segment: int, k: int) -> bytes:
    """The header our encoder writes on shard ``index`` of a ``segment``-byte segment (k data shards)."""
    template = _template()
    meta = _FIELDS.pack(index, -(-segment // k), 0, segment) + template[_FIELDS.size : _META]
    return meta + template[_META : _CRC.start] + struct.pack("<I", zlib.crc32(meta)) + template[_CRC.stop :]


def check_shard(shard: bytes, index: int, segment: int, k: int) -> None:
    """Raises `CorruptShard` unless ``shard`` is the right size for shard ``index`` of a
    ``segment``-byte segment and carries exactly the header our encoder writes for it."""
    if len(shard) != shard_size(segment, k):
        raise CorruptShard(f"shard {index} has {len(shard)} bytes, not {shard_size(segment, k)}")
    if shard[:FRAGMENT_HEADER] != header(index, segment, k):
        raise CorruptShard(f"shard {index}'s fragment header is not the one the manifest implies")


def encode(segment: bytes, k: int, m: int) -> list[bytes]:
    """The k data and m parity shards of ``segment`` (each carries pyeclib's fragment header)."""
    check_params(k, m)
    return list(_driver(k, m).encode(segment))


def decode(shards: dict[int, bytes], k: int, m: int, segment: int) -> bytes:
    """The ``segment``-byte segment from any k of its shards, by index (`decode_pieces`, joined).

    Raises:
        CorruptShard: when a shard's size or header is not what the manifest implies.
        StoreError: when there are fewer than k shards, or decoding fails.
    """
    return b"".join(decode_pieces(shards, k, m, segment))  # one bytes piece is returned as it is


def decode_pieces(shards: dict[int, bytes], k: int, m: int, segment: int) -> list[bytes | memoryview]:
    """The ``segment``-byte segment from any k of its shards, as pieces in order: views of the k
    data shards' payloads when those all came (the code is systematic), else one decoded piece.
    A caller copying the segment somewhere (a file, a blob being gathered) copies it once.

    Every shard is checked (`check_shard`) before the C library sees it.

    Raises:
        CorruptShard: when a shard's size or header is not what the manifest implies.
        StoreError: when there are fewer than k shards, or decoding fails.
    """
    check_params(k, m)
    if len(shards) < k:
        raise StoreError(f"decoding needs {k} shards, got {len(shards)}")
    chosen = sorted(i for i in shards if 0 <= i < k + m)[:k]
    if len(chosen) < k:
        raise StoreError(f"decoding needs {k} shards with indexes below {k + m}")
    for i in chosen:
        check_shard(shards[i], i, segment, k)
    if chosen == list(range(k)):
        # Data shard i holds bytes [i*L, (i+1)*L) of the segment behind the header just checked.
        size = -(-segment // k)
        ends = [(i, min(size, segment - i * size)) for i in chosen]
        return [memoryview(shards[i])[FRAGMENT_HEADER : FRAGMENT_HEADER + end] for i, end in ends if end > 0]
    try:
        data = bytes(_driver(k, m).decode([shards[i] for i in chosen]))
    except Exception as exc:  # noqa: BLE001 - pyeclib raises its own ECDriverError family
        raise StoreError(f"the erasure code could not decode the segment ({type(exc).__name__})") from None
    if len(data) != segment:
        raise StoreError(f"decoding gave {len(data)} bytes, not the segment's {segment}")
    return [data]
