"""`ZK` jobs, the market's side of them: registering a program (compiled, set up, its lean verifier
deployed, its artifacts stored, named ``NAME.programs.agora``), and a worker's `Prover` (fetch and
check what a job needs before locking, prove on Ray, verify in Python, store the result block).
The formats are `zk.jobs`'. docs/zk.md, "ZK jobs end to end".

A registered program is named ``NAME.programs.agora`` (`ProgramRegistrar`): contenthash the
manifest's CID, addr the verifier, text records ``zk.program`` (the manifest), ``zk.vk`` and
``zk.pk`` (the keys). A job's request names its spec by ``programId`` (the spec's digest), its
input by ``inputDigest`` (the input block's Pedersen commitment: the proof's public input) and
its verifier by ``verifierPin``; a worker checks each against what it fetches before it locks.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak, to_checksum_address
from multiformats import CID
from web3 import Web3

import zk
from ledger import Deployment, JobRequest, Names, Transactor
from ledger.proofs import court_inputs
from store import StoreClient, StoreError, cid_from_digest
from zk.jobs import BLOCK, MAX_MANIFEST, SALT, Recipe, ZkJob, ZkJobError, ZkProgram, commitment_of, result_block

PROGRAMS = "programs.agora"
KEY_CACHE = 8

# -- registering ------------------------------------------------------------------------------


def register_program(
    source: str,
    *,
    name: str,
    location: str,
    result_source: str | None,
    w3: Web3,
    deployment: Deployment,
    transactor: Transactor,
    store: StoreClient,
    keys: zk.Keys | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[ZkProgram, str]:
    """Compiles, sets up (unless ``keys`` come from an outside ceremony), deploys the lean verifier,
    stores the artifacts and names the program ``NAME.programs.agora``; returns the manifest and its CID.

    Everything that can fail without spending (the name, the program, the keys) is checked first.

    Raises:
        ZkJobError: the name is another's, the program is no job program, the keys are not its.
        zk.ZkError: ZoKrates or solc refused the source.
    """
    names = Names(w3, deployment, transactor)
    full = f"{name}.{PROGRAMS}"
    owner = names.owner(full)
    if owner is not None and owner.lower() != transactor.address.lower():
        raise ZkJobError(f"{full} belongs to {owner}")
    if owner is None and not names.available(full):
        raise ZkJobError(f"{full} cannot be registered (a label is 1-63 characters of a-z, 0-9 and '-')")
    progress(f"compiling {location}")
    program = zk.compile_program(source, location=location)
    recipe = Recipe.of(program)
    result = None
    if result_source is not None:
        result = zk.compile_program(result_source, location=location.removesuffix(".zok") + ".result.zok", job=False)
        if [p for p in result.abi.get("inputs", []) if p.get("public")]:
            raise ZkJobError("a result program takes the job program's private parameters only, all private")
    if keys is not None and keys.verification_key.inputs != len(zk.PUBLIC_INPUTS):
        raise ZkJobError(
            f"the verification key takes {keys.verification_key.inputs} inputs, a job program {len(zk.PUBLIC_INPUTS)}"
        )
    try:  # before the setup: a store that refuses this account's writes says so before the long work
        source_cid = store.put(source.encode())
    except StoreError as exc:
        raise ZkJobError(
            f"cannot store the program: {exc} (store nodes that check writers take writes from accounts "
            "with a stake or a market deposit: `agora deposit 1 --from …`)"
        ) from exc
    if keys is None:
        progress(f"Groth16 setup ({program.constraint_count:,} constraints; single-party: for development)")
        keys = zk.setup(program)
    progress("compiling the verifier")
    contract = zk.compile_verifier(zk.lean_verifier(keys.verification_key))
    progress("storing the program and its keys")
    cids = {
        "program": store.put(program.to_bytes()),
        "pk": store.put(keys.proving_key),
        "vk": store.put(keys.verification_key.to_bytes()),
        "source": source_cid,
        "result": store.put(result.to_bytes()) if result is not None else None,
    }
    progress("deploying the verifier")
    receipt = transactor.send(to=None, data=contract.bytecode)
    verifier = to_checksum_address(receipt["contractAddress"])
    code_hash = keccak(bytes(w3.eth.get_code(verifier)))
    manifest = ZkProgram(
        name=full,
        program=str(cids["program"]),
        proving_key=str(cids["pk"]),
        verification_key=str(cids["vk"]),
        source=str(cids["source"]),
        result_program=cids["result"],
        verifier=verifier,
        code_hash=code_hash,
        words=recipe.words,
        salted=recipe.salted,
    )
    cid = store.put(manifest.to_bytes())
    if owner is None:
        progress(f"registering {full}")
        names.register(full)
    progress(f"writing {full}'s records")
    names.set_contenthash(full, bytes(CID.decode(cid)))
    names.set_addr(full, verifier)
    for key, value in (("zk.program", cid), ("zk.vk", cids["vk"]), ("zk.pk", cids["pk"])):
        names.set_text(full, key, str(value))
    return manifest, cid


# -- proving ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """What a worker fetched and checked for a ZK job before locking it."""

    program: ZkProgram
    block: bytes


@dataclass(frozen=True)
class Proven:
    """A worker's proof of a job: the result commitment, the stored result block, the proof."""

    digest: bytes
    result_cid: str
    proof: bytes


