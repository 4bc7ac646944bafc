"""A `ZK` job's proof, judged again from the chain alone: the verdict the proof court must have given.

The submission's calldata holds the request, the result commitment and the proof. From them the
audit rebuilds the three public inputs (ledger.proofs.court_inputs: the binding of the job id and
the prover, the input and result commitments), reads the pinned verifier's code and, where the
court would have asked it, asks it again (an `eth_call` of `verifyTx` with the court's gas, at the
block the court judged in), then applies the court's rules (contracts/src/ProofCourt.sol,
`ledger.proofs.proof_verdict`): a result commitment outside bn254's field is invalid; an input
commitment outside it, a verifier without code or with other code than pinned, a revert or an
answer other than true or false make the proof unverifiable (the requester's loss).
"""

from __future__ import annotations

from typing import Any

from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3.exceptions import Web3Exception

from ledger import JobRequest, Verdict, mapped_errors
from ledger.proofs import proof_verdict

from ._audit_chain import ChainReader
from ._audit_job import Step


def submitted(reader: ChainReader, tx_hash: bytes) -> tuple[JobRequest, bytes, bytes] | None:
    """(request, digest, proof) from a transaction that called `ProofCourt.submitProof` itself
    (None when the call came through another contract: its calldata is not the court's)."""
    with mapped_errors():
        tx = reader.w3.eth.get_transaction(HexBytes(tx_hash))
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


def judge(step: Step, event: Any) -> None:
    """Checks the court's verdict in ``event`` (a `ProofChecked`) against the rules, re-run."""
    sent = submitted(step.reader, step.tx_hash)
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
    expected, why = proof_verdict(step.reader.w3, request, event.worker, digest, proof, block=step.block)
    step.rule(
        Verdict(event.verdict) == expected,
        f"the proof court said {Verdict(event.verdict).describe()}; re-run, the rules say {expected.describe()}: {why}",
    )
