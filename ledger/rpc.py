"""Ethereum JSON-RPC 2.0 over the embedded chain: the method table and request handling.

The same `Dispatcher` answers in-process (`EmbeddedProvider`) and over HTTP (`agora chain
serve`), so both paths behave identically by construction. Every request is bounded: bodies
are parsed with a depth limit, calls by a gas cap and a wall-time limit, batches by a count, a
time budget and a response size, log queries by a block range and a result count. Each limit
is a setting (`LedgerSettings.rpc_*`) and its error names it.
"""

from __future__ import annotations

import inspect
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import orjson
from eth.abc import BlockHeaderAPI
from eth.exceptions import VMError
from eth_utils import ValidationError as EVMValidationError
from eth_utils import keccak

from . import _format as fmt
from ._embedded import DevControlError, EmbeddedChain, InvalidTransaction, TransactionTimeout
from ._evm import EVMTimeout
from ._view import ChainView, GasCapExceeded, Reverted, context_header
from .settings import LedgerSettings, get_settings

log = logging.getLogger(__name__)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000
LIMIT_EXCEEDED = -32005  # EIP-1474
EXECUTION_REVERTED = 3
_MAX_QUANTITY_DIGITS = 64  # uint256


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


@dataclass(frozen=True)
class RPCLimits:
    """What one request may cost; the defaults and their environment names are in `LedgerSettings`."""

    gas_cap: int
    evm_timeout: float
    batch_items: int
    batch_timeout: float
    response_max: int
    log_block_range: int
    log_results: int
    read_timeout: float
    dev_methods: bool

    @classmethod
    def from_settings(cls, settings: LedgerSettings | None = None) -> RPCLimits:
        s = settings or get_settings()
        return cls(
            gas_cap=s.rpc_gas_cap,
            evm_timeout=s.rpc_evm_timeout,
            batch_items=s.rpc_batch_items,
            batch_timeout=s.rpc_batch_timeout,
            response_max=s.rpc_response_max,
            log_block_range=s.rpc_log_block_range,
            log_results=s.rpc_log_results,
            read_timeout=s.rpc_read_timeout,
            dev_methods=s.rpc_dev_methods,
        )


def _limit(what: str, setting: str) -> RPCError:
    return RPCError(LIMIT_EXCEEDED, f"{what} (AGORA_{setting.upper()})")


def _invalid(message: str) -> RPCError:
    return RPCError(INVALID_PARAMS, message)


def _hex_bytes(value: Any, what: str, *, size: int | None = None) -> bytes:
    if not isinstance(value, str) or not value.startswith(("0x", "0X")):
        raise _invalid(f"{what}: expected 0x-prefixed hex, got {_short(value)}")
    try:
        raw = bytes.fromhex(value[2:] if len(value) % 2 == 0 else "0" + value[2:])
    except ValueError:
        raise _invalid(f"{what}: invalid hex {_short(value)}") from None
    if size is not None and len(raw) != size:
        raise _invalid(f"{what}: expected {size} bytes, got {len(raw)}")
    return raw