Runner = Callable[..., Any]


def _here(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


class Prover:
    """A worker's ZK side: checks a job before it locks (its spec, the pinned verifier, the input
    against its commitment), then proves it (witness and proof with zokrates-js), checks the proof
    in Python before it is sent, and stores the result block."""

    def __init__(
        self,
        store: StoreClient,
        *,
        max_blob: int,
        run: Runner | None = None,
        code_at: Callable[[str], bytes] | None = None,
    ) -> None:
        """``run(fn, *args)`` runs the witness and the proof (the worker's Ray; here, by default);
        ``code_at(address)`` reads a verifier's code on chain (without it, `prepare` cannot check
        that the pinned verifier is the program's, and refuses)."""
        self.store = store
        self.max_blob = max_blob
        self.run: Runner = run or _here
        self.code_at = code_at
        self._verifiers: dict[str, bytes] = {}
        self._artifacts: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _artifact(self, cid: str, parse: Callable[[bytes], Any]) -> Any:
        with self._lock:
            found = self._artifacts.get(cid)
        if found is None:
            found = parse(self.store.get(cid, max_size=self.max_blob))
            with self._lock:
                if len(self._artifacts) >= KEY_CACHE * 3:
                    self._artifacts.pop(next(iter(self._artifacts)))
                self._artifacts[cid] = found
        return found

    def prepare(self, request: JobRequest) -> Prepared:
        """Fetches and checks what the job needs.

        Raises:
            ZkJobError: the spec or the program is malformed, the request pins another verifier than
                the program's, or the input is not the block its commitment names.
            store errors: NotFound, BlobTooLarge, ...
        """
        spec = ZkJob.from_bytes(self.store.get(cid_from_digest(request.program_id), max_size=MAX_MANIFEST))
        program = self._artifact(spec.program, ZkProgram.from_bytes)
        if program.pin != request.verifier_pin:
            raise ZkJobError(
                f"the request pins verifier {request.verifier_pin.hex()}, {program.name}'s is {program.pin.hex()}"
            )
        block = self.store.get(spec.input, max_size=BLOCK)
        if len(block) != BLOCK or zk.commitment(block) != request.input_digest:
            raise ZkJobError("the input block is not the one the request's input commitment names")
        self._check_verifier(program)
        return Prepared(program, block)

    def _check_verifier(self, program: ZkProgram) -> None:
        """The code at the pinned address must be the lean verifier of the program's key, byte for
        byte, as the pinned solc compiles it: stateless, the same answer for every caller. A pin
        only fixes code, and code can answer the proof court otherwise than a dry run (by its
        caller, by state its owner sets after the lock), which would have an honest prover slashed."""
        if self.code_at is None:
            raise ZkJobError("cannot read the pinned verifier's code: refusing what it cannot check")
        expected = self._verifiers.get(program.verification_key)
        if expected is None:
            key = self._artifact(program.verification_key, zk.VerificationKey.from_bytes)
            expected = keccak(zk.compile_verifier(zk.lean_verifier(key)).deployed_bytecode)
            with self._lock:
                self._verifiers[program.verification_key] = expected
        code = self.code_at(program.verifier)
        if keccak(code) != expected or program.code_hash != expected:
            raise ZkJobError(
                f"the pinned verifier at {program.verifier} is not the lean verifier of {program.name}'s key"
            )

    def prove(self, job_id: bytes, request: JobRequest, prover: str, prepared: Prepared | None = None) -> Proven:
        """Proves the job for ``prover``.

        Raises:
            ZkJobError: as `prepare`, or the proof does not verify in Python (it is not sent).
            zk.WitnessError: the program refuses the input (an assertion failed).
        """
        ready = prepared or self.prepare(request)
        manifest = ready.program
        program = self._artifact(manifest.program, zk.Program.from_bytes)
        key = self._artifact(manifest.verification_key, zk.VerificationKey.from_bytes)
        proving_key = self._artifact(manifest.proving_key, bytes)
        result = self._artifact(manifest.result_program, zk.Program.from_bytes) if manifest.result_program else None
        salt = os.urandom(SALT)
        block = self.run(result_block, result, manifest.recipe, ready.block, salt)
        digest = commitment_of(block)
        statement = zk.JobStatement.from_public_inputs(court_inputs(job_id, prover, request.input_digest, digest))
        proof = self.run(zk.prove_job, program, proving_key, statement, manifest.recipe.arguments(ready.block, salt))
        if not zk.verify_job(key, proof, statement):
            raise ZkJobError("the proof does not verify in Python: not sent")
        result_cid = self.store.put(block) if block else ""
        return Proven(digest, result_cid, proof.encoded())
