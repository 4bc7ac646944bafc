"""A `ZK` job's proof, judged again from the chain alone: the verdict the proof court must have given.

The submission's calldata holds the request, the result commitment and the proof. From them the
audit rebuilds the five public inputs (zk.JobStatement: job id limbs, prover, input and result
commitments), reads the pinned verifier's code and, where the court would have asked it, asks it
again (an `eth_call` of `verifyTx` with the court's gas), then applies the court's rules
(contracts/src/ProofCourt.sol): a result commitment outside bn254's field is invalid; an input
commitment outside it, a verifier without code or with other code than pinned, a revert or an
answer other than true or false make the proof unverifiable (the requester's loss).
"""

from __future__ import annotations

from typing import Any

from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes
from web3.exceptions import Web3Exception

from ledger import JobRequest, LedgerError, Verdict, mapped_errors, pin_of
from zk import FIELD_MODULUS, JobStatement

from ._audit_job import Step

PROOF_GAS = 600_000
"""`ProofCourt.PROOF_GAS`: what the court gives the verifier."""
VERIFY_TX = keccak(text="verifyTx(((uint256,uint256),(uint256[2],uint256[2]),(uint256,uint256)),uint256[5])")[:4]
"""`IProofVerifier.verifyTx`'s selector (a test holds it to the compiled verifier's ABI)."""


def submission(step: Step) -> tuple[JobRequest, bytes, bytes] | None:
    """(request, digest, proof) from the step's transaction, when it called `ProofCourt.submitProof`
    itself (None when the call came through another contract: its calldata is not the court's)."""
    reader = step.reader
    with mapped_errors():
        tx = reader.w3.eth.get_transaction(HexBytes(step.tx_hash))
    court = reader.contract("ProofCourt")
    if tx.get("to") is None or to_checksum_address(tx["to"]) != court.address:
        return None
    try:
        fn, args = court.decode_function_input(tx["input"])
    except (ValueError, Web3Exception):
        return None
    if fn.fn_name != "submitProof":
        return None
    return JobRequest.from_abi(args["r"]), bytes(args["digest"]), bytes(args["proof"])


def verdict(step: Step, request: JobRequest, prover: str, digest: bytes, proof: bytes) -> tuple[Verdict, str]:
    """The verdict the court's rules give, and why."""
    if int.from_bytes(digest, "big") >= FIELD_MODULUS:
        return Verdict.INVALID, "the result commitment is not below bn254's scalar field"
    if int.from_bytes(request.input_digest, "big") >= FIELD_MODULUS:
        return Verdict.UNVERIFIABLE, "the request's input commitment is not below bn254's scalar field"
    verifier = to_checksum_address(request.verifier_pin[:20])
    w3 = step.reader.w3
    with mapped_errors():
        code = bytes(w3.eth.get_code(verifier, block_identifier=step.block))
    if not code:
        return Verdict.UNVERIFIABLE, f"the pinned verifier {verifier} has no code"
    if pin_of(verifier, keccak(code)) != request.verifier_pin:
        return Verdict.UNVERIFIABLE, f"the code at {verifier} is not the code the request pinned"
    statement = JobStatement.of(
        job_id=request.struct_hash(), prover=prover, input_commitment=request.input_digest, result_commitment=digest
    )
    data = VERIFY_TX + proof + b"".join(n.to_bytes(32, "big") for n in statement.public_inputs())
    call: dict[str, Any] = {"to": verifier, "data": "0x" + data.hex(), "gas": PROOF_GAS}
    try:
        with mapped_errors():
            answer = bytes(w3.eth.call(call, block_identifier=step.block))  # type: ignore[arg-type]
    except (LedgerError, Web3Exception) as exc:
        return Verdict.UNVERIFIABLE, f"the verifier failed ({exc})"
    if len(answer) != 32 or int.from_bytes(answer, "big") > 1:
        return Verdict.UNVERIFIABLE, f"the verifier answered {answer.hex() or 'nothing'}, not true or false"
    if answer[-1] == 1:
        return Verdict.VALID, f"the pinned verifier {verifier} accepts the proof"
    return Verdict.INVALID, f"the pinned verifier {verifier} refuses the proof"


def judge(step: Step, event: Any) -> None:
    """Checks the court's verdict in ``event`` (a `ProofChecked`) against the rules, re-run."""
    sent = submission(step)
    if sent is None:
        step.report.notes.append(
            f"job {step.job.job_id.hex()[:10]}: the proof came through a contract; its verdict is taken as logged"
        )
        return
    request, digest, proof = sent
    step.rule(request.struct_hash() == step.job.job_id, "the submission's request is not the job's")
    step.rule(digest == event.digest, "the court logged another result commitment than was submitted")
    if len(proof) != 256:
        step.rule(False, f"a proof of {len(proof)} bytes was judged (the court refuses all but 256)")
        return
    expected, why = verdict(step, request, event.worker, digest, proof)
    step.rule(
        Verdict(event.verdict) == expected,
        f"the proof court said {Verdict(event.verdict).describe()}; re-run, the rules say {expected.describe()}: {why}",
    )
