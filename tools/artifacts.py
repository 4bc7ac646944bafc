"""Regenerate the contract artifacts that Python uses (``make contracts``).

Builds the Foundry project with the pinned solc, then writes ``ledger/artifacts/<Contract>.json``
(ABI, creation and runtime bytecode) for every deployable contract under ``contracts/src`` and
``ledger/artifacts/manifest.json`` naming the compiler, its settings and the hash of every source.
It also writes ``ledger/events.py``, the typed event records (tools/events.py).
``python tools/artifacts.py --check`` exits non-zero when the artifacts or the records are stale.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ledger.artifacts import CONTRACT_NAMES  # noqa: E402
from tools import events  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
OUT = ROOT / "ledger" / "artifacts"
DEPLOYABLE = CONTRACT_NAMES  # one list: what ledger loads is what this writes


def source_hashes() -> dict[str, str]:
    """sha256 of every input that decides the bytecode: our sources and the build settings."""
    files = sorted((CONTRACTS / "src").rglob("*.sol")) + [CONTRACTS / "foundry.toml"]
    return {str(p.relative_to(ROOT)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def forge() -> Path:
    found = sorted((ROOT / "node_modules" / "@foundry-rs").glob("forge-*/bin/forge"))
    if not found:
        sys.exit("forge is not installed: run `make contracts` (it runs npm ci first)")
    return found[0]


def build() -> None:
    subprocess.run([str(forge()), "build", "--skip", "test"], cwd=CONTRACTS, check=True)
    manifest: dict[str, object] = {"contracts": {}}
    for name in DEPLOYABLE:
        raw = json.loads((CONTRACTS / "out" / f"{name}.sol" / f"{name}.json").read_text())
        artifact = {
            "contractName": name,
            "abi": raw["abi"],
            "bytecode": raw["bytecode"]["object"],
            "deployedBytecode": raw["deployedBytecode"]["object"],
        }
        (OUT / f"{name}.json").write_text(json.dumps(artifact, indent=1, sort_keys=True) + "\n")
        code = bytes.fromhex(artifact["deployedBytecode"].removeprefix("0x"))
        manifest["contracts"][name] = {"runtimeCodeSha256": hashlib.sha256(code).hexdigest()}  # type: ignore[index]
        meta = raw["metadata"]
    manifest["compiler"] = meta["compiler"]["version"]
    settings = meta["settings"]
    manifest["settings"] = {k: settings[k] for k in ("evmVersion", "optimizer") if k in settings}
    manifest["sources"] = source_hashes()
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(DEPLOYABLE)} artifacts and manifest.json to {OUT.relative_to(ROOT)}")
    events.write(DEPLOYABLE)
    print(f"wrote the event records to {events.TARGET.relative_to(ROOT)}")


def check() -> int:
    manifest = json.loads((OUT / "manifest.json").read_text())
    stale = sorted(set(manifest["sources"].items()) ^ set(source_hashes().items()))
    for path, _ in stale:
        print(f"stale: {path} changed since the artifacts were generated (run `make contracts`)")
    if events.stale(DEPLOYABLE):
        print(f"stale: {events.TARGET.relative_to(ROOT)} is not what the artifacts' events make (run `make contracts`)")
        return 1
    return 1 if stale else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether the artifacts are stale")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    sys.exit(check() if args.check else build())
