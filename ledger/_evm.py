"""Our EVM: Prague as py-evm runs it, with wall-time limits and bounded memory for nested calls.

- **Time.** Within `deadline(seconds)`, execution stops with `EVMTimeout` once the time is up:
  the gas meter looks at the clock every 256 charges, so every opcode loop is caught; precompiles
  look before they start, and the pure-Python BLS12-381 ones through a profile hook while they
  run. Nothing is interrupted from outside: the exception is raised by the code that runs, at a
  point where py-evm expects errors.
- **bn254.** The precompiles 0x06-0x08 are revm's, through pyrevm (`ledger._bn254`). Native
  code holds the GIL and cannot be stopped, so a pairing of more than 16 pairs (~45 ms natively)
  goes pair by pair through py_ecc instead, looking at the clock between pairs, as all three do
  when pyrevm is not installed.
- **Memory.** py-evm keeps every finished child call (its input, memory and output) until the
  transaction ends, so a loop of calls with a large input grows without bound within the gas.
  A finished child is replaced by what its ancestors still read from it (`_Settled`: refunds,
  deletions, beneficiaries, logs, touched accounts), and children that contribute nothing but
  a touch of an account already touched are not kept at all.
- **Blocks.** A block may share its parent's second (see `AgoraPragueVM`).
- **Hashing.** keccak256 through safe-pysha3 (`use_fast_keccak`), not eth-hash's first choice.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from eth._utils.address import force_bytes_to_address
from eth._utils.padding import zpad_left, zpad_right
from eth.abc import BlockHeaderAPI, ComputationAPI
from eth.chains.base import MiningChain
from eth.constants import CREATE_CONTRACT_ADDRESS
from eth.exceptions import VMError
from eth.precompiles.ecpairing import _process_point
from eth.precompiles.modexp import extract_lengths
from eth.vm.forks import PragueVM
from eth.vm.forks.berlin.computation import _compute_modexp_gas_fee_eip_2565 as _modexp_gas
from eth.vm.forks.prague.computation import PragueComputation
from eth.vm.forks.prague.state import PragueState
from eth.vm.gas_meter import GasMeter
from eth_typing import BlockNumber
from eth_utils import ValidationError, big_endian_to_int, int_to_big_endian
from py_ecc import optimized_bn128 as bn128

from . import _bn254
from .accounts import CHAIN_ID


def use_fast_keccak() -> None:
    """Hashes with safe-pysha3 (~1.3 µs for 64 bytes) instead of pycryptodome (~13 µs), which
    eth-hash picks first when both are installed; eth-tester[py-evm] installs safe-pysha3. One
    transfer hashes ~25 times in py-evm (docs/chain.md has the gain). ``ETH_HASH_BACKEND``, when
    set, is left to decide."""
    if os.environ.get("ETH_HASH_BACKEND"):
        return
    try:
        from eth_hash.backends.pysha3 import backend
    except ImportError:  # pragma: no cover - eth-tester[py-evm] depends on it
        return
    from eth_hash.auto import keccak

    # the one instance eth-utils, py-evm and trie all call (the parameter's name differs)
    keccak.hasher = backend.keccak256  # type: ignore[assignment]
    keccak.preimage = backend.preimage  # type: ignore[assignment]


use_fast_keccak()
_THREE = force_bytes_to_address(b"\x03")  # RIPEMD160: touched even by failed calls (EIP-716)
_PAIRING = force_bytes_to_address(b"\x08")
_MODEXP = force_bytes_to_address(b"\x05")
_CHECK_EVERY = 256


class EVMTimeout(Exception):
    """Raised when a call, gas estimate or transaction runs longer than its wall-time limit."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"execution aborted (timeout = {seconds:g}s)")
        self.seconds = seconds


class _Late(Exception):
    """Raised inside the EVM when the deadline has passed; not a VMError, so nothing catches it."""


