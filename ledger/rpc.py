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
import threading
from collections.abc import Callable
from importlib.metadata import version
from typing import Any, Protocol

import orjson
from eth.exceptions import VMError
from eth_utils import ValidationError as EVMValidationError

from . import _format as fmt
from ._devcontrols import DevControlError
from ._embedded import EmbeddedChain, InvalidTransaction, TransactionTimeout
from ._evm import EVMTimeout
from ._jsonrpc import (
    EXECUTION_REVERTED,
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    LIMIT_EXCEEDED,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    SERVER_ERROR,
    RPCError,
    dump,
    error_response,
    id_of,
    invalid,
    limit_error,
    short,
    valid_id,
)
from ._rpc_limits import Budget, RPCLimits
from ._rpc_methods import ChainMethods
from ._view import GasCapExceeded, Reverted

log = logging.getLogger(__name__)

__all__ = [
    "EXECUTION_REVERTED",
    "INTERNAL_ERROR",
    "INVALID_PARAMS",
    "INVALID_REQUEST",
    "LIMIT_EXCEEDED",
    "METHOD_NOT_FOUND",
    "PARSE_ERROR",
    "SERVER_ERROR",
    "Dispatcher",
    "RPCError",
    "RPCLimits",
    "error_response",
    "parse",
    "workload",
]


EVM_METHODS = frozenset({"eth_call", "eth_estimateGas", "eth_sendTransaction"})
"""Methods that run the EVM for as long as their time limit allows."""
WRITE_METHODS = frozenset(
    {
        "eth_sendRawTransaction",
        "agora_sendRawTransactionChecked",
        "evm_snapshot",
        "evm_revert",
        "evm_increaseTime",
        "evm_mine",
    }
)
"""Methods that wait for the chain's one writer."""
ACTING_METHODS = WRITE_METHODS | {"eth_sendTransaction"}
"""Methods whose answer says what was done (a transaction mined, the clock moved): it is always
sent, never swapped for a limit's error after the fact, or its sender would take the deed for
a refusal and do it again."""
ACTED_REVERT_MAX = 4096
"""Bytes of revert data an acting method's refusal answers with (a contract's error is far less)."""
REASON_MAX = 256
"""Characters of a revert's reason string an answer's message quotes."""


def parse(body: bytes) -> Any:
    """A request body as JSON values, nesting at most 1,024 deep; raises `RPCError` (parse error)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RPCError(PARSE_ERROR, f"parse error: {exc}") from None


class Room(Protocol):
    """A server's room for answers its clients have not read yet, taken answer by answer."""

    error: RPCError
    """What an answer that does not fit is replaced by."""

    def take(self, size: int, *, force: bool = False) -> bool:
        """Holds ``size`` bytes when they fit (``force``: whatever); whether it did."""
        ...


def workload(payload: Any) -> str:
    """``"evm"``, ``"write"`` or ``"read"``: the heaviest kind of work a parsed body asks for."""
    items = payload if isinstance(payload, list) else [payload]
    methods = {item["method"] for item in items if isinstance(item, dict) and isinstance(item.get("method"), str)}
    if methods & EVM_METHODS:
        return "evm"
    return "write" if methods & WRITE_METHODS else "read"


_DEV_METHODS = frozenset({"eth_sendTransaction", "evm_snapshot", "evm_revert", "evm_increaseTime", "evm_mine"})


