"""A `ZK` job's proof checked off-chain, in Python, against its program's verification key: the
auditor's second opinion beside the on-chain verifier the request pinned (`agora audit proof`).

From the chain: the proof court's `ProofChecked` event of the job and the submission's calldata
(request, result commitment, proof). From the store: the job's spec, its program's manifest and
the verification key (docs/zk.md, "ZK jobs end to end"). `zk.verify_job` then checks the proof on
the statement rebuilt from the chain (the binding of the job id and the submitter, the two
commitments: `ledger.proofs.court_inputs`, as the court builds them), never on inputs the proof
claims. A verifier that answers otherwise than its program's key is not that program's verifier:
the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3

import zk
from ledger import Deployment, JobRequest, Verdict
from ledger import events as ev
from ledger.proofs import court_inputs
from store import StoreClient, cid_from_digest
from zk.jobs import MAX_MANIFEST, ZkJob, ZkJobError, ZkProgram

from ._audit_chain import ChainReader, scan_events
from ._audit_proof import submitted


class ProofNotFound(ValueError):
    """Raised when the job has no proof on chain to check (not a ZK job, or none submitted yet)."""


@dataclass(frozen=True)
class ProofCheck:
    """One submitted proof: what the chain said, and what Python says with the program's key."""

    job_id: bytes
    prover: str
    program: str
    """The program's name, from its manifest (empty when the manifest could not be read)."""
    on_chain: Verdict
    in_python: bool | None
    """Whether the proof verifies with the program's key (None: no key to check with)."""
    why: str

    @property
    def agrees(self) -> bool:
        """Whether the two agree (an unverifiable verdict agrees with nothing and is not held against it)."""
        if self.in_python is None or self.on_chain == Verdict.UNVERIFIABLE:
            return True
        return self.in_python == (self.on_chain == Verdict.VALID)


def check_proofs(w3: Web3, deployment: Deployment, store: StoreClient, job_id: bytes) -> list[ProofCheck]:
    """Every proof submitted for ``job_id`` (one, for a job settled by it), checked in Python.

    Raises:
        ProofNotFound: when the chain holds no proof of the job.
    """
    reader = ChainReader(w3, deployment)
    events = scan_events(w3, deployment, start=deployment.block, end=reader.at, contracts=("ProofCourt",))
    checks = [e for e in events if isinstance(e, ev.ProofChecked) and e.job_id == job_id]
    if not checks:
        raise ProofNotFound(f"no proof of job 0x{job_id.hex()} was submitted to the proof court")
    out = []
    for event in checks:
        sent = submitted(reader, event.tx_hash)
        if sent is None:
            out.append(ProofCheck(job_id, event.worker, "", event.verdict, None, "submitted through a contract"))
            continue
        request, digest, proof = sent
        out.append(_check(store, request, event.worker, digest, proof, event.verdict))
    return out


def _check(
    store: StoreClient, request: JobRequest, prover: str, digest: bytes, proof: bytes, verdict: Verdict
) -> ProofCheck:
    job_id = request.struct_hash()
    try:
        spec = ZkJob.from_bytes(store.get(cid_from_digest(request.program_id), max_size=MAX_MANIFEST))
        program = ZkProgram.from_bytes(store.get(spec.program, max_size=MAX_MANIFEST))
        key = zk.VerificationKey.from_bytes(store.get(program.verification_key, max_size=MAX_MANIFEST))
    except (ZkJobError, zk.ZkError, ValueError) as exc:
        return ProofCheck(job_id, prover, "", verdict, None, f"its program's key cannot be read: {exc}")
    if program.pin != request.verifier_pin:
        return ProofCheck(job_id, prover, program.name, verdict, None, "the request pins another verifier")
    try:
        statement = zk.JobStatement.from_public_inputs(court_inputs(job_id, prover, request.input_digest, digest))
        valid = zk.verify_job(key, zk.Proof.decode(proof, statement.public_inputs()), statement)
    except (zk.ZkError, ValueError) as exc:  # a commitment outside the field, a proof of other length
        return ProofCheck(job_id, prover, program.name, verdict, False, f"no valid statement or proof: {exc}")
    why = f"{'valid' if valid else 'invalid'} with {program.name}'s verification key"
    return ProofCheck(job_id, prover, program.name, verdict, valid, why)
