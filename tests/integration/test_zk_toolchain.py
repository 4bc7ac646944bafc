"""The ZoKrates toolchain through zokrates-js: its errors say what ZoKrates says, its limits hold, and a
program whose public input binds nothing is refused before anyone proves with it."""

from __future__ import annotations

import os

import pytest

import zk
from ledger.proofs import job_binding

BOUND = zk.BINDING_BOUND  # 2^253
BINDING = f"""
    assert(binding < {BOUND});
"""
LAYOUT = "field binding, field input_commitment, field result_commitment"
# A job program without a hash: the result commitment is the input commitment squared.
SQUARE = f"""def main({LAYOUT}) {{{BINDING}
    assert(result_commitment == input_commitment * input_commitment);
    return;
}}
"""


def test_a_compile_error_carries_zokrates_message_and_position() -> None:
    source = "def main(field a) {\n    assert(a == b);\n    return;\n}\n"
    with pytest.raises(zk.CompileError) as caught:
        zk.compile_program(source, location="bad.zok", job=False)
    assert 'Identifier "b" is undefined' in caught.value.message
    assert (caught.value.line, caught.value.column) == (2, 17)


def test_a_syntax_error_names_its_line() -> None:
    with pytest.raises(zk.CompileError) as caught:
        zk.compile_program("def main(field a) {\n    asert(a == 1)\n}\n", job=False)
    assert caught.value.line == 2


def test_a_program_imports_nothing_but_the_stdlib_and_the_pedersen_library() -> None:
    source = 'import "./secrets" as s;\ndef main(field a) {\n    assert(a == 1);\n    return;\n}\n'
    with pytest.raises(zk.CompileError, match="could not resolve module `./secrets`"):
        zk.compile_program(source, job=False)


def test_a_public_input_that_binds_nothing_is_refused() -> None:
    # the binding is never asserted of: a proof would hold for any job and any prover
    source = f"""def main({LAYOUT}) {{
    assert(result_commitment == input_commitment * input_commitment);
    return;
}}
"""
    with pytest.raises(zk.UnconstrainedInput) as caught:
        zk.compile_program(source)
    assert caught.value.names == ("binding",)


def test_a_squared_input_left_unused_is_compiled_away_and_so_refused() -> None:
    # Tornado Cash's trick as written in circom does not survive ZoKrates' optimiser
    source = f"""def main({LAYOUT}) {{{BINDING.replace("assert(binding <", "field unused = binding * binding;//")}
    assert(result_commitment == input_commitment * input_commitment);
    return;
}}
"""
    with pytest.raises(zk.UnconstrainedInput, match="binding"):
        zk.compile_program(source)


def test_a_program_off_the_job_layout_is_refused() -> None:
    source = "def main(field a, private field b) {\n    assert(a == b * b);\n    return;\n}\n"
    with pytest.raises(zk.NotAJobProgram, match="field binding, field input_commitment"):
        zk.compile_program(source)
    assert zk.compile_program(source, job=False).public_inputs == ("a",)


@pytest.fixture(scope="module")
def square() -> tuple[zk.Program, zk.Keys]:
    program = zk.compile_program(SQUARE, location="square.zok")
    return program, zk.setup(program)


def statement(
    *,
    job_id: bytes = b"\x07" * 32,
    prover: str = "0x" + "12" * 20,
    input_commitment: int = 3,
    result_commitment: int = 9,
) -> zk.JobStatement:
    return zk.JobStatement.of(
        binding=job_binding(job_id, prover), input_commitment=input_commitment, result_commitment=result_commitment
    )


def test_a_small_job_program_proves_and_binds_its_job_and_prover(square: tuple[zk.Program, zk.Keys]) -> None:
    program, keys = square
    assert program.public_inputs == zk.PUBLIC_INPUTS
    assert zk.Program.from_bytes(program.to_bytes()) == program
    proof = zk.prove_job(program, keys.proving_key, statement(), [])
    key = keys.verification_key
    assert zk.verify_job(key, proof, statement()) and zk.verify_with_zokrates(key, proof)
    for other in (statement(job_id=b"\x07" * 31 + b"\x06"), statement(prover="0x" + "12" * 19 + "13")):
        assert not zk.verify_job(key, proof, other)
        assert not zk.verify_with_zokrates(key, proof.with_inputs(other.public_inputs()))


