"""The two example ZK programs (examples/programs/zk/), end to end: compile, Groth16 setup, prove, and
verify in Python, in zokrates-js and in the exported Solidity verifier on the embedded chain, which
all agree; the proof is worthless for another job, prover, input or result, and once tampered with."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import pytest
from web3 import Web3
from web3.exceptions import Web3Exception

import zk
from ledger import EmbeddedChain, connect, dev_account
from ledger.proofs import court_inputs

from .zk_world import Examples

pytestmark = pytest.mark.slow

PROVER = dev_account(2).address
Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583  # bn254's base field


@dataclass(frozen=True)
class Claim:
    """What the chain knows of a job's proof: the job, the prover and the two commitments."""

    job_id: bytes
    prover: str
    input_commitment: bytes
    result_commitment: bytes

    def statement(self) -> zk.JobStatement:
        """The statement the proof court builds for it (ledger.proofs.court_inputs)."""
        inputs = court_inputs(self.job_id, self.prover, self.input_commitment, self.result_commitment)
        return zk.JobStatement.from_public_inputs(inputs)


@dataclass(frozen=True)
class Example:
    program: zk.Program
    keys: zk.Keys
    claim: Claim
    private: list[Any]
    proof: zk.Proof
    lean: zk.VerifierContract
    """The key's lean verifier, compiled."""

    @property
    def statement(self) -> zk.JobStatement:
        return self.claim.statement()


def words(block: bytes) -> list[str]:
    """A block as ZoKrates u32 arguments (big-endian words)."""
    return [f"0x{int.from_bytes(block[i : i + 4], 'big'):08x}" for i in range(0, len(block), 4)]


def count_words(text: bytes) -> int:
    spaces = b" \t\n\v\f\r\0"
    return sum(1 for i, c in enumerate(text) if c not in spaces and (i == 0 or text[i - 1] in spaces))


def preimage_claim() -> tuple[Claim, list[Any]]:
    secret = os.urandom(64)
    return Claim(os.urandom(32), PROVER, zk.commitment(secret), bytes(32)), [words(secret)]


def wordcount_claim() -> tuple[Claim, list[Any]]:
    text = b"the quick brown fox\njumps over\tthe lazy dog".ljust(64, b"\0")
    salt = os.urandom(32)
    result = count_words(text).to_bytes(32, "big") + salt
    claim = Claim(os.urandom(32), PROVER, zk.commitment(text), zk.commitment(result))
    return claim, [[f"0x{c:02x}" for c in text], words(salt)]


CLAIMS = {"preimage": preimage_claim, "wordcount": wordcount_claim}


def _case(name: str) -> tuple[zk.JobStatement, list[Any]]:
    claim, private = CLAIMS[name]()
    return claim.statement(), private


CASES = {name: partial(_case, name) for name in CLAIMS}
"""Each example's (statement, private arguments), fresh per call (bench/verify.py proves them)."""


@pytest.fixture(scope="module", params=sorted(CLAIMS))
def example(request: pytest.FixtureRequest, zk_examples: Examples) -> Example:
    built = zk_examples[request.param]  # compiled and set up once a session
    claim, private = CLAIMS[request.param]()
    proof = zk.prove_job(built.program, built.keys.proving_key, claim.statement(), private)
    return Example(built.program, built.keys, claim, private, proof, built.lean)


def other_statements(claim: Claim) -> dict[str, zk.JobStatement]:
    """The statements of the claim with one thing changed: each binds the proof to something else."""
    flipped = (int.from_bytes(claim.result_commitment, "big") ^ 1).to_bytes(32, "big")
    changes = {
        "job id": replace(claim, job_id=claim.job_id[:-1] + bytes([claim.job_id[-1] ^ 1])),
        "job id's high bit": replace(claim, job_id=bytes([claim.job_id[0] ^ 0x80]) + claim.job_id[1:]),
        "prover": replace(claim, prover=dev_account(3).address),
        "input": replace(claim, input_commitment=zk.commitment(bytes(64))),
        "result": replace(claim, result_commitment=flipped),
    }
    return {name: other.statement() for name, other in changes.items()}


def tampered(proof: zk.Proof) -> zk.Proof:
    """The proof with A negated: still a point of G1, no longer a proof."""
    return zk.Proof(a=(proof.a[0], Q - proof.a[1]), b=proof.b, c=proof.c, inputs=proof.inputs)


