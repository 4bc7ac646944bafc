"""Groth16 verification in Python (zk.verify) on a proof zokrates-js made: valid as made, invalid once
anything it binds is changed, and the same answer from pyrevm's precompiles and from py_ecc."""

from __future__ import annotations

import pytest

import zk
from zk._bn254 import PyEcc, Revm

# examples/programs/zk/preimage.zok: zk.setup, then zk.prove_job (zokrates-js 1.1.9) for the preimage
# bytes(range(100, 164)), prover 0xabab...ab, a random job id, result commitment 0.
KEY = zk.VerificationKey.from_json(
    {
        "alpha": [
            "0x1b95bfda91a874ff5a16cdf10e7b8d63ad7db007064e1ada219e0b490decb5e8",
            "0x19d750c3679db4b0900af3919c9f85ff70fe2d515b6d354490f70a0a812b3abd",
        ],
        "beta": [
            [
                "0x2e0071e4bd39190c7896a54266f8b1335c130eae1d95956d6f565c6c90c751c3",
                "0x0a0d8e3190d62faf4b6b85bd4e850e7b66b02df1dcb6bb96fc2d681fe27e9d0d",
            ],
            [
                "0x2ba0acb2c10664d8af97de7833e937edc9d6a628c2fdf6f241a31a8664dd7f5e",
                "0x0eac4f3c2128910f4cf0b252a486886c1c92b596370f1f208cb47ab5d6283baa",
            ],
        ],
        "curve": "bn128",
        "delta": [
            [
                "0x1188243f9b9f26f7120b8e5cf546c5f6ca354bc6378d2b635f53d995a51d25f5",
                "0x0e3a0608daa3286dc9b90b2b99a8a14c02b49d780240007bad00d82760bcbcfb",
            ],
            [
                "0x15efa0256bc7073beb6d9d8517dec858f7ccb04dd70aa76c022739bb2a59c3df",
                "0x2330fb8361820670d495262ab23b585f7061675f5f2e3ca879e708724a5ec5f0",
            ],
        ],
        "gamma": [
            [
                "0x25429b6183fe0d40c256b68577cff11ce451b487a8ae1a5dfb538b754580dacf",
                "0x2236852b23dd78bb0d0f939ed9da13010e593d6933cc9347757403052fec2ed2",
            ],
            [
                "0x12f08fdea3cd0243d05b836d5f606811492de00cea287b19b5cabc2d4f23ef4e",
                "0x0fe1605b173bcbca317ed8ac2e0bf2dc001883e19fa9f25db76090c101c154a4",
            ],
        ],
        "gamma_abc": [
            [
                "0x082e5f93a8c5a6a426730796f8dd423cddac5daf1257cd66f1af61550db2de67",
                "0x1392643483b40075c05f5409fad5db18f3e34ab68a4f8468ab9d390dcd612ee7",
            ],
            [
                "0x1a365684069fb7598a6903fe946a2dd8c53169fafaba7a74b07228af581e6970",
                "0x2aea96874a580aa719ee868b7d11ccafb5cd01e25264e6f50963435d1970793a",
            ],
            [
                "0x1b85e368ed8def7fec48e36570a28db07fd320b6706899fc8661df44eb5c7ad0",
                "0x03fcfc0fc714673e13286775aea8a6c661e4bc1f7bf31fc7e37f5332e27f0587",
            ],
            [
                "0x0a556502ab7bf94066b7e23f5db128d56acb5a8a1da5ef7349a1cf08ba54411e",
                "0x233c73f0e0f6e43624dfa2583f9ddbf3a37551656745b9f8c08dafce8c98ee91",
            ],
            [
                "0x16c8774b31b36abdd5413c9cec382cd69d3db1e99946ff9c9219655a64ba1bb4",
                "0x259d012c4e95a98c4beb1f83714d67641d3a958f53aaa911d4da46268559f84d",
            ],
            [
                "0x2a48e39347febcd4f8a31a84a54edce03259474b9b66a959d793c9b4426ff5b3",
                "0x024bb2fea62c5d205357446a083e2189681372b8ddd0f46c9b84c31510af846b",
            ],
        ],
        "scheme": "g16",
    }
)
PROOF = zk.Proof.from_json(
    {
        "curve": "bn128",
        "inputs": [
            "0x00000000000000000000000000000000ec55236687367d7e33aa3aad61bdea45",
            "0x000000000000000000000000000000003438f4bbb336e427522438b19fb61838",
            "0x000000000000000000000000abababababababababababababababababababab",
            "0x14e8034335ec90ef900fea2ca56abe9b5ce1da98451e651db495569deea4e8bd",
            "0x0000000000000000000000000000000000000000000000000000000000000000",
        ],
        "proof": {
            "a": [
                "0x1e0e6a11ab63b2a4035815be7f7c7d566e08dfba34cdbe5eba1042b6f95abb8e",
                "0x223621f5e71f761cec730b772ee11f1f5d064428f85d6df8224ddcec363064f7",
            ],
            "b": [
                [
                    "0x2c1fc222f4d729b9955c8583cf6c22e863d4a980fd9a9b1363e600d6001b3b7e",
                    "0x1aaa1cd402cc30aa2076e4b244c1296bda3c2b331b6ea2c703ca60ddd834ae35",
                ],
                [
                    "0x2d42ecb069d048341ba7375878146ae97e8a82e102d8f3f9073766b7d9f39d68",
                    "0x184265808ca8d5183d1870a9a4776ef6dba9647bafc43fcae2e8187e52d9ebc0",
                ],
            ],
            "c": [
                "0x2cff01bfd496f51acfc264036ed8f344fc62a65adbfff3f1046c26d84a3d9748",
                "0x1eb17c960463f4a7543eee9aefcfa899263a594d2e3461d1be76a2c7e0e72ba8",
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
    assert STATEMENT.prover_address == "0x" + "ab" * 20
    assert STATEMENT.input_commitment.to_bytes(32, "big") == zk.commitment(bytes(range(100, 164)))
    assert STATEMENT.result_commitment == 0


def changed(**values: object) -> zk.JobStatement:
    fields = {
        "job_id": STATEMENT.job_id,
        "prover": STATEMENT.prover_address,
        "input_commitment": STATEMENT.input_commitment,
        "result_commitment": STATEMENT.result_commitment,
    }
    return zk.JobStatement.of(**{**fields, **values})  # type: ignore[arg-type]


@pytest.mark.parametrize("bn254", BACKENDS)
@pytest.mark.parametrize(
    "other",
    [
        pytest.param(changed(job_id=STATEMENT.job_id ^ 1), id="job-id-low-bit"),
        pytest.param(changed(job_id=STATEMENT.job_id ^ 1 << 255), id="job-id-high-bit"),
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
    inputs[4] += zk.FIELD_MODULUS  # the same field element, but the contract refuses it
    assert not zk.verify(KEY, PROOF, inputs)


def test_a_proof_with_the_wrong_number_of_inputs_is_refused() -> None:
    with pytest.raises(zk.InputCountMismatch):
        zk.verify(KEY, PROOF, PROOF.inputs[:4])


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
    assert "function verifyTx(Proof calldata proof, uint256[5] calldata input) external view returns (bool r)" in source
    for x, y in KEY.gamma_abc:
        assert f"0x{x:064x}" in source and f"0x{y:064x}" in source
    (re, im), _ = KEY.beta
    assert source.index(f"0x{im:064x}") < source.index(f"0x{re:064x}")  # EIP-197: imaginary part first
