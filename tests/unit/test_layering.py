"""The layering of docs/architecture.md, checked on the sources: who may import whom."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOTTOM = {"ledger", "store", "compute", "zk"}
SHARED = {"duties"}  # what a staked account owes the market: the worker's and the verifier's
MIDDLE = {"worker", "verifier", "marketplace"}
OURS = BOTTOM | SHARED | MIDDLE | {"cli", "frontend"}
ALLOWED = {
    **{package: {package} for package in BOTTOM},
    "duties": BOTTOM | {"duties"},
    "worker": BOTTOM | {"duties", "worker"},
    "verifier": BOTTOM | {"duties", "verifier"},
    "marketplace": BOTTOM | {"marketplace"},
    "frontend": {"frontend"},
    "cli": OURS,
}


def our_imports(source: str) -> set[str]:
    """Our top-level packages a module imports (relative imports are its own package's)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & OURS


def imports_of(package: str) -> dict[str, set[str]]:
    return {
        str(path.relative_to(ROOT)): our_imports(path.read_text()) for path in sorted((ROOT / package).rglob("*.py"))
    }


def test_every_package_of_ours_has_its_rule() -> None:
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests", "bench", "tools"}
    assert packages == set(ALLOWED)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_package_imports_only_the_layers_below_it(package: str) -> None:
    wrong = {module: sorted(names - ALLOWED[package]) for module, names in imports_of(package).items()}
    assert {module: names for module, names in wrong.items() if names} == {}


def test_the_check_sees_an_import_it_must_refuse() -> None:
    source = "import os\nfrom worker import Worker\nimport ledger.market\nfrom duties import Duties\n"
    source += "from . import sibling\n"
    assert our_imports(source) - ALLOWED["compute"] == {"worker", "ledger", "duties"}
    assert our_imports(source) - ALLOWED["verifier"] == {"worker"}
