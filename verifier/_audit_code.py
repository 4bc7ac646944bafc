"""Does the code at each recorded address come from these sources? The contracts are compiled again
with the pinned compiler, the way tools/artifacts.py builds them (forge over the npm solc), into a
temporary directory; each deployed runtime bytecode is compared with the compiled one with its
immutables (filled in at deployment) masked, and its metadata trailer with the compiled one's."""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from eth_utils import to_checksum_address
from web3 import Web3

from ledger import CONTRACT_NAMES, Deployment, LedgerError, manifest, mapped_errors

from ._audit_report import AuditReport

ROOT = Path(__file__).resolve().parent.parent
DEPLOYABLE = CONTRACT_NAMES
# Addresses each contract is built to trust: (contract, getter) -> the contract it must name.
WIRING = {
    ("JobMarket", "token"): "AgoraToken",
    ("JobMarket", "stakes"): "StakeManager",
    ("JobMarket", "court"): "Court",
    ("JobMarket", "proofCourt"): "ProofCourt",
    ("StakeManager", "token"): "AgoraToken",
    ("StakeManager", "market"): "JobMarket",
    ("StakeManager", "court"): "Court",
    ("Court", "token"): "AgoraToken",
    ("Court", "market"): "JobMarket",
    ("Court", "stakes"): "StakeManager",
    ("ProofCourt", "market"): "JobMarket",
    ("JobBatcher", "market"): "JobMarket",
}


class CompileError(LedgerError):
    """Raised when the contracts cannot be compiled again (no forge, no solc, a build error)."""


@dataclass(frozen=True)
class Compiled:
    """A contract as compiled now: runtime code, where its immutables go, the compiler."""

    name: str
    runtime: bytes
    immutables: tuple[tuple[int, int, str], ...]  # (start, length, variable name)
    compiler: str
    abi: list[dict[str, Any]]


def source_digest(root: Path) -> str:
    """sha256 over the sources and the build settings (what decides the bytecode)."""
    contracts = root / "contracts"
    digest = hashlib.sha256()
    for path in sorted((contracts / "src").rglob("*.sol")) + [contracts / "foundry.toml"]:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def compile_contracts(root: Path = ROOT) -> dict[str, Compiled]:
    """Every deployable contract compiled from ``root``'s sources (cached for the same sources)."""
    return _compile(root.resolve(), source_digest(root))


