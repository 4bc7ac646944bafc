"""No stdlib JSON parser on untrusted bytes in our packages (the store's half of "hostile input").

Importing py-evm raises Python's recursion limit to 100,000; from then on `json.loads` (and
requests' `.json()`, which uses it) overflows the C stack on ~100k nested brackets and the
process dies with a segmentation fault. Untrusted JSON goes through orjson (depth limit 1,024).
This test finds every stdlib JSON parse in the packages; only the trusted local files below may
use it, each with its reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["store", "ledger", "compute", "duties", "worker", "cli", "marketplace", "verifier", "zk"]

# (file, enclosing function): why the bytes parsed there are trusted.
TRUSTED = {
    ("ledger/accounts.py", "list"): "keystore files in the user's own state directory",
    ("ledger/accounts.py", "load"): "keystore files in the user's own state directory",
    ("ledger/artifacts.py", "artifact"): "compiled artifacts shipped inside the package",
    ("ledger/artifacts.py", "manifest"): "the artifacts' manifest shipped inside the package",
    ("duties/state.py", "_record"): "a worker's (or a verifier's) own SQLite job records",
    ("cli/worker.py", "_key"): "worker.json, written by this worker in its state directory",
    ("cli/chain.py", "info"): "the deployment record this process serialised",
    ("verifier/checks.py", "_select"): "the verifier's own SQLite check records",
    ("verifier/daemon.py", "_load_salt"): "verifier.json, written by this verifier in its state directory",
}


def stdlib_json_parses(path: Path) -> list[tuple[str, int]]:
    """(enclosing function, line) of each `json.load(s)(…)` or `….json()` call in ``path``."""
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute):
                attr, owner = child.func.attr, child.func.value
                module_call = attr in ("load", "loads") and isinstance(owner, ast.Name) and owner.id == "json"
                reply_call = attr == "json" and not child.args and not child.keywords
                if module_call or reply_call:
                    found.append((function, child.lineno))
            visit(child, name)

    visit(tree, "<module>")
    return found


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import json\ndef f(r, b):\n    json.loads(b)\n    return r.json()\n")
    assert stdlib_json_parses(sample) == [("f", 3), ("f", 4)]


def test_untrusted_json_is_never_parsed_with_the_stdlib_parser() -> None:
    offenders, seen = [], set()
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            for function, line in stdlib_json_parses(path):
                seen.add((relative, function))
                if (relative, function) not in TRUSTED:
                    offenders.append(f"{relative}:{line} in {function}()")
    assert not offenders, "parse untrusted JSON with orjson.loads (depth limit), not json:\n" + "\n".join(offenders)
    assert set(TRUSTED) <= seen, f"stale entries in TRUSTED: {set(TRUSTED) - seen}"
