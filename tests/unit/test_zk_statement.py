"""A ZK job's public-input layout, Pedersen commitments, the r1cs check for unbound inputs and the ABI's names."""

from __future__ import annotations

import struct

import pytest

import zk
from zk.r1cs import public_wires_unused
from zk.toolchain import _public_inputs

JOB_ID = bytes.fromhex("ec55236687367d7e33aa3aad61bdea45" + "3438f4bbb336e427522438b19fb61838")
PROVER = "0x" + "ab" * 20


def test_the_job_id_is_split_into_two_128_bit_limbs_high_first() -> None:
    statement = zk.JobStatement.of(job_id=JOB_ID, prover=PROVER, input_commitment=5, result_commitment=bytes(32))
    assert statement.public_inputs() == (
        0xEC55236687367D7E33AA3AAD61BDEA45,
        0x3438F4BBB336E427522438B19FB61838,
        0xABABABABABABABABABABABABABABABABABABABAB,
        5,
        0,
    )
    assert statement.arguments()[2] == str(0xABABABABABABABABABABABABABABABABABABABAB)
    assert zk.JobStatement.from_public_inputs(statement.public_inputs()) == statement
    assert statement.prover_address == PROVER


def test_a_job_id_of_all_ones_fits_although_it_is_above_the_field() -> None:
    statement = zk.JobStatement.of(job_id=b"\xff" * 32, prover=PROVER, input_commitment=0, result_commitment=0)
    assert statement.public_inputs()[:2] == (2**128 - 1, 2**128 - 1)
    assert all(x < zk.FIELD_MODULUS for x in statement.public_inputs())


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"input_commitment": zk.FIELD_MODULUS}, "input commitment is not below"),
        ({"result_commitment": b"\xff" * 32}, "result commitment is not below"),
        ({"job_id": b"\x01" * 31}, "job id must be 32 bytes"),
        ({"job_id": 1 << 256}, "not a 256-bit value"),
        ({"prover": "0x1234"}, "20-byte address"),
    ],
)
def test_values_that_do_not_fit_the_layout_are_refused(values: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"job_id": JOB_ID, "prover": PROVER, "input_commitment": 1, "result_commitment": 2}
    with pytest.raises(zk.InvalidStatement, match=message):
        zk.JobStatement.of(**{**fields, **values})  # type: ignore[arg-type]


def test_public_inputs_out_of_the_layout_are_refused() -> None:
    with pytest.raises(zk.InvalidStatement):
        zk.JobStatement.from_public_inputs([2**128, 0, 0, 0, 0])
    with pytest.raises(zk.InvalidStatement):
        zk.JobStatement.from_public_inputs([0, 0, 0, 0])


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
