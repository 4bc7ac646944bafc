"""Groth16 verification in Python (zk.verify) on a proof zokrates-js made: valid as made, invalid once
anything it binds is changed, and the same answer from pyrevm's precompiles and from py_ecc."""

from __future__ import annotations

import pytest

import zk
from ledger.proofs import job_binding
from zk._bn254 import PyEcc, Revm

# examples/programs/zk/preimage.zok: zk.setup, then zk.prove_job (zokrates-js 1.1.9) for the preimage
# bytes(range(100, 164)), job JOB_ID by PROVER (the binding: ledger.proofs.job_binding), result commitment 0.
JOB_ID = bytes.fromhex("ec55236687367d7e33aa3aad61bdea45" + "3438f4bbb336e427522438b19fb61838")
PROVER = "0x" + "ab" * 20
KEY = zk.VerificationKey.from_json(
    {
        "alpha": [
            "0x22af1aa07fb213e700df8c54a2077188713282f99da3455c7e9897401e8e61cf",
            "0x18d8f80df7ad030aaa0c58251f47dadf1b96ba0b7e8d84a83ff468bab63a9472",
        ],
        "beta": [
            [
                "0x28bf95e2932f81533319ba1ec92ac4873a59caaf6862749c5ae8c62646b31e03",
                "0x08e726592d24a8a9c53eaa4764db5cd40b5f897249a09cbb1b9f3041f1821f09",
            ],
            [
                "0x120d8aa132c27cc1ff359894d59054debc52c1face388d766a5b09857ba2d64f",
                "0x22fefcbfd477a3e54ef75fa7e49e82bed690e106ebde6e5b3e9616b4b9be801b",
            ],
        ],
        "curve": "bn128",
        "delta": [
            [
                "0x1a601f2d020d50c9a45bd26f0bad503a3a5cdce5cd966a366ed83bfbbe50a7ff",
                "0x2856f247c3f37076d12d992abd74e18fd922b25655f384abc2b6ee55380471bd",
            ],
            [
                "0x007c0247d3efa81c47faa3db30b775a5a8330305aa1397f5b6e4087e217005c9",
                "0x282ca964cfa517060a20ab2950fc5aa6c76949a92debb4eb48c0da75163b5901",
            ],
        ],
        "gamma": [
            [
                "0x02854a4e33835342d8d9546eba188700055256dd2071de4ac51d7a5e254a2127",
                "0x003ebedf1aeaff761a848fe29d78e8167dde78d0a935a8af036542669d20b7ca",
            ],
            [
                "0x2bfc8c9bb9e67fb0cda5aa21e13cab26dc1a4bb11f58d9717031cec2db43ebed",
                "0x1391eac57367a14774718aa82187e3ec74837f246aefcdf1d1ed623f53df6019",
            ],
        ],
        "gamma_abc": [
            [
                "0x113ee2c2eede5b0844e22156ece842229b186ab378a65d7989c99d845ce772eb",
                "0x061990c89602795fad1c1f12da49cb592b32604921fc610e983389093bb3bcd8",
            ],
            [
                "0x0aeea174cbc37c0c01ad1b9cd6bb3bc1e2b633178704ee1e8487d31f5021fa7f",
                "0x05a09df2a25ed95f9175f4b353851593c39968e762060ab6db898a5d50956130",
            ],
            [
                "0x0f67875061cbedb3b8efbf8b2731b95bc9f59c2c563e925e2c933158bf5cde75",
                "0x2f6d559a35b88c27237c995868fe6fed6215cf99a67ae28fe5283a1f33c5bd7d",
            ],
            [
                "0x1b72719cb73ac923a50d6cc1fa2b581f8cdbf94c73be8bc7c87308973b26f2e3",
                "0x055a5c7d3cc4879ddc39ba21135ef24e94235e42b6f07cd173703065f09371de",
            ],
        ],
        "scheme": "g16",
    }
)
PROOF = zk.Proof.from_json(
    {
        "curve": "bn128",
        "inputs": [
            "0x194c1dd7c17e39e0111eb63c6ce325e8179686b7967a93fee70ff27775f05add",
            "0x14e8034335ec90ef900fea2ca56abe9b5ce1da98451e651db495569deea4e8bd",
            "0x0000000000000000000000000000000000000000000000000000000000000000",
        ],
        "proof": {
            "a": [
                "0x0fa0d940ea8515c695f9184aea92e92a59935144ec4b7de59b30b7da8585a0e4",
                "0x2d99fac84c288c6a8fe1918a4c4591ececd9151f175bd1db99a2db76e69823b7",
            ],
            "b": [
                [
                    "0x1edcc9c3301aa5513456540b7e9b1cb3a36cf70b13ad198c31d07ced16468d0b",
                    "0x279e5c10f19bd34049093f1d7076b8c3aedbc0cba4f73dad48053a28a373d50d",
                ],
                [
                    "0x1621f9c2888caa21819de109555d07ad7c2f36659ddd81dfa4a9335b50094f4e",
                    "0x02b10cd0d7408521aabf16cb7cb2415fc2ba44814ea1cac055d959b07f25424b",
                ],
            ],
            "c": [
                "0x1972c6d644ff418ca602887286aff501b2e63e2ded919e8833ec802e16f6b064",
                "0x02fdc87bd22434a13e64d262c2e6763643bc98c83c6e77d1a959cb53c386b416",
            ],
        },
        "scheme": "g16",
    }
)
STATEMENT = zk.JobStatement.from_public_inputs(PROOF.inputs)
# py_ecc takes ~1 s a check, pyrevm ~10 ms
BACKENDS = [pytest.param(Revm(), id="pyrevm"), pytest.param(PyEcc(), id="py_ecc", marks=pytest.mark.slow)]