def _quantity(value: Any, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if not isinstance(value, str) or not value.startswith(("0x", "0X")):
        raise _invalid(f"{what}: expected a hex quantity, got {_short(value)}")
    if len(value) > 2 + _MAX_QUANTITY_DIGITS:
        raise _invalid(f"{what}: a quantity has at most 256 bits")
    try:
        return int(value, 16)
    except ValueError:
        raise _invalid(f"{what}: invalid hex quantity {_short(value)}") from None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


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
            raise _invalid(f"unknown transaction field {_short(key)}")
        name, parse = _CALL_FIELDS[key]
        out[name] = parse(raw)
    if "gas_price" in out and ("max_fee_per_gas" in out or "max_priority_fee_per_gas" in out):
        raise _invalid("gasPrice cannot be combined with maxFeePerGas or maxPriorityFeePerGas")
    if out.get("max_priority_fee_per_gas", 0) > out.get("max_fee_per_gas", 2**256):
        raise _invalid("maxPriorityFeePerGas is above maxFeePerGas")
    return out


def _valid_id(rid: Any) -> bool:
    """JSON-RPC 2.0 ids: a string, a number or null (a finite number: JSON has no other)."""
    if rid is None or isinstance(rid, str):
        return True
    if isinstance(rid, bool):
        return False
    return isinstance(rid, int) or isinstance(rid, float) and math.isfinite(rid)


class _ReadClock:
    """The time one read (a log query, a fee history) may take; raises the limit's error past it."""

    def __init__(self, seconds: float, limit: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.limit = limit

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise _limit(f"query took longer than {self.limit:g}s: ask for less", "rpc_read_timeout")


class _Budget:
    """The time one HTTP request (a single call or a whole batch) may still use."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


EVM_METHODS = frozenset({"eth_call", "eth_estimateGas", "eth_sendTransaction"})
"""Methods that run the EVM for as long as their time limit allows."""
WRITE_METHODS = frozenset({"eth_sendRawTransaction", "evm_snapshot", "evm_revert", "evm_increaseTime", "evm_mine"})
"""Methods that wait for the chain's one writer."""


def parse(body: bytes) -> Any:
    """A request body as JSON values, nesting at most 1,024 deep; raises `RPCError` (parse error)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RPCError(PARSE_ERROR, f"parse error: {exc}") from None


def workload(payload: Any) -> str:
    """``"evm"``, ``"write"`` or ``"read"``: the heaviest kind of work a parsed body asks for."""
    items = payload if isinstance(payload, list) else [payload]
    methods = {item["method"] for item in items if isinstance(item, dict) and isinstance(item.get("method"), str)}
    if methods & EVM_METHODS:
        return "evm"
    return "write" if methods & WRITE_METHODS else "read"


_DEV_METHODS = frozenset({"eth_sendTransaction", "evm_snapshot", "evm_revert", "evm_increaseTime", "evm_mine"})


def _reads(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a method that reads through a chain view (passed as its first argument)."""
    fn._reads = True  # type: ignore[attr-defined]
    return fn


class Dispatcher:
    """Answers JSON-RPC requests against one `EmbeddedChain`, within `RPCLimits`. Thread-safe."""

    def __init__(self, chain: EmbeddedChain, limits: RPCLimits | None = None) -> None:
        self.chain = chain
        self.limits = limits or RPCLimits.from_settings()
        self.client_version = f"agora-embedded/{version('py-evm')}/python"
        self._methods: dict[str, Callable[..., Any]] = {
            name.removeprefix("rpc_"): getattr(self, name) for name in dir(self) if name.startswith("rpc_")
        }
        self._signatures = {name: inspect.signature(fn) for name, fn in self._methods.items()}
        self._local = threading.local()

    # -- request handling -------------------------------------------------------------------
    def handle_raw(self, body: bytes) -> bytes | None:
        """Answers an HTTP body: one request or a batch; None when nothing is to be sent back."""
        try:
            payload = parse(body)
        except RPCError as exc:
            return _dump(_error_response(None, exc))
        return self.answer(payload)

    def answer(self, payload: Any) -> bytes | None:
        """Answers a parsed body (see `parse`), as the bytes to send back."""
        if not isinstance(payload, list):
            answer = self.handle_one(payload)
            return None if answer is None else self._bounded(answer)
        if not payload:
            return _dump(_error_response(None, RPCError(INVALID_REQUEST, "empty batch")))
        if len(payload) > self.limits.batch_items:
            err = _limit(f"batch too large: at most {self.limits.batch_items} requests", "rpc_batch_items")
            return _dump(_error_response(None, RPCError(INVALID_REQUEST, err.message)))
        return self._batch(payload, _Budget(self.limits.batch_timeout))

    def _batch(self, payload: list[Any], budget: _Budget) -> bytes | None:
        parts: list[bytes] = []
        size = 2
        for item in payload:
            answer: dict[str, Any] | None
            if budget.remaining() > 0:
                answer = self.handle_one(item, budget)
            elif isinstance(item, dict) and "id" not in item:
                answer = None  # a notification is never answered
            else:
                answer = _error_response(_id_of(item), self._batch_timeout())
            if answer is None:
                continue
            encoded = _dump(answer)
            if size + len(encoded) + 1 > self.limits.response_max:
                encoded = _dump(_error_response(_id_of(item), self._too_large("batch response")))
            size += len(encoded) + 1
            parts.append(encoded)
        return b"[" + b",".join(parts) + b"]" if parts else None

    def _bounded(self, answer: dict[str, Any]) -> bytes:
        encoded = _dump(answer)
        if len(encoded) > self.limits.response_max:
            return _dump(_error_response(answer.get("id"), self._too_large("response")))
        return encoded

    def _too_large(self, what: str) -> RPCError:
        return _limit(f"{what} too large: more than {self.limits.response_max} bytes", "rpc_response_max")

    def _batch_timeout(self) -> RPCError:
        return _limit(f"request timed out: the batch used its {self.limits.batch_timeout:g}s", "rpc_batch_timeout")

    def handle_one(self, request: Any, budget: _Budget | None = None) -> dict[str, Any] | None:
        if (
            not isinstance(request, dict)
            or request.get("jsonrpc") != "2.0"
            or not isinstance(request.get("method"), str)
            or not _valid_id(request.get("id"))
        ):
            rid = request.get("id") if isinstance(request, dict) and _valid_id(request.get("id")) else None
            return _error_response(rid, RPCError(INVALID_REQUEST, "invalid request: expected a JSON-RPC 2.0 object"))
        rid = request.get("id")
        self._local.budget = budget
        try:
            result = self.call(request["method"], request.get("params", []))
        except RPCError as exc:
            return _error_response(rid, exc)
        finally:
            self._local.budget = None
        if "id" not in request:
            return None  # a notification
        return {"jsonrpc": "2.0", "id": rid, "result": result}

    def call(self, method: str, params: Any) -> Any:
        """Runs one method; raises `RPCError`."""
        handler = self._methods.get(method)
        if handler is None:
            raise RPCError(METHOD_NOT_FOUND, f"the method {_short(method)} does not exist/is not available")
        if method in _DEV_METHODS and not self.limits.dev_methods:
            raise RPCError(
                METHOD_NOT_FOUND,
                f"the method {method} is not available: development methods are off (AGORA_RPC_DEV_METHODS)",
            )
        if params is None:
            params = []
        if not isinstance(params, list):
            raise _invalid("params must be an array")
        reads = getattr(handler, "_reads", False)
        try:
            self._signatures[method].bind(*([None] if reads else []), *params)
        except TypeError as exc:
            raise _invalid(f"wrong number of params for {method}: {exc}") from None
        try:
            if reads:
                with self.chain.view() as view:
                    return handler(view, *params)
            return handler(*params)
        except RPCError:
            raise
        except Reverted as exc:
            raise RPCError(EXECUTION_REVERTED, _revert_message(exc), fmt.data(exc.data)) from None
        except TransactionTimeout as exc:
            raise _limit(
                f"transaction refused: its execution took longer than {exc.seconds:g}s", "rpc_tx_timeout"
            ) from None
        except EVMTimeout as exc:
            raise self._timeout_error(exc) from None
        except GasCapExceeded as exc:
            raise _limit(str(exc), "rpc_gas_cap") from None
        except (InvalidTransaction, DevControlError) as exc:
            raise _invalid(str(exc)) from None
        except (EVMValidationError, VMError) as exc:
            raise RPCError(SERVER_ERROR, str(exc) or type(exc).__name__) from None
        except Exception as exc:  # a bug: report it, keep serving
            log.exception("internal error in %s", method)
            raise RPCError(INTERNAL_ERROR, f"internal error: {type(exc).__name__}") from None

    # -- limits ----------------------------------------------------------------------------
    def _call_timeout(self) -> float:
        budget: _Budget | None = getattr(self._local, "budget", None)
        if budget is None:
            return self.limits.evm_timeout
        remaining = budget.remaining()
        if remaining <= 0:
            raise self._batch_timeout()
        return min(self.limits.evm_timeout, remaining)

    def _timeout_error(self, exc: EVMTimeout) -> RPCError:
        if exc.seconds < self.limits.evm_timeout:
            return self._batch_timeout()
        return _limit(f"execution aborted (timeout = {exc.seconds:g}s)", "rpc_evm_timeout")

    def _gas(self, tx: dict[str, Any], header: BlockHeaderAPI) -> int:
        """The gas a call runs with: as asked, else the cap; never more than the cap."""
        cap = min(self.limits.gas_cap, header.gas_limit) if "gas" not in tx else self.limits.gas_cap
        gas = int(tx.get("gas", cap))
        if gas > self.limits.gas_cap:
            raise GasCapExceeded(gas, self.limits.gas_cap)
        return gas

    # -- block parameters -------------------------------------------------------------------
    @staticmethod
    def _block(view: ChainView, tag: Any = "latest") -> BlockHeaderAPI:
        if isinstance(tag, dict):
            if "blockHash" in tag:
                header = view.header_by_hash(_hex_bytes(tag["blockHash"], "blockHash", size=32))
                if header is None:
                    raise RPCError(SERVER_ERROR, f"block {tag['blockHash']} not found")
                return header
            tag = tag.get("blockNumber", "latest")
        if tag in ("latest", "safe", "finalized", "pending", None):
            return view.head()
        if tag == "earliest":
            return view.header_at(0)
        number = _quantity(tag, "block")
        head = view.head().block_number
        if number > head:
            raise RPCError(SERVER_ERROR, f"block {number} is beyond the head {head}")
        return view.header_at(number)

    def _exec_header(self, view: ChainView, tag: Any, tx: dict[str, Any]) -> BlockHeaderAPI:
        """The header a call runs in: the pending block (as anvil) unless an older one is named.

        Built from the view, without the writer's lock: a call never waits for a transaction.
        """
        if tag in (None, "pending", "latest"):
            return context_header(view.pending_header(self.chain.now()), None, tx)
        return context_header(view.head(), self._block(view, tag), tx)

    def _block_or_none(self, view: ChainView, tag: Any) -> BlockHeaderAPI | None:
        try:
            return self._block(view, tag)
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
        if not self.limits.dev_methods:
            return []
        return [k.public_key.to_checksum_address() for k in self.chain.dev_keys]

    @_reads
    def rpc_eth_blockNumber(self, view: ChainView) -> str:
        return fmt.qty(view.head().block_number)

    @_reads
    def rpc_eth_gasPrice(self, view: ChainView) -> str:
        return fmt.qty(fmt.base_fee(view.head()) + 10**9)

    def rpc_eth_maxPriorityFeePerGas(self) -> str:
        return fmt.qty(10**9)

    @_reads
    def rpc_eth_feeHistory(
        self, view: ChainView, count: Any, newest: Any, percentiles: list[float] | None = None
    ) -> dict[str, Any]:
        n = _quantity(count, "blockCount")
        if not 1 <= n <= 1024:
            raise _invalid("blockCount must be between 1 and 1024")
        if percentiles is not None and (
            not isinstance(percentiles, list)
            or len(percentiles) > 100
            or not all(isinstance(p, int | float) and not isinstance(p, bool) and 0 <= p <= 100 for p in percentiles)
        ):
            raise _invalid("rewardPercentiles must be at most 100 numbers between 0 and 100")
        last = self._block(view, newest).block_number
        first = max(0, last - n + 1)
        base_fees, ratios, rewards = [], [], []
        header = None
        clock = self._read_clock()
        for number in range(first, last + 1):
            clock.check()
            header = view.header_at(number)
            base_fees.append(fmt.qty(fmt.base_fee(header)))
            ratios.append(header.gas_used / header.gas_limit)
            if percentiles:
                tips = sorted(_tips(view.block(header)))
                rewards.append([fmt.qty(_percentile(tips, p)) for p in percentiles])
        assert header is not None
        base_fees.append(fmt.qty(_next_base_fee(header)))
        out: dict[str, Any] = {"oldestBlock": fmt.qty(first), "baseFeePerGas": base_fees, "gasUsedRatio": ratios}
        if percentiles:
            out["reward"] = rewards
        return out

    # -- methods: state ---------------------------------------------------------------------
    def _state(self, view: ChainView, tag: Any) -> Any:
        return view.state_at(self._block(view, tag))

    @_reads
    def rpc_eth_getBalance(self, view: ChainView, account: str, tag: Any = "latest") -> str:
        return fmt.qty(self._state(view, tag).get_balance(_hex_bytes(account, "address", size=20)))

    @_reads
    def rpc_eth_getCode(self, view: ChainView, account: str, tag: Any = "latest") -> str:
        return fmt.data(self._state(view, tag).get_code(_hex_bytes(account, "address", size=20)))

    @_reads
    def rpc_eth_getTransactionCount(self, view: ChainView, account: str, tag: Any = "latest") -> str:
        return fmt.qty(self._state(view, tag).get_nonce(_hex_bytes(account, "address", size=20)))

    @_reads
    def rpc_eth_getStorageAt(self, view: ChainView, account: str, slot: Any, tag: Any = "latest") -> str:
        state = self._state(view, tag)
        value = state.get_storage(_hex_bytes(account, "address", size=20), _quantity(slot, "slot"))
        return fmt.data(value.to_bytes(32, "big"))

    @_reads
    def rpc_eth_call(self, view: ChainView, tx: Any, tag: Any = "latest", overrides: Any = None) -> str:
        if overrides:
            raise _invalid("state overrides are not supported")
        parsed = _call_object(tx)
        header = self._exec_header(view, tag, parsed)
        parsed["gas"] = self._gas(parsed, header)
        return fmt.data(view.call(parsed, header, timeout=self._call_timeout()))

    @_reads
    def rpc_eth_estimateGas(self, view: ChainView, tx: Any, tag: Any = None) -> str:
        parsed = _call_object(tx)
        header = self._exec_header(view, tag, parsed)
        cap = min(self._gas(parsed, header), header.gas_limit)
        return fmt.qty(view.estimate_gas(parsed, header, cap=cap, timeout=self._call_timeout()))

    # -- methods: transactions --------------------------------------------------------------
    def rpc_eth_sendRawTransaction(self, raw: str) -> str:
        return fmt.data(self.chain.send_raw_transaction(_hex_bytes(raw, "raw transaction")))

    def rpc_eth_sendTransaction(self, tx: Any) -> str:
        parsed = _call_object(tx)
        if "from" not in parsed:
            raise _invalid("from is required")
        if not self.chain.has_key(parsed["from"]):
            raise RPCError(SERVER_ERROR, f"no key for {tx['from']}: eth_sendTransaction signs only for eth_accounts")
        if "gas" in parsed and parsed["gas"] > self.limits.gas_cap:
            raise GasCapExceeded(parsed["gas"], self.limits.gas_cap)
        return fmt.data(self.chain.send_transaction(parsed, timeout=self._call_timeout()))

    @_reads
    def rpc_eth_getTransactionByHash(self, view: ChainView, tx_hash: str) -> dict[str, Any] | None:
        found = view.transaction_location(_hex_bytes(tx_hash, "transaction hash", size=32))
        if found is None:
            return None
        block, index = found
        return fmt.transaction_json(block.transactions[index], block.header, index)

    @_reads
    def rpc_eth_getTransactionReceipt(self, view: ChainView, tx_hash: str) -> dict[str, Any] | None:
        found = view.transaction_location(_hex_bytes(tx_hash, "transaction hash", size=32))
        if found is None:
            return None
        block, index = found
        return fmt.receipt_json(block, view.receipts(block), index)

    # -- methods: blocks and logs -----------------------------------------------------------
    @_reads
    def rpc_eth_getBlockByNumber(self, view: ChainView, tag: Any, full: bool = False) -> dict[str, Any] | None:
        header = self._block_or_none(view, tag)
        return None if header is None else fmt.block_json(view.block(header), full=bool(full))

    @_reads
    def rpc_eth_getBlockByHash(self, view: ChainView, block_hash: str, full: bool = False) -> dict[str, Any] | None:
        header = view.header_by_hash(_hex_bytes(block_hash, "block hash", size=32))
        return None if header is None else fmt.block_json(view.block(header), full=bool(full))

    @_reads
    def rpc_eth_getBlockTransactionCountByNumber(self, view: ChainView, tag: Any) -> str | None:
        header = self._block_or_none(view, tag)
        return None if header is None else fmt.qty(len(view.block(header).transactions))

    @_reads
    def rpc_eth_getLogs(self, view: ChainView, query: Any) -> list[dict[str, Any]]:
        if not isinstance(query, dict):
            raise _invalid("expected a filter object")
        addresses = _address_filter(query.get("address"))
        topics = _topic_filter(query.get("topics"))
        if "blockHash" in query:
            header = view.header_by_hash(_hex_bytes(query["blockHash"], "blockHash", size=32))
            if header is None:
                raise RPCError(SERVER_ERROR, f"block {query['blockHash']} not found")
            first = last = header.block_number
        else:
            first = self._block(view, query.get("fromBlock", "latest")).block_number
            last = self._block(view, query.get("toBlock", "latest")).block_number
        span = self.limits.log_block_range
        if last - first + 1 > span:
            raise _limit(f"block range {first}..{last} is more than {span} blocks: ask in parts", "rpc_log_block_range")
        address_masks = [_bloom_mask(a) for a in addresses or ()]
        topic_masks = [None if options is None else [_bloom_mask(t) for t in options] for options in topics]
        clock = self._read_clock()
        logs: list[dict[str, Any]] = []
        size = 0
        for number in range(first, last + 1):
            clock.check()
            header = view.header_at(number)
            if not header.bloom or not _bloom_may_match(header.bloom, address_masks, topic_masks):
                continue
            for entry in self._block_logs(view, header, addresses, topics):
                logs.append(entry)
                size += 400 + len(entry["data"]) + 70 * len(entry["topics"])
            if len(logs) > self.limits.log_results:
                raise _limit(
                    f"query returned more than {self.limits.log_results} results: ask for a smaller block range",
                    "rpc_log_results",
                )
            if size > self.limits.response_max:
                raise self._too_large("response")
        return logs

    def _read_clock(self) -> _ReadClock:
        budget: _Budget | None = getattr(self._local, "budget", None)
        seconds = self.limits.read_timeout
        if budget is not None:
            seconds = min(seconds, budget.remaining())
        return _ReadClock(seconds, self.limits.read_timeout)

    @staticmethod
    def _block_logs(
        view: ChainView, header: BlockHeaderAPI, addresses: set[bytes] | None, topics: list[set[bytes] | None]
    ) -> list[dict[str, Any]]:
        block = view.block(header)
        out, log_index = [], 0
        for tx_index, receipt in enumerate(view.receipts(block)):
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

    # -- methods: development controls (off with AGORA_RPC_DEV_METHODS=false) ----------------
    def rpc_evm_snapshot(self) -> str:
        return fmt.qty(self.chain.snapshot())

    def rpc_evm_revert(self, snapshot_id: Any) -> bool:
        return self.chain.revert(_quantity(snapshot_id, "snapshot id"))

    def rpc_evm_increaseTime(self, seconds: Any) -> int:
        return self.chain.increase_time(_quantity(seconds, "seconds"))

    def rpc_evm_mine(self, options: Any = None) -> str:
        if options is not None:
            raise _invalid("evm_mine mines one block now: it takes no timestamp or options here")
        self.chain.mine()
        return "0x0"


def _dump(value: Any) -> bytes:
    return orjson.dumps(value)


def _id_of(request: Any) -> Any:
    rid = request.get("id") if isinstance(request, dict) else None
    return rid if _valid_id(rid) else None


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


MAX_FILTER_OPTIONS = 256
"""Addresses, and alternatives per topic position, one log filter may list."""


def _address_filter(value: Any) -> set[bytes] | None:
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    if len(values) > MAX_FILTER_OPTIONS:
        raise _invalid(f"address: at most {MAX_FILTER_OPTIONS} addresses")
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
            if len(options) > MAX_FILTER_OPTIONS:
                raise _invalid(f"topics: at most {MAX_FILTER_OPTIONS} alternatives per position")
            out.append({_hex_bytes(t, "topic", size=32) for t in options} or None)
    return out


def _bloom_mask(value: bytes) -> int:
    """The three bits ``value`` sets in a log bloom (the Yellow Paper's M3:2048), as one integer."""
    h = keccak(value)
    return (
        (1 << (((h[0] << 8) | h[1]) & 2047))
        | (1 << (((h[2] << 8) | h[3]) & 2047))
        | (1 << (((h[4] << 8) | h[5]) & 2047))
    )


def _bloom_may_match(bloom: int, addresses: list[int], topics: list[list[int] | None]) -> bool:
    if addresses and not any(bloom & m == m for m in addresses):
        return False
    return all(options is None or any(bloom & m == m for m in options) for options in topics)


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