class Dispatcher(ChainMethods):
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
            return dump(error_response(None, exc))
        return self.answer(payload)

    def answer(self, payload: Any, room: Room | None = None) -> bytes | None:
        """Answers a parsed body (see `parse`), as the bytes to send back. An answer larger than
        `RPCLimits.response_max`, or than ``room`` (the server's room for answers not yet read),
        is replaced by that limit's error, except the answer of an `ACTING_METHODS` request."""
        if not isinstance(payload, list):
            answer = self.handle_one(payload)
            return None if answer is None else self._bounded(payload, answer, 0, room)
        if not payload:
            return dump(error_response(None, RPCError(INVALID_REQUEST, "empty batch")))
        if len(payload) > self.limits.batch_items:
            err = limit_error(f"batch too large: at most {self.limits.batch_items} requests", "rpc_batch_items")
            return dump(error_response(None, RPCError(INVALID_REQUEST, err.message)))
        return self._batch(payload, Budget(self.limits.batch_timeout), room)

    def _batch(self, payload: list[Any], budget: Budget, room: Room | None) -> bytes | None:
        parts: list[bytes] = []
        size = 2
        for item in payload:
            answer: dict[str, Any] | None
            if budget.remaining() > 0:
                answer = self.handle_one(item, budget)
            elif isinstance(item, dict) and "id" not in item:
                answer = None  # a notification is never answered
            else:
                answer = error_response(id_of(item), self._batch_timeout())
            if answer is None:
                continue
            encoded = self._bounded(item, answer, size + 1, room)
            size += len(encoded) + 1
            parts.append(encoded)
        return b"[" + b",".join(parts) + b"]" if parts else None

    def _bounded(self, request: Any, answer: dict[str, Any], before: int, room: Room | None) -> bytes:
        """``answer`` encoded, or the error of the limit it would pass with ``before`` bytes of
        its batch ahead of it (``room`` takes what it holds). An acting request's result (a
        transaction's hash: what was done) is kept whatever its size; its refusal is bounded
        as any answer (nothing was done)."""
        encoded = dump(answer)
        method = request.get("method") if isinstance(request, dict) else None
        if not (isinstance(method, str) and method in ACTING_METHODS and "result" in answer):
            if before + len(encoded) > self.limits.response_max:
                what = "batch response" if before else "response"
                encoded = dump(error_response(answer.get("id"), self._too_large(what)))
            elif room is not None and room.take(len(encoded)):
                return encoded
            elif room is not None:
                encoded = dump(error_response(answer.get("id"), room.error))
        if room is not None:
            room.take(len(encoded), force=True)  # what is kept whatever, and the errors' few bytes
        return encoded

    def handle_one(self, request: Any, budget: Budget | None = None) -> dict[str, Any] | None:
        if (
            not isinstance(request, dict)
            or request.get("jsonrpc") != "2.0"
            or not isinstance(request.get("method"), str)
            or not valid_id(request.get("id"))
        ):
            rid = request.get("id") if isinstance(request, dict) and valid_id(request.get("id")) else None
            return error_response(rid, RPCError(INVALID_REQUEST, "invalid request: expected a JSON-RPC 2.0 object"))
        rid = request.get("id")
        self._local.budget = budget
        try:
            result = self.call(request["method"], request.get("params", []))
        except RPCError as exc:
            return error_response(rid, exc)
        finally:
            self._local.budget = None
        if "id" not in request:
            return None  # a notification
        return {"jsonrpc": "2.0", "id": rid, "result": result}

    def call(self, method: str, params: Any) -> Any:
        """Runs one method; raises `RPCError`."""
        handler = self._methods.get(method)
        if handler is None:
            raise RPCError(METHOD_NOT_FOUND, f"the method {short(method)} does not exist/is not available")
        if method in _DEV_METHODS and not self.limits.dev_methods:
            raise RPCError(
                METHOD_NOT_FOUND,
                f"the method {method} is not available: development methods are off (AGORA_RPC_DEV_METHODS)",
            )
        if params is None:
            params = []
        if not isinstance(params, list):
            raise invalid("params must be an array")
        reads = getattr(handler, "_reads", False)
        try:
            self._signatures[method].bind(*([None] if reads else []), *params)
        except TypeError as exc:
            raise invalid(f"wrong number of params for {method}: {exc}") from None
        try:
            if reads:
                with self.chain.view() as view:
                    return handler(view, *params)
            return handler(*params)
        except RPCError:
            raise
        except Reverted as exc:
            data = exc.data[:ACTED_REVERT_MAX] if method in ACTING_METHODS else exc.data
            raise RPCError(EXECUTION_REVERTED, _revert_message(exc), fmt.data(data)) from None
        except TransactionTimeout as exc:
            raise limit_error(
                f"transaction refused: its execution took longer than {exc.seconds:g}s", "rpc_tx_timeout"
            ) from None
        except EVMTimeout as exc:
            raise self._timeout_error(exc) from None
        except GasCapExceeded as exc:
            raise limit_error(str(exc), "rpc_gas_cap") from None
        except (InvalidTransaction, DevControlError) as exc:
            raise invalid(str(exc)) from None
        except (EVMValidationError, VMError) as exc:
            raise RPCError(SERVER_ERROR, str(exc) or type(exc).__name__) from None
        except Exception as exc:  # a bug: report it, keep serving
            log.exception("internal error in %s", method)
            raise RPCError(INTERNAL_ERROR, f"internal error: {type(exc).__name__}") from None


def _revert_message(exc: Reverted) -> str:
    if exc.data[:4] == bytes.fromhex("08c379a0"):
        try:
            from eth_abi import decode

            reason = str(decode(["string"], exc.data[4:])[0])
            return f"execution reverted: {reason[:REASON_MAX]}{'…' if len(reason) > REASON_MAX else ''}"
        except Exception:  # malformed Error(string): keep the plain message
            return exc.message
    if exc.data:
        return "execution reverted: custom error " + fmt.data(exc.data[:4])
    return exc.message