@cache
def _compile(root: Path, digest: str) -> dict[str, Compiled]:
    del digest  # part of the cache key: new sources, a new build
    forge = sorted((root / "node_modules" / "@foundry-rs").glob("forge-*/bin/forge"))
    if not forge:
        raise CompileError(f"forge is not installed under {root / 'node_modules'}: run `make deps`")
    with tempfile.TemporaryDirectory(prefix="agora-audit-") as tmp:
        out = Path(tmp) / "out"
        # tools/artifacts.py's build, of the sources only (the tests' fixtures are not deployed)
        command = [
            str(forge[0]),
            "build",
            "src",
            "--skip",
            "test",
            "--ast",
            "--out",
            str(out),
            "--cache-path",
            f"{tmp}/cache",
        ]
        done = subprocess.run(command, cwd=root / "contracts", capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise CompileError(f"forge build failed: {(done.stderr or done.stdout).strip()[-2000:]}")
        raws = {path: orjson.loads(path.read_bytes()) for path in out.rglob("*.sol/*.json")}
        names: dict[int, str] = {}
        for raw in raws.values():  # an immutable may be declared in a base contract's file
            names.update(_variable_names(raw.get("ast", {})))
        return {name: _read(raws[out / f"{name}.sol" / f"{name}.json"], name, names) for name in DEPLOYABLE}


def _read(raw: dict[str, Any], name: str, names: dict[int, str]) -> Compiled:
    refs = raw["deployedBytecode"].get("immutableReferences") or {}
    spans = tuple(
        sorted(
            (int(r["start"]), int(r["length"]), names.get(int(ast_id), f"#{ast_id}"))
            for ast_id, rs in refs.items()
            for r in rs
        )
    )
    runtime = bytes.fromhex(raw["deployedBytecode"]["object"].removeprefix("0x"))
    return Compiled(name, runtime, spans, raw["metadata"]["compiler"]["version"], raw["abi"])


def _variable_names(node: Any) -> dict[int, str]:
    """AST id -> name of every declaration in the contract's own file (immutables are among them)."""
    found: dict[int, str] = {}
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("nodeType") == "VariableDeclaration" and "id" in item:
                found[int(item["id"])] = str(item.get("name", ""))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def metadata_trailer(code: bytes) -> bytes:
    """The CBOR metadata solc appends to runtime code (its last two bytes are its length)."""
    if len(code) < 2:
        return b""
    length = int.from_bytes(code[-2:], "big")
    return code[-(length + 2) :] if length + 2 <= len(code) else b""


def describe_trailer(trailer: bytes) -> str:
    """The trailer's entries, e.g. ``solc 0.8.37`` and, where solc put one, ``ipfs <hash>``."""
    parts = []
    for key in (b"ipfs", b"bzzr1", b"solc", b"experimental"):
        at = trailer.find(bytes([0x60 + len(key)]) + key)
        if at < 0:
            continue
        head = trailer[at + 1 + len(key)]
        if key == b"solc" and head == 0x43:
            value = trailer[at + 2 + len(key) : at + 5 + len(key)]
            parts.append("solc " + ".".join(str(b) for b in value))
        elif head in (0x58,):
            size = trailer[at + 2 + len(key)]
            parts.append(f"{key.decode()} {trailer[at + 3 + len(key) : at + 3 + len(key) + size].hex()}")
    return ", ".join(parts) or "none"


def _masked(code: bytes, spans: tuple[tuple[int, int, str], ...]) -> bytes:
    out = bytearray(code)
    for start, length, _ in spans:
        out[start : start + length] = bytes(length)
    return bytes(out)


def verify_code(
    w3: Web3, deployment: Deployment, compiled: dict[str, Compiled], *, at: int, report: AuditReport
) -> None:
    """Checks every recorded contract's code at block ``at`` against ``compiled``."""
    shipped = manifest()
    for name in DEPLOYABLE:
        if name not in deployment.contracts:
            report.fail("code", f"{name} is missing from the deployment record")
            continue
        want, entry = compiled[name], deployment.contracts[name]
        with mapped_errors():
            code = bytes(w3.eth.get_code(to_checksum_address(entry["address"]), at))  # type: ignore[arg-type]
        where = f"{name} at {entry['address']}"
        if not report.expect(bool(code), "code", f"{where}: no code"):
            continue
        report.expect(
            want.compiler == deployment.compiler,
            "code",
            f"{where}: recorded compiler {deployment.compiler}, recompiled with {want.compiler}",
        )
        masked = _masked(code, want.immutables) if len(code) == len(want.runtime) else code
        first = next((i for i, (a, b) in enumerate(zip(masked, want.runtime, strict=False)) if a != b), None)
        if first is None and len(code) != len(want.runtime):
            first = min(len(code), len(want.runtime))
        sizes = f"{len(code)} bytes on chain, {len(want.runtime)} compiled"
        same = report.expect(
            first is None, "code", f"{where}: the code differs from the sources from byte {first} ({sizes})"
        )
        chain_meta, built_meta = metadata_trailer(code), metadata_trailer(want.runtime)
        report.expect(
            chain_meta == built_meta,
            "code",
            f"{where}: metadata {describe_trailer(chain_meta)}, the sources give {describe_trailer(built_meta)}",
        )
        report.expect(
            hashlib.sha256(code).hexdigest() == entry.get("codeSha256"),
            "code",
            f"{where}: the code's sha256 is not the record's codeSha256",
        )
        built = hashlib.sha256(want.runtime).hexdigest()
        if entry.get("artifactSha256") != built:
            report.notes.append(
                f"{name}: the record's artifactSha256 is not the hash of the code these sources compile to"
            )
        if shipped["contracts"].get(name, {}).get("runtimeCodeSha256") != built:
            report.notes.append(f"{name}: ledger/artifacts is stale against the sources (run `make contracts`)")
        if same:
            report.notes.append(
                f"{name}: metadata {describe_trailer(chain_meta)}; immutables {_immutables(code, want)}"
            )
    _wiring(w3, deployment, compiled, at=at, report=report)


def _immutables(code: bytes, want: Compiled) -> str:
    seen: dict[str, str] = {}
    for start, length, name in want.immutables:
        seen.setdefault(name, "0x" + code[start : start + length].hex())
    return ", ".join(f"{n}={v}" for n, v in seen.items()) or "none"


def _wiring(w3: Web3, deployment: Deployment, compiled: dict[str, Compiled], *, at: int, report: AuditReport) -> None:
    """The addresses the contracts trust (immutables and one-time settings) are the recorded ones."""
    for (name, getter), target in WIRING.items():
        if name not in deployment.contracts or target not in deployment.contracts:
            continue
        contract = w3.eth.contract(address=to_checksum_address(deployment.address(name)), abi=compiled[name].abi)
        try:
            with mapped_errors():
                value = str(contract.functions[getter]().call(block_identifier=at))
        except LedgerError as exc:
            report.fail("code", f"{name}.{getter}() cannot be read: {exc}")
            continue
        expected = to_checksum_address(deployment.address(target))
        report.expect(value == expected, "code", f"{name}.{getter}() is {value}, the record's {target} is {expected}")