def test_the_program_has_the_job_layout_and_survives_the_store(example: Example) -> None:
    assert example.program.public_inputs == zk.PUBLIC_INPUTS
    assert zk.Program.from_bytes(example.program.to_bytes()) == example.program
    assert zk.VerificationKey.from_bytes(example.keys.verification_key.to_bytes()) == example.keys.verification_key
    assert example.proof.inputs == example.statement.public_inputs()


def test_a_valid_proof_verifies_in_python_and_in_zokrates(example: Example) -> None:
    key = example.keys.verification_key
    assert zk.verify_job(key, example.proof, example.statement)
    assert zk.verify_with_zokrates(key, example.proof)


def test_python_and_zokrates_refuse_the_proof_for_any_other_statement(example: Example) -> None:
    key = example.keys.verification_key
    for name, other in other_statements(example.claim).items():
        claimed = example.proof.with_inputs(other.public_inputs())
        assert (zk.verify(key, claimed), zk.verify_with_zokrates(key, claimed)) == (False, False), name
    bad = tampered(example.proof)
    assert (zk.verify(key, bad), zk.verify_with_zokrates(key, bad)) == (False, False)


def test_a_wrong_witness_fails_an_assertion_and_proves_nothing(example: Example) -> None:
    other = other_statements(example.claim)["input"]
    with pytest.raises(zk.WitnessError) as caught:
        zk.prove_job(example.program, example.keys.proving_key, other, example.private)
    assert caught.value.assertion


@pytest.fixture(scope="module")
def w3() -> Iterator[Web3]:
    chain = EmbeddedChain()
    yield connect(chain=chain)
    chain.close()


def deploy(w3: Web3, contract: zk.VerifierContract) -> Any:
    sent = w3.eth.send_transaction({"from": dev_account(0).address, "data": contract.bytecode, "gas": 6_000_000})
    receipt = w3.eth.wait_for_transaction_receipt(sent)
    assert receipt["status"] == 1
    return w3.eth.contract(address=receipt["contractAddress"], abi=contract.abi)


def outcome(verifier: Any, proof: zk.Proof) -> bool | str:
    """What ``verifyTx`` answers, or "revert" (an explicit gas limit: an estimate of a pairing check is wrong)."""
    try:
        return bool(verifier.functions.verifyTx(*proof.verifier_arguments()).call({"gas": 1_000_000}))
    except Web3Exception:
        return "revert"


def variants(example: Example) -> dict[str, zk.Proof]:
    proof = example.proof
    (cx, cy), (ax, ay) = proof.c, proof.a
    out = {"valid": proof, "A negated": tampered(proof)}
    out |= {
        f"{name} changed": proof.with_inputs(o.public_inputs()) for name, o in other_statements(example.claim).items()
    }
    out["input of r or more"] = proof.with_inputs((*proof.inputs[:2], proof.inputs[2] + zk.FIELD_MODULUS))
    out["C's y plus q"] = zk.Proof(a=proof.a, b=proof.b, c=(cx, cy + Q), inputs=proof.inputs)  # the same C, reduced
    out["A's y plus q"] = zk.Proof(a=(ax, ay + Q), b=proof.b, c=proof.c, inputs=proof.inputs)
    out["C off the curve"] = zk.Proof(a=proof.a, b=proof.b, c=(1, 3), inputs=proof.inputs)
    out["B's coordinates swapped"] = zk.Proof(a=proof.a, b=(proof.b[1], proof.b[0]), c=proof.c, inputs=proof.inputs)
    return out


EXPECTED: dict[str, bool | str] = {
    "valid": True,
    "input of r or more": "revert",
    "C's y plus q": True,  # both contracts reduce y when they negate C, as zk.verify does
    "A's y plus q": "revert",
    "C off the curve": "revert",
    "B's coordinates swapped": "revert",
}


def test_the_exported_and_the_lean_verifier_on_the_embedded_chain_agree_with_python(w3: Web3, example: Example) -> None:
    key = example.keys.verification_key
    exported = deploy(w3, zk.compile_verifier(zk.export_verifier(key)))
    lean = deploy(w3, example.lean)
    for name, proof in variants(example).items():
        expected = EXPECTED.get(name, False)
        answers = (outcome(exported, proof), outcome(lean, proof), zk.verify(key, proof))
        # where ZoKrates' verifier reverts, the lean one answers false (a revert is the verifier's fault)
        assert answers == (expected, expected is True, expected is True), name
