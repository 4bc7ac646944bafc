"""The bn254 precompiles 0x06-0x08 on revm (`ledger._bn254`) against py-evm's own (py_ecc).

Both run on the same stand-in for py-evm's computation, so outputs, `VMError` messages and the
gas charged are compared whole: on our EIP-196/197 cases (tests/data/bn254/, README there: valid
sums, products and pairings, and every way an input is refused) and on random input
(Hypothesis). py_ecc needs ~0.4 s a pair: the cases that make it pair are marked slow.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, NamedTuple

import orjson
import pytest
from eth.exceptions import VMError
from eth.vm.forks.prague.computation import PragueComputation
from hypothesis import given, settings
from hypothesis import strategies as st
from py_ecc import optimized_bn128 as bn128

from ledger import _bn254, _evm

DATA = Path(__file__).resolve().parents[1] / "data" / "bn254"
STOCK = PragueComputation.get_precompiles()  # py-evm's, on py_ecc
ADDRESS = {6: _bn254.ECADD, 7: _bn254.ECMUL, 8: _bn254.ECPAIRING}
ERROR = {6: "Invalid ECADD parameters", 7: "Invalid ECMUL parameters", 8: "Invalid ECPAIRING parameters"}
P, R = bn128.field_modulus, bn128.curve_order


class Case(NamedTuple):
    name: str
    precompile: int
    data: bytes
    expected: str | None  # hex output, None when refused


class Stub:
    """What a precompile reads and writes of py-evm's computation."""

    def __init__(self, data: bytes) -> None:
        self.msg = SimpleNamespace(data=data, data_as_bytes=data)
        self.output = b""
        self.gas = 0

    def consume_gas(self, amount: int, reason: str) -> None:
        self.gas += amount


def outcome(precompile: Any, data: bytes) -> tuple[str, int]:
    """(output in hex or the VMError's message, gas charged)."""
    stub = Stub(data)
    try:
        precompile(stub)
    except VMError as exc:
        return f"error: {exc}", stub.gas
    return stub.output.hex(), stub.gas


