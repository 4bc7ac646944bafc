"""JSON-RPC 2.0 as the chain server speaks it: error codes, the error type, and parameter parsing.

Everything here turns untrusted JSON values into checked Python values or an `RPCError`.
"""

from __future__ import annotations

import math
from typing import Any

import orjson
from eth_utils import keccak

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000
LIMIT_EXCEEDED = -32005  # EIP-1474
EXECUTION_REVERTED = 3
MAX_QUANTITY_DIGITS = 64  # uint256


class RPCError(Exception):
    """Raised by a method to answer with a JSON-RPC error object."""

    def __init__(self, code: int, message: str, data: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            err["data"] = self.data
        return err


def limit_error(what: str, setting: str) -> RPCError:
    return RPCError(LIMIT_EXCEEDED, f"{what} (AGORA_{setting.upper()})")


def invalid(message: str) -> RPCError:
    return RPCError(INVALID_PARAMS, message)


def hex_bytes(value: Any, what: str, *, size: int | None = None) -> bytes:
    if not isinstance(value, str) or not value.startswith(("0x", "0X")):
        raise invalid(f"{what}: expected 0x-prefixed hex, got {short(value)}")
    try:
        raw = bytes.fromhex(value[2:] if len(value) % 2 == 0 else "0" + value[2:])
    except ValueError:
        raise invalid(f"{what}: invalid hex {short(value)}") from None
    if size is not None and len(raw) != size:
        raise invalid(f"{what}: expected {size} bytes, got {len(raw)}")
    return raw


def quantity(value: Any, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if not isinstance(value, str) or not value.startswith(("0x", "0X")):
        raise invalid(f"{what}: expected a hex quantity, got {short(value)}")
    if len(value) > 2 + MAX_QUANTITY_DIGITS:
        raise invalid(f"{what}: a quantity has at most 256 bits")
    try:
        return int(value, 16)
    except ValueError:
        raise invalid(f"{what}: invalid hex quantity {short(value)}") from None


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


CALL_FIELDS = {
    "from": ("from", lambda v: hex_bytes(v, "from", size=20)),
    "to": ("to", lambda v: b"" if v is None else hex_bytes(v, "to", size=20)),
    "gas": ("gas", lambda v: quantity(v, "gas")),
    "gasPrice": ("gas_price", lambda v: quantity(v, "gasPrice")),
    "maxFeePerGas": ("max_fee_per_gas", lambda v: quantity(v, "maxFeePerGas")),
    "maxPriorityFeePerGas": ("max_priority_fee_per_gas", lambda v: quantity(v, "maxPriorityFeePerGas")),
    "value": ("value", lambda v: quantity(v, "value")),
    "nonce": ("nonce", lambda v: quantity(v, "nonce")),
    "data": ("data", lambda v: hex_bytes(v, "data")),
    "input": ("data", lambda v: hex_bytes(v, "input")),
}
IGNORED_CALL_FIELDS = {"chainId", "type", "accessList"}


def call_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid("expected a transaction object")
    out: dict[str, Any] = {}
    for key, raw in value.items():
        if key in IGNORED_CALL_FIELDS or raw is None and key != "to":
            continue
        if key not in CALL_FIELDS:
            raise invalid(f"unknown transaction field {short(key)}")
        name, parse = CALL_FIELDS[key]
        out[name] = parse(raw)
    if "gas_price" in out and ("max_fee_per_gas" in out or "max_priority_fee_per_gas" in out):
        raise invalid("gasPrice cannot be combined with maxFeePerGas or maxPriorityFeePerGas")
    if out.get("max_priority_fee_per_gas", 0) > out.get("max_fee_per_gas", 2**256):
        raise invalid("maxPriorityFeePerGas is above maxFeePerGas")
    return out


def valid_id(rid: Any) -> bool:
    """JSON-RPC 2.0 ids: a string, a number or null (a finite number: JSON has no other)."""
    if rid is None or isinstance(rid, str):
        return True
    if isinstance(rid, bool):
        return False
    return isinstance(rid, int) or isinstance(rid, float) and math.isfinite(rid)


def dump(value: Any) -> bytes:
    return orjson.dumps(value)


def id_of(request: Any) -> Any:
    rid = request.get("id") if isinstance(request, dict) else None
    return rid if valid_id(rid) else None


def error_response(rid: Any, error: RPCError) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": rid, "error": error.to_json()}


MAX_FILTER_OPTIONS = 256
"""Addresses, and alternatives per topic position, one log filter may list."""


def address_filter(value: Any) -> set[bytes] | None:
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    if len(values) > MAX_FILTER_OPTIONS:
        raise invalid(f"address: at most {MAX_FILTER_OPTIONS} addresses")
    return {hex_bytes(v, "address", size=20) for v in values}


def topic_filter(value: Any) -> list[set[bytes] | None]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 4:
        raise invalid("topics must be an array of at most 4 entries")
    out: list[set[bytes] | None] = []
    for entry in value:
        if entry is None:
            out.append(None)
        else:
            options = entry if isinstance(entry, list) else [entry]
            if len(options) > MAX_FILTER_OPTIONS:
                raise invalid(f"topics: at most {MAX_FILTER_OPTIONS} alternatives per position")
            out.append({hex_bytes(t, "topic", size=32) for t in options} or None)
    return out


def bloom_mask(value: bytes) -> int:
    """The three bits ``value`` sets in a log bloom (the Yellow Paper's M3:2048), as one integer."""
    h = keccak(value)
    return (
        (1 << (((h[0] << 8) | h[1]) & 2047))
        | (1 << (((h[2] << 8) | h[3]) & 2047))
        | (1 << (((h[4] << 8) | h[5]) & 2047))
    )


def bloom_may_match(bloom: int, addresses: list[int], topics: list[list[int] | None]) -> bool:
    if addresses and not any(bloom & m == m for m in addresses):
        return False
    return all(options is None or any(bloom & m == m for m in options) for options in topics)


def log_matches(entry: Any, addresses: set[bytes] | None, topics: list[set[bytes] | None]) -> bool:
    if addresses is not None and entry.address not in addresses:
        return False
    if len(topics) > len(entry.topics):
        return all(options is None for options in topics[len(entry.topics) :]) and log_matches(
            entry, addresses, topics[: len(entry.topics)]
        )
    return all(options is None or entry.topics[i].to_bytes(32, "big") in options for i, options in enumerate(topics))