def test_a_binding_outside_the_layout_fails_the_range_check(square: tuple[zk.Program, zk.Keys]) -> None:
    program, _ = square
    zk.execute(program, [str(BOUND - 1), "3", "9"])  # the largest binding passes (a refusal would raise)
    for binding in (BOUND, zk.FIELD_MODULUS - 1):
        with pytest.raises(zk.WitnessError) as caught:
            zk.execute(program, [str(binding), "3", "9"])
        assert caught.value.assertion
        assert "Assertion failed at square.zok:2:" in caught.value.message


def test_a_failed_assertion_says_so(square: tuple[zk.Program, zk.Keys]) -> None:
    program, keys = square
    with pytest.raises(zk.WitnessError) as caught:
        zk.prove_job(program, keys.proving_key, statement(result_commitment=10), [])
    assert caught.value.assertion
    assert "Assertion failed at square.zok:4:" in caught.value.message


def test_arguments_of_the_wrong_shape_are_not_a_failed_assertion(square: tuple[zk.Program, zk.Keys]) -> None:
    program, keys = square
    with pytest.raises(zk.WitnessError) as caught:
        zk.prove(program, keys.proving_key, ["1", "2"])
    assert not caught.value.assertion
    assert "Expected 3 inputs, found 2" in caught.value.message


def test_a_slow_step_is_stopped_and_names_its_setting() -> None:
    with pytest.raises(zk.ZkTimeout, match="AGORA_ZK_COMPILE_TIMEOUT"):
        zk.compile_program(SQUARE, settings=zk.ZkSettings(compile_timeout=0.05))


def test_limits_are_named_in_their_errors(square: tuple[zk.Program, zk.Keys]) -> None:
    with pytest.raises(zk.LimitExceeded, match="AGORA_ZK_MAX_SOURCE"):
        zk.compile_program(SQUARE + "//" + "x" * 300_000)
    with pytest.raises(zk.LimitExceeded, match="AGORA_ZK_MAX_CONSTRAINTS"):
        zk.compile_program(SQUARE, settings=zk.ZkSettings(max_constraints=10))
    program, keys = square
    with pytest.raises(zk.LimitExceeded, match="AGORA_ZK_MAX_ARGUMENTS"):
        zk.prove(program, keys.proving_key, ["1" * 100], settings=zk.ZkSettings(max_arguments=50))
    with pytest.raises(zk.LimitExceeded, match="AGORA_ZK_MAX_ANSWER"):
        zk.setup(program, settings=zk.ZkSettings(max_answer=1000))


def test_a_missing_node_is_a_toolchain_error() -> None:
    with pytest.raises(zk.ToolchainError, match="AGORA_ZK_NODE"):
        zk.compile_program(SQUARE, settings=zk.ZkSettings(node="/nonexistent/node"))


@pytest.mark.slow
def test_the_pedersen_library_equals_the_stdlib_hash_and_zokrates_pycrypto() -> None:
    source = """import "./agora/pedersen512" as pedersen;
import "hashes/pedersen/512bitBool" as stdlib;
def main(private bool[512] block) -> (field[2], bool[256]) {
    return (pedersen(block), stdlib(block));
}
"""
    program = zk.compile_program(source, job=False)
    for block in (bytes(64), os.urandom(64)):
        bits = [bool(block[i // 8] >> (7 - i % 8) & 1) for i in range(512)]
        (x, y), compressed = zk.execute(program, [bits])
        assert int(y).to_bytes(32, "big") == zk.commitment(block)
        assert int("".join("1" if b else "0" for b in compressed), 2).to_bytes(32, "big") == zk.compressed(block)
        assert (int(y) | (int(x) & 1) << 255).to_bytes(32, "big") == zk.compressed(block)