@pytest.mark.parametrize("bn254", BACKENDS)
def test_the_proof_verifies_for_its_statement(bn254: zk._bn254.Bn254) -> None:
    assert zk.verify(KEY, PROOF, bn254=bn254)
    assert zk.verify_job(KEY, PROOF, STATEMENT, bn254=bn254)


def test_the_statement_is_the_one_the_proof_was_made_for() -> None:
    assert STATEMENT.binding == job_binding(JOB_ID, PROVER)
    assert STATEMENT.input_commitment.to_bytes(32, "big") == zk.commitment(bytes(range(100, 164)))
    assert STATEMENT.result_commitment == 0


def changed(
    *,
    job_id: bytes = JOB_ID,
    prover: str = PROVER,
    input_commitment: int | bytes | None = None,
    result_commitment: int = 0,
) -> zk.JobStatement:
    """The statement of the same proof's claim with one thing changed."""
    return zk.JobStatement.of(
        binding=job_binding(job_id, prover),
        input_commitment=STATEMENT.input_commitment if input_commitment is None else input_commitment,
        result_commitment=result_commitment,
    )


@pytest.mark.parametrize("bn254", BACKENDS)
@pytest.mark.parametrize(
    "other",
    [
        pytest.param(changed(job_id=JOB_ID[:-1] + bytes([JOB_ID[-1] ^ 1])), id="job-id-low-bit"),
        pytest.param(changed(job_id=bytes([JOB_ID[0] ^ 0x80]) + JOB_ID[1:]), id="job-id-high-bit"),
        pytest.param(changed(prover="0x" + "ab" * 19 + "ac"), id="prover"),
        pytest.param(changed(input_commitment=zk.commitment(bytes(64))), id="input-commitment"),
        pytest.param(changed(result_commitment=1), id="result-commitment"),
    ],
)
def test_the_proof_fails_for_any_other_statement(bn254: zk._bn254.Bn254, other: zk.JobStatement) -> None:
    assert not zk.verify_job(KEY, PROOF, other, bn254=bn254)


@pytest.mark.parametrize("bn254", BACKENDS)
def test_a_tampered_proof_fails(bn254: zk._bn254.Bn254) -> None:
    (ax, ay), (bx, by), (cx, cy) = PROOF.a, PROOF.b, PROOF.c
    assert not zk.verify(KEY, zk.Proof(a=(ax, ay), b=(bx, by), c=(cx, cy + 1), inputs=PROOF.inputs), bn254=bn254)
    assert not zk.verify(KEY, zk.Proof(a=(ax, ay), b=(by, bx), c=(cx, cy), inputs=PROOF.inputs), bn254=bn254)
    assert not zk.verify(KEY, zk.Proof(a=PROOF.c, b=PROOF.b, c=PROOF.a, inputs=PROOF.inputs), bn254=bn254)


def test_an_input_of_the_field_size_or_more_is_invalid_not_reduced() -> None:
    inputs = list(PROOF.inputs)
    inputs[2] += zk.FIELD_MODULUS  # the same field element, but the contract refuses it
    assert not zk.verify(KEY, PROOF, inputs)


def test_a_proof_with_the_wrong_number_of_inputs_is_refused() -> None:
    with pytest.raises(zk.InputCountMismatch):
        zk.verify(KEY, PROOF, PROOF.inputs[:2])


def test_keys_and_proofs_survive_their_stored_forms() -> None:
    assert zk.VerificationKey.from_bytes(KEY.to_bytes()) == KEY
    assert zk.Proof.from_bytes(PROOF.to_bytes()) == PROOF
    assert zk.Proof.decode(PROOF.encoded(), PROOF.inputs) == PROOF
    assert KEY.to_bytes() == zk.VerificationKey.from_bytes(KEY.to_bytes()).to_bytes()  # canonical


@pytest.mark.parametrize(
    "raw",
    [b"", b"[]", b'{"format": "agora.zk.proof.v1"}', b'{"format": "agora.zk.vk.v1", "key": {"scheme": "g16"}}'],
)
def test_malformed_stored_forms_are_refused(raw: bytes) -> None:
    with pytest.raises(zk.MalformedArtifact):
        zk.Proof.from_bytes(raw)
    with pytest.raises(zk.MalformedArtifact):
        zk.VerificationKey.from_bytes(raw)


def test_the_lean_verifier_holds_the_key_and_the_exported_abi() -> None:
    source = zk.lean_verifier(KEY)
    assert "function verifyTx(Proof calldata proof, uint256[3] calldata input) external view returns (bool r)" in source
    for x, y in KEY.gamma_abc:
        assert f"0x{x:064x}" in source and f"0x{y:064x}" in source
    (re, im), _ = KEY.beta
    assert source.index(f"0x{im:064x}") < source.index(f"0x{re:064x}")  # EIP-197: imaginary part first
