"""ZoKrates through zokrates-js: compile, Groth16 setup, prove, verify, and the Solidity verifier.

Each step runs zk/zokrates.mjs in a fresh Node process, offline, within the deadline its setting
names (zk.settings); errors are the package's (zk.errors), with ZoKrates' own message.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from typing import Any

import orjson

from . import _node
from .artifacts import Keys, Program, Proof, VerificationKey, VerifierContract
from .errors import LimitExceeded, MalformedArtifact, NotAJobProgram, ToolchainError, UnconstrainedInput
from .pedersen import LIBRARY, library_source
from .r1cs import public_wires_unused
from .settings import ZkSettings, get_settings
from .statement import PUBLIC_INPUTS, JobStatement

log = logging.getLogger(__name__)

EVM_VERSION = "prague"  # as contracts/foundry.toml: py-evm 0.12 runs up to Prague
OPTIMIZER_RUNS = 200


def _flatten(name: str, kind: dict[str, Any]) -> list[str]:
    """The field elements one ABI value takes, named as ZoKrates orders them."""
    match kind.get("type"):
        case "field" | "bool" | "u8" | "u16" | "u32" | "u64":
            return [name]
        case "array":
            inner = kind["components"]
            return [n for i in range(int(inner["size"])) for n in _flatten(f"{name}[{i}]", inner)]
        case "struct":
            return [n for m in kind["components"]["members"] for n in _flatten(f"{name}.{m['name']}", m)]
        case "tuple":
            return [n for i, e in enumerate(kind["components"]["elements"]) for n in _flatten(f"{name}.{i}", e)]
    raise ToolchainError(f"unknown ABI type {kind.get('type')!r} of {name}")


def _public_inputs(abi: dict[str, Any]) -> tuple[str, ...]:
    names = [n for arg in abi["inputs"] if arg.get("public") for n in _flatten(arg["name"], arg)]
    return tuple(names + _flatten("return", abi["output"]))


def _check_job_layout(abi: dict[str, Any]) -> None:
    public = [(arg["name"], arg["type"]) for arg in abi["inputs"] if arg.get("public")]
    if [kind for _, kind in public] != ["field"] * len(PUBLIC_INPUTS) or _flatten("return", abi["output"]):
        layout = ", ".join(f"field {name}" for name in PUBLIC_INPUTS)
        raise NotAJobProgram(
            f"a job program's public inputs are exactly ({layout}) and it returns nothing; this one's are "
            f"{', '.join(f'{kind} {name}' for name, kind in public) or 'none'}"
            + (" and it returns a value" if _flatten("return", abi["output"]) else "")
        )


def compile_program(
    source: str, *, location: str = "main.zok", job: bool = True, settings: ZkSettings | None = None
) -> Program:
    """Compiles a ZoKrates program (it may import the stdlib and ``./agora/pedersen512``, zk.pedersen).

    With ``job`` (the default) its public inputs must be the job layout (zk.statement). Every
    public input must take part in a constraint.

    Raises:
        CompileError: ZoKrates' message, with the line and column it names.
        UnconstrainedInput: a public input no constraint uses.
        NotAJobProgram: with ``job``, public inputs other than the layout's, or a return value.
        LimitExceeded: a source or a program above AGORA_ZK_MAX_SOURCE or AGORA_ZK_MAX_CONSTRAINTS.
    """
    settings = settings or get_settings()
    if len(source.encode()) > settings.max_source:
        raise LimitExceeded(f"the source is above AGORA_ZK_MAX_SOURCE ({settings.max_source} bytes)")
    request = {"source": source, "location": location, "libraries": {LIBRARY: library_source()}}
    answer = _node.call("compile", request, settings, "compile_timeout")
    count = int(answer["constraintCount"])
    if count > settings.max_constraints:
        raise LimitExceeded(f"{count} constraints, above AGORA_ZK_MAX_CONSTRAINTS ({settings.max_constraints})")
    abi = answer["abi"]
    names = _public_inputs(abi)
    unused = tuple(names[i] for i in public_wires_unused(base64.b64decode(answer["r1cs"])))
    if unused:
        raise UnconstrainedInput(
            f"public input(s) {', '.join(unused)} take part in no constraint, so a proof would bind nothing "
            "to their values: assert something of each (docs/zk.md, 'Binding')",
            names=unused,
        )
    if job:
        _check_job_layout(abi)
    return Program(
        source=source,
        compiled=base64.b64decode(answer["program"]),
        abi=abi,
        constraint_count=count,
        public_inputs=names,
        zokrates=str(answer["zokrates"]),
    )


def setup(program: Program, *, settings: ZkSettings | None = None) -> Keys:
    """A Groth16 setup for ``program`` (fresh randomness, discarded: one party's trusted setup).

    Raises:
        ToolchainError: when the key zokrates-js made is not the program's.
    """
    settings = settings or get_settings()
    request = {"program": base64.b64encode(program.compiled).decode()}
    answer = _node.call("setup", request, settings, "setup_timeout")
    key = VerificationKey.from_json(answer["vk"])
    if key.inputs != len(program.public_inputs):
        raise ToolchainError(f"the key takes {key.inputs} inputs, the program has {len(program.public_inputs)}")
    if any(term == (0, 0) for term in key.gamma_abc[1:]):
        raise ToolchainError("an input term of the key is the point at infinity: that input would bind nothing")
    return Keys(verification_key=key, proving_key=base64.b64decode(answer["pk"]))


def _witness_request(program: Program, arguments: Sequence[Any], settings: ZkSettings) -> dict[str, Any]:
    args = list(arguments)
    if len(orjson.dumps(args)) > settings.max_arguments:
        raise LimitExceeded(f"the arguments are above AGORA_ZK_MAX_ARGUMENTS ({settings.max_arguments} bytes)")
    return {"program": base64.b64encode(program.compiled).decode(), "abi": program.abi, "args": args}


def _logged(answer: dict[str, Any]) -> dict[str, Any]:
    for line in answer.get("logs", []):
        log.info("zokrates: %s", line)
    return answer


def execute(program: Program, arguments: Sequence[Any], *, settings: ZkSettings | None = None) -> Any:
    """Runs ``program`` on ``arguments`` without proving; returns what ``main`` returns (ZoKrates' JSON).

    Raises:
        WitnessError: as `prove`.
    """
    settings = settings or get_settings()
    request = _witness_request(program, arguments, settings)
    return _logged(_node.call("witness", request, settings, "prove_timeout"))["output"]


def prove(
    program: Program, proving_key: bytes, arguments: Sequence[Any], *, settings: ZkSettings | None = None
) -> Proof:
    """Computes the witness for ``arguments`` (ZoKrates' JSON values, public and private in ``main``'s
    order: fields as decimal strings, u8-u64 as 0x hex of their width, bools) and proves it.

    Raises:
        WitnessError: a failed assertion (``assertion`` is True), or arguments of the wrong shape.
        LimitExceeded: arguments above AGORA_ZK_MAX_ARGUMENTS.
    """
    settings = settings or get_settings()
    request = {**_witness_request(program, arguments, settings), "pk": base64.b64encode(proving_key).decode()}
    answer = _logged(_node.call("prove", request, settings, "prove_timeout"))
    return Proof.from_json(answer["proof"])


def prove_job(
    program: Program,
    proving_key: bytes,
    statement: JobStatement,
    private: Sequence[Any],
    *,
    settings: ZkSettings | None = None,
) -> Proof:
    """`prove` for a job program: the statement's three public inputs, then the private arguments."""
    return prove(program, proving_key, [*statement.arguments(), *private], settings=settings)


def verify_with_zokrates(key: VerificationKey, proof: Proof, *, settings: ZkSettings | None = None) -> bool:
    """zokrates-js's own verification of ``proof`` (with the proof's inputs): the reference for zk.verify."""
    settings = settings or get_settings()
    request = {"vk": key.to_json(), "proof": proof.to_json()}
    answer = _node.call("verify", request, settings, "verify_timeout")
    return bool(answer["valid"])


def export_verifier(key: VerificationKey, *, settings: ZkSettings | None = None) -> str:
    """The Solidity verifier ZoKrates exports for ``key`` (contract ``Verifier``, ``verifyTx``)."""
    settings = settings or get_settings()
    answer = _node.call("export", {"vk": key.to_json()}, settings, "verify_timeout")
    return str(answer["source"])


def compile_verifier(source: str, *, settings: ZkSettings | None = None) -> VerifierContract:
    """Compiles an exported verifier with the pinned npm solc (optimizer on, 200 runs, Prague).

    Raises:
        SolidityError: solc's messages.
    """
    settings = settings or get_settings()
    request = {
        "source": source,
        "file": "Verifier.sol",
        "contract": "Verifier",
        "evmVersion": EVM_VERSION,
        "optimizerRuns": OPTIMIZER_RUNS,
    }
    answer = _node.call("solc", request, settings, "verify_timeout")
    try:
        return VerifierContract(
            source=source,
            abi=answer["abi"],
            bytecode=bytes.fromhex(answer["bytecode"]),
            deployed_bytecode=bytes.fromhex(answer["deployedBytecode"]),
            solc=str(answer["version"]),
        )
    except (KeyError, ValueError) as exc:
        raise MalformedArtifact(f"solc's answer: {exc}") from None


_versions: dict[str, str] = {}


def version(*, settings: ZkSettings | None = None) -> dict[str, str]:
    """The versions of zokrates-js's ZoKrates and of solc (asked once per process)."""
    if not _versions:
        settings = settings or get_settings()
        answer = _node.call("version", {}, settings, "verify_timeout")
        _versions.update(zokrates=str(answer["zokrates"]), solc=str(answer["solc"]))
    return dict(_versions)