class _Deadline:
    __slots__ = ("at", "count", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.count = 0

    def tick(self) -> None:
        self.count += 1
        if self.count % _CHECK_EVERY == 0 and time.monotonic() > self.at:
            raise _Late

    def check(self) -> None:
        if time.monotonic() > self.at:
            raise _Late

    def hook(self, _frame: Any, event: str, _arg: Any) -> None:
        if event == "call":
            self.tick()


_local = threading.local()


def _current() -> _Deadline | None:
    return getattr(_local, "deadline", None)


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """EVM execution in this thread stops with `EVMTimeout` after ``seconds`` (None: no limit)."""
    if seconds is None:
        yield
        return
    previous, _local.deadline = _current(), _Deadline(seconds)
    try:
        yield
    except _Late:
        raise EVMTimeout(seconds) from None
    finally:
        _local.deadline = previous


class _DeadlineGasMeter(GasMeter):  # type: ignore[misc]
    def __init__(self, meter: GasMeter, limit: _Deadline) -> None:
        super().__init__(meter.start_gas, meter.refund_strategy)  # Istanbul+ allows negative refunds
        self._limit = limit

    def consume_gas(self, amount: int, reason: str) -> None:
        self._limit.tick()
        super().consume_gas(amount, reason)


def _guarded(precompile: Callable[[ComputationAPI], Any]) -> Callable[[ComputationAPI], Any]:
    """A precompile that starts only in time and, while it runs, is stopped by the deadline."""

    def run(computation: ComputationAPI) -> Any:
        limit = _current()
        if limit is None:
            return precompile(computation)
        limit.check()
        previous = sys.getprofile()
        sys.setprofile(limit.hook)
        try:
            return precompile(computation)
        finally:
            sys.setprofile(previous)

    run.__wrapped__ = precompile  # type: ignore[attr-defined]
    return run


def _pairing(computation: ComputationAPI) -> ComputationAPI:
    """bn254 pairing (EIP-197) on py_ecc, pair by pair so the deadline is looked at between pairs."""
    data = computation.msg.data
    if len(data) % 192:
        raise VMError("Invalid ECPAIRING parameters")
    computation.consume_gas(45_000 + len(data) // 192 * 34_000, reason="ECPAIRING Precompile")
    limit = _current()
    exponent = bn128.FQ12.one()
    try:
        for start in range(0, len(data), 192):
            if limit is not None:
                limit.check()
            exponent = _process_point(bytes(data[start : start + 192]), exponent)
        result = bn128.final_exponentiate(exponent) == bn128.FQ12.one()
    except ValidationError:
        raise VMError("Invalid ECPAIRING parameters") from None
    computation.output = (b"\x00" * 31) + (b"\x01" if result else b"\x00")
    return computation


def _stepped_pow(base: int, exponent: int, modulus: int, check: Callable[[], None], step: int = 4096) -> int:
    """``pow(base, exponent, modulus)`` over ``step``-bit pieces of the exponent, calling ``check``
    between them (one `pow` of a huge exponent holds the interpreter for seconds)."""
    result = 1 % modulus
    top = max(0, (exponent.bit_length() - 1) // step * step)
    for shift in range(top, -1, -step):
        check()
        piece = (exponent >> shift) & ((1 << step) - 1)
        result = pow(result, 1 << step, modulus) * pow(base, piece, modulus) % modulus
    return result


def _modexp(computation: ComputationAPI) -> ComputationAPI:
    """MODEXP (EIP-198, priced by EIP-2565) as py-evm computes it, in steps the deadline can stop."""
    data = computation.msg.data_as_bytes
    computation.consume_gas(_modexp_gas(data), reason="MODEXP Precompile")
    base_length, exponent_length, modulus_length = extract_lengths(data)
    if modulus_length == 0:
        computation.output = b""
        return computation
    base_end = 96 + base_length
    exponent_end = base_end + exponent_length
    modulus = big_endian_to_int(zpad_right(data[exponent_end : exponent_end + modulus_length], to_size=modulus_length))
    result = 0
    if base_length and modulus:
        base = big_endian_to_int(zpad_right(data[96:base_end], to_size=base_length))
        exponent = big_endian_to_int(zpad_right(data[base_end:exponent_end], to_size=exponent_length))
        limit = _current()
        if limit is None or exponent.bit_length() <= 4096:
            result = pow(base, exponent, modulus)
        else:
            result = _stepped_pow(base, exponent, modulus, limit.check)
    computation.output = zpad_left(int_to_big_endian(result), to_size=modulus_length)
    return computation


class _Msg:
    __slots__ = ("is_create", "refund", "storage_address", "to")

    def __init__(self, msg: Any) -> None:
        self.to, self.storage_address = msg.to, msg.storage_address
        self.is_create, self.refund = msg.is_create, msg.refund


class _Settled:
    """A finished child call without its input, memory, stack or output.

    It answers what its ancestors ask at the end of the transaction (refunds, deletions,
    beneficiaries, logs, touched accounts) exactly as py-evm's computation does, from the same
    fields, and as lazily: nothing is gathered twice.
    """

    __slots__ = (
        "_beneficiaries",
        "_deletions",
        "_logs",
        "_refunded",
        "accounts_to_delete",
        "beneficiaries",
        "children",
        "is_error",
        "msg",
        "state",
    )

    def __init__(self, child: Any) -> None:
        self.is_error = child.is_error
        self.msg = _Msg(child.msg)
        self.state = child.state
        self.children = child.children
        self.accounts_to_delete = child.accounts_to_delete
        self.beneficiaries = child.beneficiaries
        self._logs = child._log_entries
        self._refunded = child._gas_meter.gas_refunded
        self._deletions: list[bytes] | None = None
        self._beneficiaries: list[bytes] | None = None

    @property
    def is_success(self) -> bool:
        return not self.is_error

    def get_gas_refund(self) -> int:
        if self.is_error:
            return int(self.msg.refund)
        return int(self.msg.refund + self._refunded + sum(c.get_gas_refund() for c in self.children))

    def get_accounts_for_deletion(self) -> list[bytes]:
        if self.is_error:
            return []
        if self._deletions is None:  # settled: asked once per ancestor, computed once
            nested = (c.get_accounts_for_deletion() for c in self.children)
            self._deletions = list(set(itertools.chain(*nested, self.accounts_to_delete)))
        return list(self._deletions)

    def get_self_destruct_beneficiaries(self) -> list[bytes]:
        if self.is_error:
            return []
        if self._beneficiaries is None:  # collect_touched_accounts asks every node of the tree
            nested = (c.get_self_destruct_beneficiaries() for c in self.children)
            self._beneficiaries = list(set(itertools.chain(*nested, self.beneficiaries)))
        return list(self._beneficiaries)

    def get_raw_log_entries(self) -> tuple[Any, ...]:
        if self.is_error:
            return ()
        return tuple(sorted(itertools.chain(self._logs, *(c.get_raw_log_entries() for c in self.children))))

    def touch_only(self) -> bool:
        """Whether all it leaves behind is a touch of `msg.to` (nothing when it failed)."""
        return not (
            self.msg.refund
            or (self._refunded and not self.is_error)
            or self.accounts_to_delete
            or self.beneficiaries
            or self._logs
            or self.children
        )


def _split_pairing(native: _bn254.Precompile) -> Callable[[ComputationAPI], Any]:
    """``native`` for up to `MAX_NATIVE_PAIRS` pairs, py_ecc pair by pair (`_pairing`) above."""
    small = _guarded(native)

    def run(computation: ComputationAPI) -> Any:
        if len(computation.msg.data) <= _bn254.MAX_NATIVE_PAIRS * _bn254.PAIR_SIZE:
            return small(computation)
        return _pairing(computation)

    run.__wrapped__ = native  # type: ignore[attr-defined]
    return run


def precompile_table(native: Mapping[bytes, _bn254.Precompile]) -> dict[bytes, Callable[[ComputationAPI], Any]]:
    """Prague's precompiles under the deadline: ``native`` ones where given (the bn254 ones of
    `ledger._bn254`), else ours for MODEXP and the py_ecc pairing, else py-evm's."""
    own = {_PAIRING: _pairing, _MODEXP: _modexp}
    table: dict[bytes, Callable[[ComputationAPI], Any]] = {
        address: own.get(address) or _guarded(fn) for address, fn in PragueComputation.get_precompiles().items()
    }
    table.update({address: _guarded(fn) for address, fn in native.items()})
    if _PAIRING in native:
        table[_PAIRING] = _split_pairing(native[_PAIRING])
    return table


class AgoraComputation(PragueComputation):  # type: ignore[misc]
    """Prague's computation with wall-time limits and compact finished children."""

    _precompiles = precompile_table(_bn254.PRECOMPILES)  # chosen once: native when pyrevm is installed

    def _configure_gas_meter(self) -> GasMeter:
        meter: GasMeter = super()._configure_gas_meter()
        limit = _current()
        return meter if limit is None else _DeadlineGasMeter(meter, limit)

    def add_child_computation(self, child_computation: ComputationAPI) -> None:
        super().add_child_computation(child_computation)
        settled = _Settled(child_computation)
        self.children.pop()
        if settled.touch_only():
            to = settled.msg.to
            if settled.is_error and to != _THREE or to == CREATE_CONTRACT_ADDRESS:
                return  # a failed call touches nothing (but RIPEMD160); a create is touched by address
            seen = self.__dict__.setdefault("_touched", set())
            if (settled.is_error, to) in seen:
                return
            seen.add((settled.is_error, to))
        self.children.append(settled)  # type: ignore[arg-type]


class AgoraPragueState(PragueState):  # type: ignore[misc]
    computation_class = AgoraComputation


class AgoraPragueVM(PragueVM):  # type: ignore[misc]
    """Prague, except that a block may share its parent's timestamp.

    The embedded chain mines a block as soon as a transaction comes (one per transaction for a
    lone sender); requiring each block to be a second later would push block time ahead of the
    wall clock under load, and every deadline in seconds with it. Blocks mined within one second
    share that second instead.
    """

    _state_class = AgoraPragueState

    @classmethod
    def validate_header(cls, header: BlockHeaderAPI, parent_header: BlockHeaderAPI) -> None:
        if parent_header is not None and header.timestamp == parent_header.timestamp:
            header = header.copy(timestamp=header.timestamp + 1)
        super().validate_header(header, parent_header)


class AgoraDevChain(MiningChain):
    """Prague rules (with same-second blocks), chain id 31337, constant gas limit."""

    chain_id = CHAIN_ID
    vm_configuration = ((BlockNumber(0), AgoraPragueVM),)

    def create_header_from_parent(self, parent_header: BlockHeaderAPI, **header_params: Any) -> BlockHeaderAPI:
        header_params["gas_limit"] = parent_header.gas_limit
        return super().create_header_from_parent(parent_header, **header_params)

    def get_transaction_builder(self) -> Any:
        return self.get_vm().get_transaction_builder()
