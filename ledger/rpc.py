"""Ethereum JSON-RPC 2.0 over the embedded chain: the method table and request handling.

The same `Dispatcher` answers in-process (`EmbeddedProvider`) and over HTTP (`agora chain
serve`), so both paths behave identically by construction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import rlp
from eth.abc import BlockHeaderAPI
from eth_bloom import BloomFilter
from eth_utils import ValidationError as EVMValidationError
from eth_utils import keccak

from . import _format as fmt
from ._embedded import EmbeddedChain, Reverted

log = logging.getLogger(__name__)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000
EXECUTION_REVERTED = 3
MAX_BATCH = 1000
MAX_LOG_RANGE = 1_000_000


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


def _invalid(message: str) -> RPCError:
    return RPCError(INVALID_PARAMS, message)


def _hex_bytes(value: Any, what: str, *, size: int | None = None) -> bytes:
    if not isinstance(value, str) or not value.startswith(("0x", "0X")):
        raise _invalid(f"{what}: expected 0x-prefixed hex, got {value!r}")
    try:
        raw = bytes.fromhex(value[2:] if len(value) % 2 == 0 else "0" + value[2:])
    except ValueError:
        raise _invalid(f"{what}: invalid hex {value!r}") from None
    if size is not None and len(raw) != size:
        raise _invalid(f"{what}: expected {size} bytes, got {len(raw)}")
    return raw


def _quantity(value: Any, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if not isinstance(value, str) or not value.startswith(("0x", "0X")):
        raise _invalid(f"{what}: expected a hex quantity, got {value!r}")
    try:
        return int(value, 16)
    except ValueError:
        raise _invalid(f"{what}: invalid hex quantity {value!r}") from None


_CALL_FIELDS = {
    "from": ("from", lambda v: _hex_bytes(v, "from", size=20)),
    "to": ("to", lambda v: b"" if v is None else _hex_bytes(v, "to", size=20)),
    "gas": ("gas", lambda v: _quantity(v, "gas")),
    "gasPrice": ("gas_price", lambda v: _quantity(v, "gasPrice")),
    "maxFeePerGas": ("max_fee_per_gas", lambda v: _quantity(v, "maxFeePerGas")),
    "maxPriorityFeePerGas": ("max_priority_fee_per_gas", lambda v: _quantity(v, "maxPriorityFeePerGas")),
    "value": ("value", lambda v: _quantity(v, "value")),
    "nonce": ("nonce", lambda v: _quantity(v, "nonce")),
    "data": ("data", lambda v: _hex_bytes(v, "data")),
    "input": ("data", lambda v: _hex_bytes(v, "input")),
}
_IGNORED_CALL_FIELDS = {"chainId", "type", "accessList"}


def _call_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _invalid("expected a transaction object")
    out: dict[str, Any] = {}
    for key, raw in value.items():
        if key in _IGNORED_CALL_FIELDS or raw is None and key != "to":
            continue
        if key not in _CALL_FIELDS:
            raise _invalid(f"unknown transaction field {key!r}")
        name, parse = _CALL_FIELDS[key]
        out[name] = parse(raw)
    return out


class Dispatcher:
    """Answers JSON-RPC requests against one `EmbeddedChain`."""

    def __init__(self, chain: EmbeddedChain) -> None:
        self.chain = chain
        self.client_version = f"agora-embedded/{version('py-evm')}/python"
        self._methods: dict[str, Callable[..., Any]] = {
            name.removeprefix("rpc_"): getattr(self, name) for name in dir(self) if name.startswith("rpc_")
        }

    # -- request handling -------------------------------------------------------------------
    def handle_raw(self, body: bytes) -> bytes | None:
        """Answers an HTTP body: one request or a batch; None when nothing is to be sent back."""
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            return json.dumps(_error_response(None, RPCError(PARSE_ERROR, f"parse error: {exc}"))).encode()
        response = self.handle_payload(payload)
        return None if response is None else json.dumps(response).encode()

    def handle_payload(self, payload: Any) -> Any:
        if isinstance(payload, list):
            if not payload:
                return _error_response(None, RPCError(INVALID_REQUEST, "empty batch"))
            if len(payload) > MAX_BATCH:
                return _error_response(None, RPCError(INVALID_REQUEST, f"batch larger than {MAX_BATCH}"))
            answers = [self.handle_one(item) for item in payload]
            return [a for a in answers if a is not None] or None
        return self.handle_one(payload)

    def handle_one(self, request: Any) -> dict[str, Any] | None:
        if (
            not isinstance(request, dict)
            or request.get("jsonrpc") != "2.0"
            or not isinstance(request.get("method"), str)
        ):
            rid = request.get("id") if isinstance(request, dict) else None
            return _error_response(rid, RPCError(INVALID_REQUEST, "invalid request: expected a JSON-RPC 2.0 object"))
        rid = request.get("id")
        try:
            result = self.call(request["method"], request.get("params", []))
        except RPCError as exc:
            return _error_response(rid, exc)
        if "id" not in request:
            return None  # a notification
        return {"jsonrpc": "2.0", "id": rid, "result": result}

    def call(self, method: str, params: Any) -> Any:
        """Runs one method; raises `RPCError`."""
        handler = self._methods.get(method)
        if handler is None:
            raise RPCError(METHOD_NOT_FOUND, f"the method {method} does not exist/is not available")
        if params is None:
            params = []
        if not isinstance(params, list):
            raise _invalid("params must be an array")
        try:
            with self.chain.locked():
                return handler(*params)
        except RPCError:
            raise
        except TypeError as exc:
            raise _invalid(f"wrong number of params for {method}: {exc}") from None
        except Reverted as exc:
            raise RPCError(EXECUTION_REVERTED, _revert_message(exc), fmt.data(exc.data)) from None
        except EVMValidationError as exc:
            raise RPCError(SERVER_ERROR, str(exc)) from None
        except Exception as exc:  # a bug: report it, keep serving
            log.exception("internal error in %s", method)
            raise RPCError(INTERNAL_ERROR, f"internal error: {type(exc).__name__}: {exc}") from None

    # -- block parameters -------------------------------------------------------------------
    def _block(self, tag: Any = "latest") -> BlockHeaderAPI:
        chain = self.chain
        if isinstance(tag, dict):
            if "blockHash" in tag:
                header = chain.header_by_hash(_hex_bytes(tag["blockHash"], "blockHash", size=32))
                if header is None:
                    raise RPCError(SERVER_ERROR, f"block {tag['blockHash']} not found")
                return header
            tag = tag.get("blockNumber", "latest")
        if tag in ("latest", "safe", "finalized", "pending", None):
            return chain.head()
        if tag == "earliest":
            return chain.header_at(0)
        number = _quantity(tag, "block")
        head = chain.head().block_number
        if number > head:
            raise RPCError(SERVER_ERROR, f"block {number} is beyond the head {head}")
        return chain.header_at(number)

    def _exec_block(self, tag: Any) -> BlockHeaderAPI | None:
        """The block a call runs in: None (the pending block, as anvil) unless an older one is named."""
        if tag in (None, "pending", "latest"):
            return None
        return self._block(tag)

    def _block_or_none(self, tag: Any) -> BlockHeaderAPI | None:
        try:
            return self._block(tag)
        except RPCError as exc:
            if exc.code == INVALID_PARAMS:
                raise
            return None

    # -- methods: node ----------------------------------------------------------------------
    def rpc_web3_clientVersion(self) -> str:
        return self.client_version

    def rpc_web3_sha3(self, value: str) -> str:
        return fmt.data(keccak(_hex_bytes(value, "data")))

    def rpc_net_version(self) -> str:
        return str(self.chain.chain_id)

    def rpc_net_listening(self) -> bool:
        return True

    def rpc_eth_chainId(self) -> str:
        return fmt.qty(self.chain.chain_id)

    def rpc_eth_syncing(self) -> bool:
        return False

    def rpc_eth_accounts(self) -> list[str]:
        return [k.public_key.to_checksum_address() for k in self.chain.dev_keys]

    def rpc_eth_blockNumber(self) -> str:
        return fmt.qty(self.chain.head().block_number)

    def rpc_eth_gasPrice(self) -> str:
        return fmt.qty(fmt.base_fee(self.chain.head()) + 10**9)

    def rpc_eth_maxPriorityFeePerGas(self) -> str:
        return fmt.qty(10**9)

    def rpc_eth_feeHistory(self, count: Any, newest: Any, percentiles: list[float] | None = None) -> dict[str, Any]:
        n = _quantity(count, "blockCount")
        if not 1 <= n <= 1024:
            raise _invalid("blockCount must be between 1 and 1024")
        last = self._block(newest).block_number
        first = max(0, last - n + 1)
        base_fees, ratios, rewards = [], [], []
        header = None
        for number in range(first, last + 1):
            header = self.chain.header_at(number)
            base_fees.append(fmt.qty(fmt.base_fee(header)))
            ratios.append(header.gas_used / header.gas_limit)
            if percentiles:
                tips = sorted(_tips(self.chain.block(header)))
                rewards.append([fmt.qty(_percentile(tips, p)) for p in percentiles])
        assert header is not None
        base_fees.append(fmt.qty(_next_base_fee(header)))
        out: dict[str, Any] = {"oldestBlock": fmt.qty(first), "baseFeePerGas": base_fees, "gasUsedRatio": ratios}
        if percentiles:
            out["reward"] = rewards
        return out

    # -- methods: state ---------------------------------------------------------------------
    def _state(self, tag: Any) -> Any:
        return self.chain.state_at(self._block(tag))

    def rpc_eth_getBalance(self, account: str, tag: Any = "latest") -> str:
        return fmt.qty(self._state(tag).get_balance(_hex_bytes(account, "address", size=20)))

    def rpc_eth_getCode(self, account: str, tag: Any = "latest") -> str:
        return fmt.data(self._state(tag).get_code(_hex_bytes(account, "address", size=20)))

    def rpc_eth_getTransactionCount(self, account: str, tag: Any = "latest") -> str:
        return fmt.qty(self._state(tag).get_nonce(_hex_bytes(account, "address", size=20)))

    def rpc_eth_getStorageAt(self, account: str, slot: Any, tag: Any = "latest") -> str:
        value = self._state(tag).get_storage(_hex_bytes(account, "address", size=20), _quantity(slot, "slot"))
        return fmt.data(value.to_bytes(32, "big"))

    def rpc_eth_call(self, tx: Any, tag: Any = "latest", overrides: Any = None) -> str:
        if overrides:
            raise _invalid("state overrides are not supported")
        return fmt.data(self.chain.call(_call_object(tx), self._exec_block(tag)))

    def rpc_eth_estimateGas(self, tx: Any, tag: Any = None) -> str:
        return fmt.qty(self.chain.estimate_gas(_call_object(tx), self._exec_block(tag)))

    # -- methods: transactions --------------------------------------------------------------
    def rpc_eth_sendRawTransaction(self, raw: str) -> str:
        payload = _hex_bytes(raw, "raw transaction")
        try:
            return fmt.data(self.chain.send_raw_transaction(payload))
        except (rlp.DecodingError, rlp.DeserializationError) as exc:
            raise _invalid(f"undecodable transaction: {exc}") from None

    def rpc_eth_sendTransaction(self, tx: Any) -> str:
        parsed = _call_object(tx)
        if "from" not in parsed:
            raise _invalid("from is required")
        if not self.chain.has_key(parsed["from"]):
            raise RPCError(SERVER_ERROR, f"no key for {tx['from']}: eth_sendTransaction signs only for eth_accounts")
        return fmt.data(self.chain.send_transaction(parsed))

    def rpc_eth_getTransactionByHash(self, tx_hash: str) -> dict[str, Any] | None:
        found = self.chain.transaction_location(_hex_bytes(tx_hash, "transaction hash", size=32))
        if found is None:
            return None
        block, index = found
        return fmt.transaction_json(block.transactions[index], block.header, index)

    def rpc_eth_getTransactionReceipt(self, tx_hash: str) -> dict[str, Any] | None:
        found = self.chain.transaction_location(_hex_bytes(tx_hash, "transaction hash", size=32))
        if found is None:
            return None
        block, index = found
        return fmt.receipt_json(block, self.chain.receipts(block), index)

    # -- methods: blocks and logs -----------------------------------------------------------
    def rpc_eth_getBlockByNumber(self, tag: Any, full: bool = False) -> dict[str, Any] | None:
        header = self._block_or_none(tag)
        return None if header is None else fmt.block_json(self.chain.block(header), full=bool(full))

    def rpc_eth_getBlockByHash(self, block_hash: str, full: bool = False) -> dict[str, Any] | None:
        header = self.chain.header_by_hash(_hex_bytes(block_hash, "block hash", size=32))
        return None if header is None else fmt.block_json(self.chain.block(header), full=bool(full))

    def rpc_eth_getBlockTransactionCountByNumber(self, tag: Any) -> str | None:
        header = self._block_or_none(tag)
        return None if header is None else fmt.qty(len(self.chain.block(header).transactions))

    def rpc_eth_getLogs(self, query: Any) -> list[dict[str, Any]]:
        if not isinstance(query, dict):
            raise _invalid("expected a filter object")
        addresses = _address_filter(query.get("address"))
        topics = _topic_filter(query.get("topics"))
        if "blockHash" in query:
            header = self.chain.header_by_hash(_hex_bytes(query["blockHash"], "blockHash", size=32))
            if header is None:
                raise RPCError(SERVER_ERROR, f"block {query['blockHash']} not found")
            first = last = header.block_number
        else:
            first = self._block(query.get("fromBlock", "latest")).block_number
            last = self._block(query.get("toBlock", "latest")).block_number
        if last - first > MAX_LOG_RANGE:
            raise _invalid(f"block range larger than {MAX_LOG_RANGE}")
        logs: list[dict[str, Any]] = []
        for number in range(first, last + 1):
            header = self.chain.header_at(number)
            if header.bloom and _bloom_may_match(header.bloom, addresses, topics):
                logs.extend(self._block_logs(header, addresses, topics))
        return logs

    def _block_logs(
        self, header: BlockHeaderAPI, addresses: set[bytes] | None, topics: list[set[bytes] | None]
    ) -> list[dict[str, Any]]:
        block = self.chain.block(header)
        out, log_index = [], 0
        for tx_index, receipt in enumerate(self.chain.receipts(block)):
            for entry in receipt.logs:
                if _log_matches(entry, addresses, topics):
                    out.append(
                        fmt.log_json(
                            entry,
                            header=header,
                            tx_hash=block.transactions[tx_index].hash,
                            tx_index=tx_index,
                            log_index=log_index,
                        )
                    )
                log_index += 1
        return out

    # -- methods: development controls -----------------------------------------------------
    def rpc_evm_snapshot(self) -> str:
        return fmt.qty(self.chain.snapshot())

    def rpc_evm_revert(self, snapshot_id: Any) -> bool:
        return self.chain.revert(_quantity(snapshot_id, "snapshot id"))

    def rpc_evm_increaseTime(self, seconds: Any) -> int:
        return self.chain.increase_time(_quantity(seconds, "seconds"))

    def rpc_evm_mine(self, *_: Any) -> str:
        self.chain.mine()
        return "0x0"


def _error_response(rid: Any, error: RPCError) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": rid, "error": error.to_json()}


def _revert_message(exc: Reverted) -> str:
    if exc.data[:4] == bytes.fromhex("08c379a0"):
        try:
            from eth_abi import decode

            return f"execution reverted: {decode(['string'], exc.data[4:])[0]}"
        except Exception:  # malformed Error(string): keep the plain message
            return exc.message
    if exc.data:
        return "execution reverted: custom error " + fmt.data(exc.data[:4])
    return exc.message


def _address_filter(value: Any) -> set[bytes] | None:
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    return {_hex_bytes(v, "address", size=20) for v in values}


def _topic_filter(value: Any) -> list[set[bytes] | None]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 4:
        raise _invalid("topics must be an array of at most 4 entries")
    out: list[set[bytes] | None] = []
    for entry in value:
        if entry is None:
            out.append(None)
        else:
            options = entry if isinstance(entry, list) else [entry]
            out.append({_hex_bytes(t, "topic", size=32) for t in options} or None)
    return out


def _bloom_may_match(bloom: int, addresses: set[bytes] | None, topics: list[set[bytes] | None]) -> bool:
    filt = BloomFilter(bloom)
    if addresses and not any(a in filt for a in addresses):
        return False
    return all(options is None or any(t in filt for t in options) for options in topics)


def _log_matches(entry: Any, addresses: set[bytes] | None, topics: list[set[bytes] | None]) -> bool:
    if addresses is not None and entry.address not in addresses:
        return False
    if len(topics) > len(entry.topics):
        return all(options is None for options in topics[len(entry.topics) :]) and _log_matches(
            entry, addresses, topics[: len(entry.topics)]
        )
    return all(options is None or entry.topics[i].to_bytes(32, "big") in options for i, options in enumerate(topics))


def _tips(block: Any) -> list[int]:
    base = fmt.base_fee(block.header)
    out = []
    for tx in block.transactions:
        if tx.type_id in (None, 0, 1):
            out.append(max(0, tx.gas_price - base))
        else:
            out.append(min(tx.max_priority_fee_per_gas, tx.max_fee_per_gas - base))
    return out


def _percentile(sorted_values: list[int], p: float) -> int:
    if not sorted_values:
        return 0
    index = min(len(sorted_values) - 1, int(len(sorted_values) * p / 100))
    return sorted_values[index]


def _next_base_fee(header: BlockHeaderAPI) -> int:
    """EIP-1559: the base fee of the block after ``header``."""
    target = header.gas_limit // 2
    base = fmt.base_fee(header)
    if header.gas_used == target:
        return base
    delta = base * abs(header.gas_used - target) // target // 8
    return base + max(delta, 1) if header.gas_used > target else base - delta
