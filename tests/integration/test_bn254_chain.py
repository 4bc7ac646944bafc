"""The bn254 precompiles through the embedded chain: answers, and gas as EIP-1108 prices it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from py_ecc import optimized_bn128 as bn128

from ledger import EmbeddedChain, dev_account
from ledger.rpc import Dispatcher


def word(n: int) -> bytes:
    return n.to_bytes(32, "big")


def g1(k: int) -> bytes:
    x, y = bn128.normalize(bn128.multiply(bn128.G1, k % bn128.curve_order))
    return word(int(x)) + word(int(y))


def g2(k: int) -> bytes:
    x, y = bn128.normalize(bn128.multiply(bn128.G2, k))
    return b"".join(word(int(c)) for c in (x.coeffs[1], x.coeffs[0], y.coeffs[1], y.coeffs[0]))


# e(3 G1, 5 G2) e(-15 G1, G2) e(7 G1, 11 G2) e(-77 G1, G2) = 1: four pairs, as in a Groth16 check
FOUR_PAIRS = g1(3) + g2(5) + g1(-15) + g2(1) + g1(7) + g2(11) + g1(-77) + g2(1)
ONE = "0x" + word(1).hex()


@pytest.fixture(scope="module")
def dispatcher() -> Iterator[Dispatcher]:
    chain = EmbeddedChain()
    yield Dispatcher(chain)
    chain.close()


def rpc(dispatcher: Dispatcher, method: str, *params: Any) -> dict[str, Any]:
    answer = dispatcher.handle_raw(orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
    assert answer is not None
    return dict(orjson.loads(answer))


def precompile(n: int) -> str:
    return "0x" + "00" * 19 + f"{n:02x}"


def test_an_eth_call_to_the_pairing_precompile_checks_four_pairs(dispatcher: Dispatcher) -> None:
    tx = {"to": precompile(8), "data": "0x" + FOUR_PAIRS.hex(), "gas": hex(300_000)}
    assert rpc(dispatcher, "eth_call", tx, "latest") == {"jsonrpc": "2.0", "id": 1, "result": ONE}
    wrong = FOUR_PAIRS[:-192] + g1(-76) + g2(1)
    assert rpc(dispatcher, "eth_call", {**tx, "data": "0x" + wrong.hex()}, "latest")["result"] == "0x" + word(0).hex()


# Runtime code: STATICCALL(gas = word 0, to = word 1, input = the rest), return its success flag.
PROBE = bytes.fromhex("6040360380604060003760006000826000602035600035fa60005260206000f3")
PROBE_INIT = bytes.fromhex(f"60{len(PROBE):02x}80600b6000396000f3") + PROBE


@pytest.fixture(scope="module")
def probe(dispatcher: Dispatcher) -> str:
    sent = rpc(dispatcher, "eth_sendTransaction", {"from": dev_account(4).address, "data": "0x" + PROBE_INIT.hex()})
    return str(rpc(dispatcher, "eth_getTransactionReceipt", sent["result"])["result"]["contractAddress"])


@pytest.mark.parametrize(
    ("n", "data", "price"),
    [(6, g1(1) + g1(1), 150), (7, g1(1) + word(2), 6_000), (8, FOUR_PAIRS, 45_000 + 4 * 34_000)],
    ids=["ECADD", "ECMUL", "ECPAIRING"],
)
def test_a_precompile_runs_on_exactly_eip_1108s_price(
    dispatcher: Dispatcher, probe: str, n: int, data: bytes, price: int
) -> None:
    def succeeds(gas: int) -> bool:
        tx = {"to": probe, "data": "0x" + (word(gas) + word(n) + data).hex(), "gas": hex(1_000_000)}
        return int(rpc(dispatcher, "eth_call", tx, "latest")["result"], 16) == 1

    assert succeeds(price)
    assert not succeeds(price - 1)


@pytest.mark.parametrize(
    ("n", "data", "output"),
    [(6, g1(1) + g1(1), g1(2)), (7, g1(1) + word(2), g1(2)), (7, g1(5) + word(bn128.curve_order), bytes(64))],
    ids=["ECADD", "ECMUL", "ECMUL-by-order"],
)
def test_an_eth_call_to_add_or_mul_answers_the_point(
    dispatcher: Dispatcher, n: int, data: bytes, output: bytes
) -> None:
    tx = {"to": precompile(n), "data": "0x" + data.hex(), "gas": hex(100_000)}
    assert rpc(dispatcher, "eth_call", tx, "latest")["result"] == "0x" + output.hex()


def test_a_pairing_transaction_uses_the_gas_eip_1108_says(dispatcher: Dispatcher) -> None:
    tx = {"from": dev_account(3).address, "to": precompile(8), "data": "0x" + FOUR_PAIRS.hex(), "gas": hex(300_000)}
    receipt = rpc(dispatcher, "eth_getTransactionReceipt", rpc(dispatcher, "eth_sendTransaction", tx)["result"])
    assert receipt["result"]["status"] == "0x1"
    zeros = FOUR_PAIRS.count(0)
    data_gas = 4 * zeros + 16 * (len(FOUR_PAIRS) - zeros)  # EIP-2028
    floor = 10 * (zeros + 4 * (len(FOUR_PAIRS) - zeros))  # EIP-7623's calldata floor, not reached here
    assert data_gas + 45_000 + 4 * 34_000 > floor
    assert int(receipt["result"]["gasUsed"], 16) == 21_000 + data_gas + 45_000 + 4 * 34_000


def test_refused_input_fails_the_call(dispatcher: Dispatcher) -> None:
    not_on_curve = word(1) + word(3) + g2(1)
    tx = {"to": precompile(8), "data": "0x" + not_on_curve.hex(), "gas": hex(300_000)}
    assert "error" in rpc(dispatcher, "eth_call", tx, "latest")
