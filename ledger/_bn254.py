"""The bn254 (alt_bn128) precompiles 0x06-0x08 (EIP-196, EIP-197, priced by EIP-1108) on revm.

py-evm computes them with py_ecc in pure Python: 0.5-0.8 s for a two-pair check here. revm, the EVM
of reth and of anvil (this project's second backend), computes them in Rust; its Python binding
pyrevm runs a message call to the precompile's address in an empty in-memory EVM, and that call
is all the glue there is. Everything EIP-196/197 asks of the input (short ADD/MUL input padded
with zeros, coordinates below the field modulus, points on their curves, G2 points in the
subgroup, (0, 0) as the point at infinity) is revm's code. Ours charges the gas as py-evm does
and turns revm's refusal into py-evm's `VMError`. Measurements: docs/chain.md.

`NATIVE` is False when pyrevm cannot be imported; `PRECOMPILES` is then empty and ledger._evm
keeps py-evm's py_ecc precompiles. The choice is made once, at import.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from eth._utils.address import force_bytes_to_address
from eth.abc import ComputationAPI
from eth.exceptions import VMError
from eth.vm.forks.istanbul.constants import GAS_ECADD, GAS_ECMUL, GAS_ECPAIRING_BASE, GAS_ECPAIRING_PER_POINT

try:
    import pyrevm
except ImportError:  # a clone without it keeps py-evm's own precompiles
    NATIVE = False
else:
    NATIVE = True

log = logging.getLogger(__name__)

ECADD, ECMUL, ECPAIRING = (force_bytes_to_address(bytes([n])) for n in (6, 7, 8))
PAIR_SIZE = 192
# Native code holds the GIL and cannot be stopped by a deadline: ledger._evm sends longer pairing
# input through py_ecc pair by pair. 16 pairs take ~45 ms here (a Groth16 check is 4).
MAX_NATIVE_PAIRS = 16
_TARGETS = {6: "0x" + "00" * 19 + "06", 7: "0x" + "00" * 19 + "07", 8: "0x" + "00" * 19 + "08"}
_CALLER = "0x" + "ee" * 20
_GAS = 2**62  # the precompile's own price is charged by py-evm; revm's meter only must not run out
_REFUSED = "Halt { reason: PrecompileError"  # pyrevm's RuntimeError text when revm refuses the input


class InvalidInput(ValueError):
    """Raised when a precompile refuses its input (EIP-196/197); in the EVM this is py-evm's VMError."""


_local = threading.local()


def _evm() -> Any:
    evm = getattr(_local, "evm", None)
    if evm is None:  # one per thread: a pyrevm EVM is a mutable Rust object
        evm = _local.evm = pyrevm.EVM()
    return evm


def _run(precompile: int, data: bytes) -> bytes:
    evm = _evm()
    mark = evm.snapshot()  # a message call leaves its journal (~400 bytes) behind unless reverted
    try:
        return bytes(evm.message_call(_CALLER, _TARGETS[precompile], data, gas=_GAS))
    except RuntimeError as exc:
        if str(exc).startswith(_REFUSED):
            raise InvalidInput(f"precompile {precompile} refused its input") from None
        raise  # anything else is a fault of this glue, not of the input
    finally:
        evm.revert(mark)


def add(data: bytes) -> bytes:
    """ECADD (0x06): the sum of two G1 points, 64 bytes."""
    return _run(6, data)


def mul(data: bytes) -> bytes:
    """ECMUL (0x07): a G1 point times a 256-bit scalar, 64 bytes."""
    return _run(7, data)


def pairing(data: bytes) -> bytes:
    """ECPAIRING (0x08): 32 bytes, 1 when the product of the pairings of the (G1, G2) pairs is one."""
    if len(data) % PAIR_SIZE:
        raise InvalidInput(f"pairing input of {len(data)} bytes is not a multiple of {PAIR_SIZE}")
    return _run(8, data)


def _precompile(computation: ComputationAPI, gas: int, name: str, run: Callable[[bytes], bytes]) -> ComputationAPI:
    """Charges ``gas`` first (py-evm's order), then answers, or fails as py-evm does."""
    computation.consume_gas(gas, reason=f"{name} Precompile")
    try:
        computation.output = run(computation.msg.data_as_bytes)
    except InvalidInput:
        raise VMError(f"Invalid {name} parameters") from None
    return computation


def ecadd(computation: ComputationAPI) -> ComputationAPI:
    """The ECADD precompile: EIP-1108's 150 gas, py-evm's error."""
    return _precompile(computation, GAS_ECADD, "ECADD", add)


def ecmul(computation: ComputationAPI) -> ComputationAPI:
    """The ECMUL precompile: EIP-1108's 6,000 gas, py-evm's error."""
    return _precompile(computation, GAS_ECMUL, "ECMUL", mul)


def ecpairing(computation: ComputationAPI) -> ComputationAPI:
    """The ECPAIRING precompile: EIP-1108's 45,000 + 34,000 a pair; a bad length fails before any charge."""
    data = computation.msg.data_as_bytes
    if len(data) % PAIR_SIZE:
        raise VMError("Invalid ECPAIRING parameters")
    gas = GAS_ECPAIRING_BASE + len(data) // PAIR_SIZE * GAS_ECPAIRING_PER_POINT
    return _precompile(computation, gas, "ECPAIRING", pairing)


Precompile = Callable[[ComputationAPI], ComputationAPI]
PRECOMPILES: dict[bytes, Precompile] = {ECADD: ecadd, ECMUL: ecmul, ECPAIRING: ecpairing} if NATIVE else {}

if not NATIVE:
    log.debug("pyrevm is not installed: the bn254 precompiles stay py-evm's (py_ecc, pure Python)")
