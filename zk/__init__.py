"""Zero-knowledge proofs for `ZK` jobs: ZoKrates programs, Groth16 keys and proofs, verification.

ZoKrates runs from npm's zokrates-js through zk/zokrates.mjs, offline: `compile_program`,
`setup`, `execute` (no proof), `prove` (`prove_job` for a `JobStatement`), `verify_with_zokrates`,
`export_verifier` and `compile_verifier` (the pinned npm solc); `lean_verifier` is a cheaper
drop-in for the exported verifier. `verify` checks a proof in Python exactly as the verifiers do
(pyrevm's native bn254, py_ecc without it). A job's public inputs bind the proof to the job id
and the prover (one element, the chain's `binding`) and to the input and result commitments
(`JobStatement`); commitments are Pedersen hashes of 64-byte blocks that circuits recompute
(`commitment`, zk.pedersen). Keys, proofs and programs are typed and serialise to canonical bytes
for the store. docs/zk.md.

A bottom-layer package: it imports nothing of ours.
"""

from .artifacts import G1, G2, Keys, Program, Proof, VerificationKey, VerifierContract
from .errors import (
    CompileError,
    InvalidStatement,
    LimitExceeded,
    MalformedArtifact,
    NotAJobProgram,
    SolidityError,
    ToolchainError,
    UnconstrainedInput,
    WitnessError,
    ZkError,
    ZkTimeout,
)
from .groth16 import InputCountMismatch, verify, verify_job
from .jobs import Recipe, ZkJob, ZkJobError, ZkProgram
from .pedersen import BLOCK, LIBRARY, commitment, compressed, library_source
from .settings import ZkSettings, get_settings
from .solidity import lean_verifier
from .statement import BINDING_BOUND, FIELD_MODULUS, PUBLIC_INPUTS, JobStatement
from .toolchain import (
    compile_program,
    compile_verifier,
    execute,
    export_verifier,
    prove,
    prove_job,
    setup,
    verify_with_zokrates,
    version,
)

__all__ = [
    "BINDING_BOUND",
    "BLOCK",
    "FIELD_MODULUS",
    "G1",
    "G2",
    "LIBRARY",
    "PUBLIC_INPUTS",
    "CompileError",
    "InputCountMismatch",
    "InvalidStatement",
    "JobStatement",
    "Keys",
    "LimitExceeded",
    "MalformedArtifact",
    "NotAJobProgram",
    "Program",
    "Proof",
    "SolidityError",
    "ToolchainError",
    "UnconstrainedInput",
    "VerificationKey",
    "VerifierContract",
    "WitnessError",
    "ZkError",
    "ZkJob",
    "ZkJobError",
    "ZkProgram",
    "Recipe",
    "ZkSettings",
    "ZkTimeout",
    "commitment",
    "compile_program",
    "compile_verifier",
    "compressed",
    "execute",
    "export_verifier",
    "get_settings",
    "lean_verifier",
    "library_source",
    "prove",
    "prove_job",
    "setup",
    "verify",
    "verify_job",
    "verify_with_zokrates",
    "version",
]
