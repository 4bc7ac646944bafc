"""The bn254 operations a Groth16 check needs, EIP-196/197 style: bytes in, bytes out.

`Revm` runs them as message calls to the precompiles 0x06-0x08 in an empty pyrevm EVM (Rust,
~10 ms for a check); `PyEcc` computes them with py_ecc in pure Python (~0.6 s), for a machine
without pyrevm. Both refuse what the precompiles refuse (coordinates >= the field modulus, points
off their curve, G2 points outside the subgroup) by raising `InvalidPoint`. Any object with the
same three methods can be passed to `zk.verify` instead (ledger's own precompiles, say).
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from py_ecc import optimized_bn128 as bn

_Q = bn.field_modulus
_PAIR = 192


class InvalidPoint(ValueError):
    """Raised when an input is not a valid point (or encoding) for the operation."""


class Bn254(Protocol):
    """ECADD (0x06), ECMUL (0x07) and ECPAIRING (0x08) on their EIP-196/197 encodings."""

    def add(self, data: bytes) -> bytes: ...

    def mul(self, data: bytes) -> bytes: ...

    def pairing(self, data: bytes) -> bytes: ...


class Revm:
    """The precompiles of revm through pyrevm (one EVM per thread: it is a mutable Rust object)."""

    _CALLER = "0x" + "ee" * 20
    _TARGETS = {n: "0x" + "00" * 19 + f"{n:02x}" for n in (6, 7, 8)}
    _REFUSED = "Halt { reason: PrecompileError"

    def __init__(self) -> None:
        import pyrevm  # noqa: F401 - fails here, not on first use, when it is not installed

        self._local = threading.local()

    def _run(self, precompile: int, data: bytes) -> bytes:
        evm = getattr(self._local, "evm", None)
        if evm is None:
            import pyrevm

            evm = self._local.evm = pyrevm.EVM()
        mark = evm.snapshot()
        try:
            return bytes(evm.message_call(self._CALLER, self._TARGETS[precompile], data, gas=2**62))
        except RuntimeError as exc:
            if str(exc).startswith(self._REFUSED):
                raise InvalidPoint(f"precompile {precompile} refused its input") from None
            raise
        finally:
            evm.revert(mark)

    def add(self, data: bytes) -> bytes:
        return self._run(6, data)

    def mul(self, data: bytes) -> bytes:
        return self._run(7, data)

    def pairing(self, data: bytes) -> bytes:
        if len(data) % _PAIR:
            raise InvalidPoint(f"pairing input of {len(data)} bytes")
        return self._run(8, data)


def _words(data: bytes, count: int) -> list[int]:
    data = data[: 32 * count].ljust(32 * count, b"\0")
    return [int.from_bytes(data[i : i + 32], "big") for i in range(0, 32 * count, 32)]


def _g1(x: int, y: int) -> Any:
    if x >= _Q or y >= _Q:
        raise InvalidPoint("a coordinate is not below the field modulus")
    if x == 0 and y == 0:
        return bn.Z1
    point = (bn.FQ(x), bn.FQ(y), bn.FQ(1))
    if not bn.is_on_curve(point, bn.b):
        raise InvalidPoint("not a point of G1")
    return point


def _g2(x_im: int, x_re: int, y_im: int, y_re: int) -> Any:
    if max(x_im, x_re, y_im, y_re) >= _Q:
        raise InvalidPoint("a coordinate is not below the field modulus")
    if x_im == x_re == y_im == y_re == 0:
        return bn.Z2
    point = (bn.FQ2([x_re, x_im]), bn.FQ2([y_re, y_im]), bn.FQ2.one())
    if not bn.is_on_curve(point, bn.b2) or not bn.is_inf(bn.multiply(point, bn.curve_order)):
        raise InvalidPoint("not a point of G2")
    return point


def _encode(point: Any) -> bytes:
    if bn.is_inf(point):
        return bytes(64)
    x, y = bn.normalize(point)
    return int(x.n).to_bytes(32, "big") + int(y.n).to_bytes(32, "big")


class PyEcc:
    """The same operations in pure Python (py_ecc)."""

    def add(self, data: bytes) -> bytes:
        x1, y1, x2, y2 = _words(data, 4)
        return _encode(bn.add(_g1(x1, y1), _g1(x2, y2)))

    def mul(self, data: bytes) -> bytes:
        x, y, s = _words(data, 3)
        return _encode(bn.multiply(_g1(x, y), s))

    def pairing(self, data: bytes) -> bytes:
        if len(data) % _PAIR:
            raise InvalidPoint(f"pairing input of {len(data)} bytes")
        product = bn.FQ12.one()
        for i in range(0, len(data), _PAIR):
            x, y, *g2 = _words(data[i : i + _PAIR], 6)
            p1, p2 = _g1(x, y), _g2(*g2)
            if not bn.is_inf(p1) and not bn.is_inf(p2):
                product *= bn.pairing(p2, p1, final_exponentiate=False)
        one = bn.final_exponentiate(product) == bn.FQ12.one()
        return int(one).to_bytes(32, "big")


_default: Bn254 | None = None


def default() -> Bn254:
    """pyrevm's precompiles when pyrevm is installed, else py_ecc."""
    global _default
    if _default is None:
        try:
            _default = Revm()
        except ImportError:
            _default = PyEcc()
    return _default