def eip_1108_gas(precompile: int, data: bytes) -> int:
    if precompile == 8:
        return 0 if len(data) % 192 else 45_000 + 34_000 * (len(data) // 192)
    return {6: 150, 7: 6_000}[precompile]


def load(name: str) -> Any:
    return orjson.loads((DATA / name).read_bytes())


def vectors() -> list[Any]:
    cases = [
        Case(v["Name"], int(v["Precompile"], 16), bytes.fromhex(v["Input"]), v.get("Expected"))
        for v in load("edge_cases.json")
    ]
    slow = [pytest.mark.slow]  # py_ecc computes at least one pairing
    return [pytest.param(c, id=c.name, marks=slow if c.precompile == 8 and len(c.data) >= 192 else ()) for c in cases]


def test_revm_is_installed_and_wired_in() -> None:
    assert _bn254.NATIVE, "pyrevm is a dependency: without it every pairing is ~100x slower"
    table = _evm.AgoraComputation._precompiles
    assert [table[ADDRESS[n]].__wrapped__ for n in (6, 7, 8)] == [_bn254.ecadd, _bn254.ecmul, _bn254.ecpairing]


def test_without_revm_the_precompiles_are_py_evms() -> None:
    table = _evm.precompile_table({})
    assert table[ADDRESS[6]].__wrapped__ is STOCK[ADDRESS[6]]
    assert table[ADDRESS[7]].__wrapped__ is STOCK[ADDRESS[7]]
    assert table[ADDRESS[8]] is _evm._pairing  # py_ecc pair by pair, stopped by the deadline


@pytest.mark.parametrize("case", vectors())
def test_vectors_give_the_same_output_error_and_gas_on_both(case: Case) -> None:
    expected = case.expected if case.expected is not None else f"error: {ERROR[case.precompile]}"
    native = outcome(_bn254.PRECOMPILES[ADDRESS[case.precompile]], case.data)
    assert native == (expected, eip_1108_gas(case.precompile, case.data))
    assert outcome(STOCK[ADDRESS[case.precompile]], case.data) == native


def test_a_long_pairing_goes_pair_by_pair_through_py_ecc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Native code holds the GIL and cannot be stopped: over MAX_NATIVE_PAIRS, py_ecc's turn."""
    seen: list[int] = []
    monkeypatch.setattr(_evm, "_pairing", lambda computation: seen.append(len(computation.msg.data)))
    run = _evm.precompile_table(_bn254.PRECOMPILES)[ADDRESS[8]]
    limit = _bn254.MAX_NATIVE_PAIRS * 192
    stub = Stub(b"\0" * limit)  # pairs of points at infinity: cheap either way
    run(stub)
    assert seen == [] and stub.output == (1).to_bytes(32, "big")
    run(Stub(b"\0" * (limit + 192)))
    assert seen == [limit + 192]


def test_invalid_input_is_reported_as_invalid_input() -> None:
    with pytest.raises(_bn254.InvalidInput):
        _bn254.add((1).to_bytes(32, "big") * 2)  # (1, 1) is not on the curve
    with pytest.raises(_bn254.InvalidInput):
        _bn254.pairing(b"\0" * 100)
    assert _bn254.pairing(b"") == (1).to_bytes(32, "big")


# -- random input ------------------------------------------------------------------------------


def word(n: int) -> bytes:
    return n.to_bytes(32, "big")


def encode_g1(point: Any) -> bytes:
    if bn128.is_inf(point):
        return bytes(64)
    x, y = bn128.normalize(point)
    return word(int(x)) + word(int(y))


def encode_g2(point: Any) -> bytes:
    if bn128.is_inf(point):
        return bytes(128)
    x, y = bn128.normalize(point)
    return b"".join(word(int(c)) for c in (x.coeffs[1], x.coeffs[0], y.coeffs[1], y.coeffs[0]))


SCALARS = st.one_of(st.integers(0, 2**64), st.sampled_from([R - 1, R, R + 1, 2**256 - 1]))
NEAR_P = st.sampled_from([0, 1, 2, 3, P - 1, P, P + 1, 2**256 - 1])
G1_POINTS = st.one_of(
    SCALARS.map(lambda k: encode_g1(bn128.multiply(bn128.G1, k))),  # valid (k = 0: infinity)
    st.tuples(NEAR_P, NEAR_P).map(lambda xy: word(xy[0]) + word(xy[1])),  # edges of the field
    st.binary(min_size=64, max_size=64),  # almost never on the curve
)
G2_POINTS = st.one_of(
    st.integers(0, 2**32).map(lambda k: encode_g2(bn128.multiply(bn128.G2, k))),
    st.just(bytes(128)),
    st.binary(min_size=128, max_size=128),
)


@st.composite
def cut(draw: st.DrawFn, whole: st.SearchStrategy[bytes]) -> bytes:
    """``whole`` as is, or cut short or lengthened (short ADD/MUL input is zero-padded)."""
    data = draw(whole) + draw(st.binary(max_size=40))
    return data[: draw(st.integers(0, len(data)))] if draw(st.booleans()) else data


@st.composite
def pairing_input(draw: st.DrawFn) -> bytes:
    pairs = [draw(G1_POINTS) + draw(G2_POINTS) for _ in range(draw(st.integers(0, 2)))]
    if draw(st.booleans()):  # e(aG1, bG2) e(-abG1, G2) = 1: a check that passes
        a, b = draw(st.integers(1, 2**32)), draw(st.integers(1, 2**32))
        pairs += [
            encode_g1(bn128.multiply(bn128.G1, a)) + encode_g2(bn128.multiply(bn128.G2, b)),
            encode_g1(bn128.neg(bn128.multiply(bn128.G1, a * b))) + encode_g2(bn128.G2),
        ]
    data = b"".join(pairs)
    if draw(st.integers(0, 4)) == 0:  # now and then a length that is not a multiple of 192
        data = data[: draw(st.integers(0, max(0, len(data) - 1)))] + draw(st.binary(max_size=3))
    return data


def same(precompile: int, data: bytes) -> None:
    address = ADDRESS[precompile]
    assert outcome(_bn254.PRECOMPILES[address], data) == outcome(STOCK[address], data)


@settings(max_examples=150, deadline=None)
@given(cut(st.tuples(G1_POINTS, G1_POINTS).map(b"".join)))
def test_random_additions_agree_with_py_ecc(data: bytes) -> None:
    same(6, data)


@settings(max_examples=100, deadline=None)
@given(cut(st.tuples(G1_POINTS, SCALARS.map(word)).map(b"".join)))
def test_random_multiplications_agree_with_py_ecc(data: bytes) -> None:
    same(7, data)


@pytest.mark.slow
@settings(max_examples=12, deadline=None)
@given(pairing_input())
def test_random_pairings_agree_with_py_ecc(data: bytes) -> None:
    same(8, data)
