"""A ZK job's public-input layout (the binding of the job and the prover, two commitments), Pedersen
commitments, the r1cs check for unbound inputs and the ABI's names."""

from __future__ import annotations

import struct

import pytest
from eth_utils import keccak

import zk
from ledger.proofs import court_inputs, job_binding
from zk.r1cs import public_wires_unused
from zk.toolchain import _public_inputs

JOB_ID = bytes.fromhex("ec55236687367d7e33aa3aad61bdea45" + "3438f4bbb336e427522438b19fb61838")
PROVER = "0x" + "ab" * 20
# keccak256(abi.encode(JOB_ID, PROVER)) >> 3, as `cast keccak` and ProofCourt.publicInputs compute it
BINDING = int.from_bytes(keccak(JOB_ID + bytes(12) + bytes.fromhex("ab" * 20)), "big") >> 3


def test_the_job_and_the_prover_are_bound_in_one_253_bit_element_first() -> None:
    inputs = court_inputs(JOB_ID, PROVER, (5).to_bytes(32, "big"), bytes(32))
    assert inputs == [BINDING, 5, 0]
    assert job_binding(JOB_ID, PROVER) == BINDING < zk.BINDING_BOUND == 2**253 < zk.FIELD_MODULUS
    statement = zk.JobStatement.from_public_inputs(inputs)
    assert statement.public_inputs() == (BINDING, 5, 0)
    assert statement.arguments() == [str(BINDING), "5", "0"]
    assert zk.JobStatement.of(binding=BINDING, input_commitment=5, result_commitment=bytes(32)) == statement
    assert zk.PUBLIC_INPUTS == ("binding", "input_commitment", "result_commitment")


def test_another_job_or_prover_is_another_binding() -> None:
    assert job_binding(JOB_ID[:-1] + b"\x00", PROVER) != BINDING
    assert job_binding(JOB_ID, "0x" + "ab" * 19 + "aa") != BINDING
    assert job_binding(JOB_ID, PROVER.upper().replace("0X", "0x")) == BINDING  # an address, however cased


@pytest.mark.parametrize(("job_id", "prover"), [(b"\x01" * 31, PROVER), (JOB_ID, "0x1234")])
def test_a_binding_of_malformed_chain_values_is_refused(job_id: bytes, prover: str) -> None:
    with pytest.raises(ValueError, match="a job id is 32 bytes and a prover 20"):
        job_binding(job_id, prover)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"input_commitment": zk.FIELD_MODULUS}, "input commitment is not below"),
        ({"result_commitment": b"\xff" * 32}, "result commitment is not below"),
        ({"binding": 2**253}, "binding is not below 2"),
        ({"binding": b"\x01" * 31}, "binding must be 32 bytes"),
        ({"input_commitment": 1 << 256}, "not a 256-bit value"),
    ],
)
def test_values_that_do_not_fit_the_layout_are_refused(values: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"binding": BINDING, "input_commitment": 1, "result_commitment": 2}
    with pytest.raises(zk.InvalidStatement, match=message):
        zk.JobStatement.of(**{**fields, **values})  # type: ignore[arg-type]


def test_public_inputs_out_of_the_layout_are_refused() -> None:
    with pytest.raises(zk.InvalidStatement, match="not below 2"):
        zk.JobStatement.from_public_inputs([2**253, 0, 0])
    with pytest.raises(zk.InvalidStatement, match="3 public inputs, not 5"):
        zk.JobStatement.from_public_inputs([0, 0, 0, 0, 0])


# bytes(range(7, 71)), hashed by ZoKrates' stdlib hashes/pedersen/512bitBool (zokrates-js 1.1.9).
BLOCK = bytes(range(7, 71))
STDLIB_COMPRESSED = "2d82e512bd2033000aac3b6d525ce331736255b83378b2ec091a5dcee691f0ef"


def test_the_commitment_is_the_y_coordinate_of_zokrates_pedersen_hash() -> None:
    assert zk.compressed(BLOCK).hex() == STDLIB_COMPRESSED
    y = int(STDLIB_COMPRESSED, 16) & (2**255 - 1)  # the top bit is x's parity
    assert zk.commitment(BLOCK) == y.to_bytes(32, "big")
    assert int.from_bytes(zk.commitment(BLOCK), "big") < zk.FIELD_MODULUS
    assert zk.commitment(BLOCK[:-1] + b"\x00") != zk.commitment(BLOCK)


def test_a_commitment_covers_exactly_one_block() -> None:
    with pytest.raises(ValueError, match="exactly 64 bytes"):
        zk.commitment(b"short")


def test_the_circuit_library_holds_the_generators_of_the_hash() -> None:
    source = zk.library_source()
    assert "def main(bool[512] inputs) -> field[2]" in source
    assert source.count("\n    [") == 2 * 171  # 171 windows of 3 bits, an x and a y table
    assert source == zk.library_source()


def r1cs(public_inputs: int, constraints: list[list[dict[int, int]]]) -> bytes:
    """An iden3 r1cs file: no outputs, ``public_inputs`` inputs, one private wire."""
    prime = zk.FIELD_MODULUS.to_bytes(32, "little")
    header = struct.pack("<I", 32) + prime + struct.pack("<IIIIQI", 2 + public_inputs, 0, public_inputs, 1, 0, 0)
    header = header[:-4] + struct.pack("<I", len(constraints))
    body = b""
    for constraint in constraints:
        for combination in constraint:
            body += struct.pack("<I", len(combination))
            body += b"".join(struct.pack("<I", w) + c.to_bytes(32, "little") for w, c in combination.items())
    sections = struct.pack("<IQ", 1, len(header)) + header + struct.pack("<IQ", 2, len(body)) + body
    return b"r1cs" + struct.pack("<II", 1, 2) + sections


def test_a_public_input_in_no_constraint_is_found() -> None:
    # wires: 0 one, 1 and 2 public, 3 private; a * a = 9 and j * j = s, the second input unused
    data = r1cs(2, [[{3: 1}, {3: 1}, {0: 9}], [{1: 1}, {1: 1}, {4: 1}]])
    assert public_wires_unused(data) == [1]
    assert public_wires_unused(r1cs(2, [[{1: 1, 2: 1}, {0: 1}, {}]])) == []


def test_a_zero_coefficient_uses_nothing() -> None:
    assert public_wires_unused(r1cs(2, [[{1: 1, 2: 0}, {0: 1}, {}]])) == [1]


def test_a_truncated_r1cs_export_is_an_error_not_a_crash() -> None:
    data = r1cs(2, [[{1: 1}, {1: 1}, {4: 1}]])
    for cut in (3, 20, len(data) - 10):
        with pytest.raises(zk.ToolchainError):
            public_wires_unused(data[:cut])


def test_public_inputs_are_named_in_the_verifiers_order() -> None:
    abi = {
        "inputs": [
            {"name": "a", "public": True, "type": "field"},
            {"name": "secret", "public": False, "type": "field"},
            {"name": "b", "public": True, "type": "array", "components": {"size": 2, "type": "u32"}},
        ],
        "output": {"type": "tuple", "components": {"elements": [{"type": "bool"}]}},
    }
    assert _public_inputs(abi) == ("a", "b[0]", "b[1]", "return.0")
