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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import EmbeddedChain, dev_account
from ledger.rpc import Dispatcher, RPCLimits

ALLOWED_CODES = {-32700, -32600, -32601, -32602, -32000, -32005, 3}

hex_data = st.binary(max_size=48).map(lambda b: "0x" + b.hex())
quantities = st.integers(min_value=0, max_value=2**80).map(hex) | st.integers(min_value=-5, max_value=2**70)
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


def test_the_chain_still_mines_after_the_fuzzing(dispatcher: Dispatcher) -> None:
    before = dispatcher.chain.head().block_number
    dispatcher.call("eth_sendTransaction", [{"from": dev_account(1).address, "to": dev_account(2).address}])
    assert dispatcher.chain.head().block_number == before + 1
