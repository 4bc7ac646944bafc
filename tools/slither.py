"""Run slither over contracts/src with the pinned npm solc (``make slither``, part of ``make test``).

crytic-compile's Foundry support does not read forge 1.x build info, so slither compiles the
source directory itself in standard-JSON mode through tools/solc (run from the repository root,
where no foundry.toml makes it pick Foundry). Slither lives in its own venv (.venv-slither):
it requires web3 < 8. Prints medium and high findings; exits non-zero on a high one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
SLITHER = ROOT / ".venv-slither" / "bin" / "slither"


def main() -> int:
    if not SLITHER.exists():
        sys.exit("slither is not installed: run `make deps`")
    forge_bin = next((ROOT / "node_modules" / "@foundry-rs").glob("forge-*/bin"))
    env = {**os.environ, "PATH": f"{forge_bin}:{os.environ['PATH']}"}
    report = ROOT / ".stamps" / "slither.json"
    report.parent.mkdir(exist_ok=True)
    report.unlink(missing_ok=True)
    cmd = [
        str(SLITHER),
        "contracts/src",
        "--solc-standard-json",
        "--solc",
        "tools/solc",
        "--solc-remaps",
        "@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/",
        "--filter-paths",
        "node_modules",
        "--exclude-dependencies",
        "--json",
        str(report),
    ]
    subprocess.run(cmd, cwd=ROOT, env=env, check=False, capture_output=True, text=True)
    if not report.exists():
        sys.exit("slither produced no report")
    results = json.loads(report.read_text())
    if not results.get("success"):
        sys.exit(f"slither failed: {results.get('error')}")
    findings = results.get("results", {}).get("detectors", [])
    counts: dict[str, int] = {}
    for f in findings:
        counts[f["impact"]] = counts.get(f["impact"], 0) + 1
        if f["impact"] in ("High", "Medium"):
            print(f"[{f['impact']}] {f['check']}: {f['description'].strip()}")
    print(
        "slither: " + ", ".join(f"{n} {impact.lower()}" for impact, n in sorted(counts.items()))
        or "slither: no findings"
    )
    return 1 if counts.get("High") else 0


if __name__ == "__main__":
    sys.exit(main())
