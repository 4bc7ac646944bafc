"""contracts/test/data/zk.json (tools/zk_fixture.py), the real Groth16 data the proof court's Foundry
tests run on, checked from Python: each verifier's runtime is what the pinned solc compiles from its
key's lean verifier, its pin names that code, the job ids are the requests' hashes, and each proof
verifies for its job, prover and commitments (and for no other job or prover)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from eth_utils import keccak

import zk
from ledger import pin_of
from ledger.proofs import court_inputs, job_binding

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = orjson.loads((ROOT / "contracts" / "test" / "data" / "zk.json").read_bytes())


def _tool() -> Any:
    spec = importlib.util.spec_from_file_location("zk_fixture", ROOT / "tools" / "zk_fixture.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["zk_fixture"] = module
    spec.loader.exec_module(module)
    return module


def _bytes(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


@pytest.mark.parametrize("name", ["wordcount", "preimage"])
def test_each_verifier_is_the_lean_verifier_of_its_key(name: str) -> None:
    entry = FIXTURE["verifiers"][name]
    key = zk.VerificationKey.from_json(entry["key"])
    runtime = zk.compile_verifier(zk.lean_verifier(key)).deployed_bytecode
    assert runtime == _bytes(entry["runtime"])
    assert pin_of(entry["address"], keccak(runtime)) == _bytes(entry["pin"])


def test_the_job_ids_are_the_requests_and_each_proof_verifies_for_its_job_only() -> None:
    tool = _tool()
    pins = {name: _bytes(v["pin"]) for name, v in FIXTURE["verifiers"].items()}
    x, x2 = _bytes(FIXTURE["inputCommitment"]), _bytes(FIXTURE["otherInputCommitment"])
    requests = {
        "A": tool.request(1000, pins["wordcount"], x, "wordcount"),
        "B": tool.request(1001, pins["wordcount"], x, "wordcount"),
        "C": tool.request(1002, pins["wordcount"], x2, "wordcount"),
        "D": tool.request(1003, pins["preimage"], x, "wordcount"),
    }
    assert {job: "0x" + r.struct_hash().hex() for job, r in requests.items()} == FIXTURE["jobs"]
    assert FIXTURE["prover"] == tool.forge_address("worker0")
    bindings = {job: f"0x{job_binding(_bytes(j), FIXTURE['prover']):064x}" for job, j in FIXTURE["jobs"].items()}
    assert bindings == FIXTURE["bindings"]  # what ProofCourt.t.sol holds the Solidity binding to
    key = zk.VerificationKey.from_json(FIXTURE["verifiers"]["wordcount"]["key"])
    y = _bytes(FIXTURE["resultCommitment"])
    copier = tool.forge_address("worker1")
    for job, encoded in FIXTURE["proofs"].items():
        claims = [(other, FIXTURE["prover"]) for other in FIXTURE["jobs"]] + [(job, copier)]
        for other, prover in claims:
            inputs = court_inputs(_bytes(FIXTURE["jobs"][other]), prover, x, y)
            statement = zk.JobStatement.from_public_inputs(inputs)
            proof = zk.Proof.decode(_bytes(encoded), statement.public_inputs())
            expected = other == job and prover == FIXTURE["prover"]
            assert zk.verify_job(key, proof, statement) == expected, (job, other, prover)
