"""EIP-137 namehash and label rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import labelhash, namehash, reverse_name, split_agora_name


@pytest.mark.parametrize(
    "name,node",
    [
        ("", "0000000000000000000000000000000000000000000000000000000000000000"),
        ("eth", "93cdeb708b7545dc668eb9280176169d1c33cfd8ed6f04690a0bcc88a93fc4ae"),
        ("foo.eth", "de9b09fd7c5f901e23a3f19fecc54828e9c848539801e86591bd9801b019f84f"),
        ("addr.reverse", "91d1777781884d03a6757a803996e38de2a42967fb37eeaca72729271025a9e2"),
    ],
)
def test_namehash_matches_eip137_vectors(name: str, node: str) -> None:
    assert namehash(name).hex() == node


@given(st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True), st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True))
def test_namehash_is_recursive(label: str, parent: str) -> None:
    from eth_utils import keccak

    assert namehash(f"{label}.{parent}") == keccak(namehash(parent) + labelhash(label))


@pytest.mark.parametrize("name,label", [("alice", "alice"), ("alice.agora", "alice"), ("a-1", "a-1")])
def test_split_agora_name_accepts_valid_labels(name: str, label: str) -> None:
    assert split_agora_name(name) == label


@pytest.mark.parametrize("name", ["", "Alice", "a.b.agora", "a_b", "x" * 64, "ünï"])
def test_split_agora_name_rejects_invalid_labels(name: str) -> None:
    with pytest.raises(ValueError, match="invalid name"):
        split_agora_name(name)


def test_reverse_name_is_lowercase_hex() -> None:
    assert (
        reverse_name("0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
        == "f39fd6e51aad88f6f4ce6ab8827279cfffb92266.addr.reverse"
    )
