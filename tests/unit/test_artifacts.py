"""The generated artifacts match the sources, and every contract error decodes by name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from eth_abi import encode
from eth_utils import keccak

from ledger import ContractRevert, InsufficientBalance, NameNotAvailable, artifact, decode_revert, error_table, manifest
from ledger.artifacts import CONTRACT_NAMES

ROOT = Path(__file__).resolve().parents[2]


def test_artifacts_are_not_stale() -> None:
    """Fails when a contract source or the build settings changed without `make contracts`."""
    out = subprocess.run([sys.executable, "tools/artifacts.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_manifest_pins_compiler_and_evm_version() -> None:
    m = manifest()
    assert m["compiler"].startswith("0.8.37")
    assert m["settings"]["evmVersion"] == "prague"
    assert set(m["contracts"]) == set(CONTRACT_NAMES)


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_every_artifact_has_abi_and_code(name: str) -> None:
    a = artifact(name)
    assert a["abi"] and a["bytecode"].startswith("0x6") and len(a["deployedBytecode"]) > 100


def test_error_table_knows_our_and_openzeppelin_errors() -> None:
    names = {entry[0] for entry in error_table().values()}
    assert {
        "NameNotAvailable",
        "CommitmentTooNew",
        "Unauthorized",
        "FaucetDisabled",
        "ERC20InsufficientBalance",
    } <= names


def _encoded(signature: str, types: list[str], values: list[object]) -> bytes:
    return keccak(text=signature)[:4] + encode(types, values)


def test_decode_revert_gives_the_specific_subclass_with_arguments() -> None:
    data = _encoded("NameNotAvailable(string)", ["string"], ["alice"])
    err = decode_revert(data)
    assert isinstance(err, NameNotAvailable)
    assert err.name == "NameNotAvailable" and err.args_by_name == {"name": "alice"}
    assert str(err) == "NameNotAvailable(name=alice)"


def test_decode_revert_of_openzeppelin_error() -> None:
    sender = "0x" + "11" * 20
    err = decode_revert(
        _encoded("ERC20InsufficientBalance(address,uint256,uint256)", ["address", "uint256", "uint256"], [sender, 1, 2])
    )
    assert isinstance(err, InsufficientBalance)
    assert err.to_json() == {"error": "ERC20InsufficientBalance", "args": {"sender": sender, "balance": 1, "needed": 2}}


def test_decode_revert_of_error_string_and_unknown_data() -> None:
    assert decode_revert(_encoded("Error(string)", ["string"], ["boom"])).args_by_name == {"message": "boom"}
    unknown = decode_revert(b"\xde\xad\xbe\xef")
    assert type(unknown) is ContractRevert and unknown.name == "UnknownError"
    assert decode_revert(b"").name == "Reverted"
