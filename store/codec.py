"""Reed-Solomon erasure coding (pyeclib, ISA-L Cauchy backend) of one segment into k+m shards."""

from __future__ import annotations

from functools import cache
from importlib.metadata import version

from pyeclib.ec_iface import ECDriver

from .errors import StoreError

EC_TYPE = "isa_l_rs_cauchy"
PYECLIB_VERSION = version("pyeclib")
FRAGMENT_HEADER = 80
"""Bytes of liberasurecode's header in front of every fragment (``sizeof(fragment_header_t)``)."""
MAX_SHARDS = 32


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


def encode(segment: bytes, k: int, m: int) -> list[bytes]:
    """The k data and m parity shards of ``segment`` (each carries pyeclib's fragment header)."""
    check_params(k, m)
    return list(_driver(k, m).encode(segment))


def decode(shards: dict[int, bytes], k: int, m: int) -> bytes:
    """The segment from any k of its shards, by index."""
    if len(shards) < k:
        raise StoreError(f"decoding needs {k} shards, got {len(shards)}")
    chosen = [shards[i] for i in sorted(shards)[:k]]
    return bytes(_driver(k, m).decode(chosen))
