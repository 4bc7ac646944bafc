"""`_Client._call` encodes a view's arguments and decodes its answer itself (web3's contract
call cost ~6 ms more a read): for every view of every deployed contract, on a market with a
job posted and locked, it answers as web3's path does, or fails with the same ledger error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from web3 import Web3

from ledger import Deployment, LedgerError, artifact, dev_account
from ledger._tx import mapped_errors
from ledger.clients import _Client

from .market_helpers import fund_actors, make_request, post

SAMPLE: dict[str, list[Any]] = {
    "address": [dev_account(1).address, dev_account(2).address, "0x" + "00" * 20],
    "bool": [True, False],
    "string": ["alice", ""],
    "bytes": [b"", b"\x01\x02"],
}


def _samples(kind: str, job_id: bytes) -> list[Any]:
    if kind in SAMPLE:
        return SAMPLE[kind]
    if kind == "bytes32":
        return [job_id, b"\x00" * 32, Web3.keccak(text="agora")]
    if kind.startswith(("uint", "int")):
        return [0, 1, 2]
    if kind.startswith("bytes"):
        return [b"\x01" * int(kind[5:])]
    return []  # tuples and arrays: the request's hash below covers the one view that takes one


def _arguments(abi: dict[str, Any], job_id: bytes) -> Iterator[tuple[Any, ...]]:
    inputs = [i["type"] for i in abi["inputs"]]
    choices = [_samples(kind, job_id) for kind in inputs]
    if any(not c for c in choices):
        return
    for n in range(3):  # the i-th sample of each argument (wrapping): a few combinations, not all
        yield tuple(c[(n + j) % len(c)] for j, c in enumerate(choices))


def _outcome(call: Any) -> tuple[str, Any]:
    try:
        with mapped_errors():
            return "value", call()
    except LedgerError as exc:
        return type(exc).__name__, str(exc)


@pytest.fixture
def market(deployed: tuple[Web3, Deployment]) -> tuple[Web3, Deployment, bytes]:
    w3, deployment = deployed
    actors = fund_actors(w3, deployment, workers=1)
    job_id = post(actors, make_request(w3, k=1, q=1))
    actors.workers[0].lock(job_id)
    return w3, deployment, job_id


def test_every_view_answers_as_through_web3(market: tuple[Web3, Deployment, bytes]) -> None:
    w3, deployment, job_id = market
    client = _Client(w3, deployment)
    compared = 0
    for name in deployment.contracts:
        contract = client._contract(name)
        for abi in artifact(name)["abi"]:
            if abi.get("type") != "function" or abi.get("stateMutability") not in ("view", "pure"):
                continue
            for args in _arguments(abi, job_id):
                fn = abi["name"]
                ours = _outcome(lambda c=contract, fn=fn, args=args: client._call(c, fn, *args))
                theirs = _outcome(lambda c=contract, fn=fn, args=args: c.functions[fn](*args).call())
                assert ours == theirs, (name, fn, args)
                compared += 1
    assert compared > 100  # every contract's views, not a handful


def test_a_tuple_a_hex_string_and_a_lower_case_address_answer_as_through_web3(
    market: tuple[Web3, Deployment, bytes],
) -> None:
    """A request tuple takes web3's path; a hex string for bytes32 is taken by the codec as web3
    takes it; an address not in checksum form is refused as web3 refuses it."""
    w3, deployment, job_id = market
    client = _Client(w3, deployment)
    contract = client._contract("JobMarket")
    request = make_request(w3, k=1, q=1).as_tuple()
    assert client._call(contract, "hashRequest", request) == contract.functions.hashRequest(request).call()
    hexed = "0x" + job_id.hex()
    assert client._call(contract, "job", hexed) == contract.functions.job(job_id).call()
    lower = dev_account(1).address.lower()
    with pytest.raises(Exception) as ours:  # noqa: PT011 - web3's own error, whichever it is
        client._call(contract, "nonceUsed", lower, 0)
    with pytest.raises(Exception) as theirs:  # noqa: PT011
        contract.functions.nonceUsed(lower, 0).call()
    assert type(ours.value) is type(theirs.value)
