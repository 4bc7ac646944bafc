"""A bounded fuzz run of the JSON-RPC dispatcher: whatever the body, a valid JSON-RPC answer.

Requests are drawn near the real method table (known methods, plausible and implausible
params, odd ids, batches, notifications) and as raw bytes. No answer may be an internal error
(-32603, which means a bug reached the catch-all) or mention a traceback, and the chain must
still mine afterwards.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import rlp
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ledger import EmbeddedChain, dev_account
from ledger.rpc import Dispatcher, RPCLimits

ALLOWED_CODES = {-32700, -32600, -32601, -32602, -32000, -32005, 3}

hex_data = st.binary(max_size=48).map(lambda b: "0x" + b.hex())
quantities = st.integers(min_value=0, max_value=2**256 + 5).map(hex) | st.integers(min_value=-5, max_value=2**70)
addresses = st.sampled_from([dev_account(i).address for i in range(3)] + ["0x" + "00" * 20, "0x12", "nope"])
tags = st.sampled_from(["latest", "pending", "earliest", "safe", "0x0", "0x1", "0xffffffff", "banana", None])
scalars = (
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=False) | st.text(max_size=20)
)
json_values = st.recursive(
    scalars | hex_data | tags,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
call_objects = st.fixed_dictionaries(
    {},
    optional={
        "from": addresses,
        "to": addresses | st.none(),
        "data": hex_data,
        "input": hex_data,
        "gas": quantities,
        "value": quantities,
        "gasPrice": quantities,
        "maxFeePerGas": quantities,
        "maxPriorityFeePerGas": quantities,
        "nonce": quantities,
        "bogus": json_values,
    },
)
params = st.lists(call_objects | tags | hex_data | quantities | addresses | json_values, max_size=4)
ids = st.none() | st.integers(-(2**63), 2**63) | st.text(max_size=8) | st.floats(allow_nan=False) | json_values


@pytest.fixture(scope="module")
def dispatcher() -> Iterator[Dispatcher]:
    chain = EmbeddedChain()
    limits = dataclasses.replace(RPCLimits.from_settings(), evm_timeout=0.5, batch_timeout=1.0)
    yield Dispatcher(chain, limits)
    chain.close()


def requests_for(dispatcher: Dispatcher) -> st.SearchStrategy[Any]:
    methods = st.sampled_from(sorted(dispatcher._methods)) | st.text(max_size=12) | json_values
    one = st.fixed_dictionaries(
        {"jsonrpc": st.just("2.0") | json_values, "method": methods},
        optional={"params": params | json_values, "id": ids},
    )
    return one | st.lists(one, max_size=5) | json_values


def check(raw: bytes | None) -> None:
    if raw is None:
        return  # notifications only
    answer = orjson.loads(raw)
    answers = answer if isinstance(answer, list) else [answer]
    for item in answers:
        assert item["jsonrpc"] == "2.0"
        assert ("result" in item) != ("error" in item)
        if "error" in item:
            assert item["error"]["code"] in ALLOWED_CODES, item
            assert "Traceback" not in item["error"]["message"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_request_gets_a_json_rpc_answer(dispatcher: Dispatcher, data: st.DataObject) -> None:
    payload = data.draw(requests_for(dispatcher))
    check(dispatcher.handle_raw(json.dumps(payload).encode()))  # json: it writes integers of any size


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_body_gets_a_json_rpc_answer(dispatcher: Dispatcher, body: bytes) -> None:
    check(dispatcher.handle_raw(body))


small = st.integers(min_value=0, max_value=2**64)
signed = st.fixed_dictionaries(
    {
        "to": st.sampled_from([dev_account(i).address for i in range(3)]) | st.none(),
        "gas": st.sampled_from([0, 21_000, 100_000, 40_000_000]) | st.integers(0, 2**64),
    },
    optional={
        "value": small,
        "data": st.binary(max_size=64),
        "nonce": st.integers(0, 2**64),
        "chainId": st.sampled_from([31337, 1, 0, 2**64]),
        "gasPrice": small,
        "maxFeePerGas": small,
        "maxPriorityFeePerGas": small,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=signed, parity=st.none() | st.integers(0, 300))
def test_any_signed_transaction_gets_a_json_rpc_answer(
    dispatcher: Dispatcher, fields: dict[str, Any], parity: Any
) -> None:
    """Transactions a client could sign: wrong chains, fees upside down, odd y-parities."""
    nonce = int(dispatcher.call("eth_getTransactionCount", [dev_account(4).address, "latest"]), 16)
    fields = {"chainId": 31337, "nonce": nonce, **fields}
    if fields["to"] is None:
        del fields["to"]
    if "gasPrice" in fields and ("maxFeePerGas" in fields or "maxPriorityFeePerGas" in fields):
        del fields["gasPrice"]
    if "gasPrice" not in fields and "maxFeePerGas" not in fields:
        fields["gasPrice"] = 10**9
    if "maxPriorityFeePerGas" in fields and "maxFeePerGas" not in fields:
        fields["maxFeePerGas"] = fields["maxPriorityFeePerGas"]
    try:
        raw = bytes(dev_account(4).sign_transaction(fields).raw_transaction)
    except Exception:  # noqa: BLE001 - eth-account refuses to sign it: nothing to send
        return
    if parity is not None and raw[0] in (1, 2):
        items = rlp.decode(raw[1:])
        items[-3] = rlp.sedes.big_endian_int.serialize(parity)
        raw = raw[:1] + rlp.encode(items)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": ["0x" + raw.hex()]})
    answer = dispatcher.handle_raw(body.encode())
    check(answer)
    event("mined" if answer is not None and b'"result"' in answer else "refused")


def test_the_chain_still_mines_after_the_fuzzing(dispatcher: Dispatcher) -> None:
    before = dispatcher.chain.head().block_number
    dispatcher.call("eth_sendTransaction", [{"from": dev_account(1).address, "to": dev_account(2).address}])
    assert dispatcher.chain.head().block_number == before + 1
