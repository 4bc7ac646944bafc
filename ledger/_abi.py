"""keccak, EIP-55 addresses and the ABI encoding of static values, light to import.

eth-abi and eth-utils take ~0.25 s to import (pydantic, parsimonious's grammar, eth-hash
reading package metadata); a command that only signs a request needs none of that. What the
requests, commitments and names hash is a row of 32-byte words, which `encode_static` writes
as eth-abi's ``encode`` does, refusing what it refuses (tests/unit/test_ledger_keys.py compares
them on random values).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sha3 import keccak_256  # safe-pysha3: what ledger._evm gives eth-hash (docs/toolchain.md)


def keccak(data: bytes) -> bytes:
    return bytes(keccak_256(data).digest())


def checksum_address(address: bytes) -> str:
    """The EIP-55 form of a 20-byte address."""
    if len(address) != 20:
        raise ValueError(f"an address is 20 bytes, not {len(address)}")
    hexed = address.hex()
    hashed = keccak(hexed.encode()).hex()
    return "0x" + "".join(ch.upper() if int(hashed[i], 16) >= 8 else ch for i, ch in enumerate(hexed))


def address_bytes(value: str | bytes) -> bytes:
    """The 20 bytes of an address given as bytes or as 0x-hex (letter case unchecked, as eth-abi)."""
    if isinstance(value, bytes | bytearray):
        raw = bytes(value)
    elif isinstance(value, str) and len(value) == 42 and value[:2] in ("0x", "0X"):
        try:
            raw = bytes.fromhex(value[2:])
        except ValueError:
            raise ValueError(f"not an address: {value!r}") from None
    else:
        raise ValueError(f"not an address: {value!r}")
    if len(raw) != 20:
        raise ValueError(f"an address is 20 bytes, not {len(raw)}")
    return raw


def encode_static(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """``abi.encode`` of ``address``, ``bytes32``, ``bool`` and ``uintN`` values: one word each."""
    if len(types) != len(values):
        raise ValueError(f"{len(types)} types for {len(values)} values")
    return b"".join(_word(kind, value) for kind, value in zip(types, values, strict=True))


def _word(kind: str, value: Any) -> bytes:
    if kind == "address":
        return bytes(12) + address_bytes(value)
    if kind == "bytes32":
        if not isinstance(value, bytes | bytearray) or len(value) > 32:
            raise ValueError(f"bytes32 takes at most 32 bytes, not {value!r}")
        return bytes(value).ljust(32, b"\0")
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"bool takes True or False, not {value!r}")
        return int(value).to_bytes(32, "big")
    if kind.startswith("uint") and kind[4:].isdigit():
        bits = int(kind[4:])
        if not 8 <= bits <= 256 or bits % 8:
            raise ValueError(f"not an ABI type: {kind}")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << bits:
            raise ValueError(f"{kind} takes an integer from 0 to 2**{bits} - 1, not {value!r}")
        return value.to_bytes(32, "big")
    raise ValueError(f"not a static ABI type this encoder writes: {kind}")
