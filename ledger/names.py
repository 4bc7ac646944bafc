"""EIP-137 name hashing and label checks."""

from __future__ import annotations

import re

from ._abi import keccak

TLD = "agora"
_LABEL = re.compile(r"^[a-z0-9-]{1,63}$")


def namehash(name: str) -> bytes:
    """The EIP-137 node of ``name`` (``""`` is the root)."""
    node = b"\x00" * 32
    if name:
        for label in reversed(name.split(".")):
            node = keccak(node + keccak(label.encode()))
    return node


def labelhash(label: str) -> bytes:
    """keccak256 of one label."""
    return keccak(label.encode())


def split_agora_name(name: str) -> str:
    """The label of ``name`` under ``.agora`` (``alice`` for ``alice`` or ``alice.agora``).

    Raises:
        ValueError: when the label is not 1-63 characters of a-z, 0-9 and '-'.
    """
    label = name.removesuffix("." + TLD)
    if not _LABEL.match(label):
        raise ValueError(f"invalid name {name!r}: use 1-63 characters of a-z, 0-9 and '-'")
    return label


def reverse_name(address: str) -> str:
    """The reverse record name of ``address``: ``<hex>.addr.reverse``."""
    return address.lower().removeprefix("0x") + ".addr.reverse"
