"""What the proof court would judge a `ZK` job's proof (contracts/src/ProofCourt.sol), asked of the
chain without a transaction: the court's rules applied in Python, and the pinned verifier called
(`eth_call`) with the public inputs the court builds. A worker asks before it locks (a verifier
that refuses a proof valid with the program's key is not the program's: it does not lock); the
auditor asks again for each proof submitted (at the block it was judged in)."""

from __future__ import annotations

from typing import Any

from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.exceptions import Web3Exception
from web3.types import BlockIdentifier

from ._tx import mapped_errors
from .errors import ChainUnavailable, LedgerError
from .model import JobRequest, Verdict, pin_of

PROOF_GAS = 600_000
"""`ProofCourt.PROOF_GAS`: what the court gives the verifier."""
PROOF_SIZE = 256
FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617
"""bn254's scalar field: every public input is below it."""
VERIFY_TX = keccak(text="verifyTx(((uint256,uint256),(uint256[2],uint256[2]),(uint256,uint256)),uint256[3])")[:4]
"""`IProofVerifier.verifyTx`'s selector (a test holds it to the compiled verifier's ABI)."""
BINDING_BITS = 253
"""The binding's width: below 2^253, so below bn254's scalar field (r > 2^253) as it is."""


def job_binding(job_id: bytes, prover: str) -> int:
    """The job id and the prover bound in one public input: ``uint256(keccak256(abi.encode(jobId,
    prover))) >> 3``, as `ProofCourt.publicInputs` computes it (the one definition in Python).

    A proof for one (job, prover) is worth nothing for another: another pair with the same binding
    is a second preimage of keccak256 cut to 253 bits.

    Raises:
        ValueError: ``job_id`` is not 32 bytes or ``prover`` not a 20-byte 0x address.
    """
    address = bytes.fromhex(prover.removeprefix("0x"))
    if len(job_id) != 32 or len(address) != 20:
        raise ValueError(f"a job id is 32 bytes and a prover 20, not {len(job_id)} and {len(address)}")
    return int.from_bytes(keccak(bytes(job_id) + bytes(12) + address), "big") >> (256 - BINDING_BITS)


def court_inputs(job_id: bytes, prover: str, input_commitment: bytes, result_commitment: bytes) -> list[int]:
    """`ProofCourt.publicInputs`: the job and prover's `job_binding`, the input and result commitments.

    Raises:
        ValueError: as `job_binding`.
    """
    return [
        job_binding(job_id, prover),
        int.from_bytes(input_commitment, "big"),
        int.from_bytes(result_commitment, "big"),
    ]


def proof_verdict(
    w3: Web3, request: JobRequest, prover: str, digest: bytes, proof: bytes, *, block: BlockIdentifier = "latest"
) -> tuple[Verdict, str]:
    """The verdict the proof court's rules give ``prover``'s ``proof`` of ``digest`` for ``request``'s
    job as of ``block``, and why.

    Raises:
        ValueError: when ``proof`` is not 256 bytes (the court refuses it without judging).
        LedgerError: when the chain does not answer.
    """
    if len(proof) != PROOF_SIZE:
        raise ValueError(f"a proof is {PROOF_SIZE} bytes, not {len(proof)}")
    if int.from_bytes(digest, "big") >= FIELD_MODULUS:
        return Verdict.INVALID, "the result commitment is not below bn254's scalar field"
    if int.from_bytes(request.input_digest, "big") >= FIELD_MODULUS:
        return Verdict.UNVERIFIABLE, "the request's input commitment is not below bn254's scalar field"
    verifier = to_checksum_address(request.verifier_pin[:20])
    with mapped_errors():
        code = bytes(w3.eth.get_code(verifier, block_identifier=block))
    if not code:
        return Verdict.UNVERIFIABLE, f"the pinned verifier {verifier} has no code"
    if len(code) == 23 and code[:3] == b"\xef\x01\x00":
        return Verdict.UNVERIFIABLE, f"the pinned verifier {verifier} is an EIP-7702 delegated account"
    if pin_of(verifier, keccak(code)) != request.verifier_pin:
        return Verdict.UNVERIFIABLE, f"the code at {verifier} is not the code the request pinned"
    inputs = court_inputs(request.struct_hash(), prover, request.input_digest, digest)
    data = VERIFY_TX + proof + b"".join(n.to_bytes(32, "big") for n in inputs)
    call: dict[str, Any] = {"to": verifier, "data": "0x" + data.hex(), "gas": PROOF_GAS}
    try:
        with mapped_errors():
            answer = bytes(w3.eth.call(call, block_identifier=block))  # type: ignore[arg-type]
    except ChainUnavailable:
        raise
    except (LedgerError, Web3Exception) as exc:
        return Verdict.UNVERIFIABLE, f"the verifier failed ({exc})"
    if len(answer) != 32 or int.from_bytes(answer, "big") > 1:
        return Verdict.UNVERIFIABLE, f"the verifier answered {answer.hex() or 'nothing'}, not true or false"
    if answer[-1] == 1:
        return Verdict.VALID, f"the pinned verifier {verifier} accepts the proof"
    return Verdict.INVALID, f"the pinned verifier {verifier} refuses the proof"
