"""Encrypted keystores."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ledger import Keystore, KeystoreError, dev_account


def store(tmp_path: Path) -> Keystore:
    return Keystore(tmp_path, kdf_iterations=2)  # a cheap KDF keeps unit tests fast


def test_new_key_round_trips_with_its_password(tmp_path: Path) -> None:
    ks = store(tmp_path)
    address = ks.new("pw")
    assert ks.list() == [address]
    assert ks.load(address, "pw").address == address
    mode = stat.S_IMODE((tmp_path / "keystore" / f"{address.lower()[2:]}.json").stat().st_mode)
    assert mode == 0o600


def test_wrong_password_is_refused(tmp_path: Path) -> None:
    ks = store(tmp_path)
    address = ks.new("right")
    with pytest.raises(KeystoreError, match="wrong password"):
        ks.load(address, "wrong")


def test_import_stores_the_given_key_once(tmp_path: Path) -> None:
    ks = store(tmp_path)
    key = dev_account(3).key.to_0x_hex()
    assert ks.import_key(key, "pw") == dev_account(3).address
    with pytest.raises(KeystoreError, match="already"):
        ks.import_key(key, "pw")


def test_bad_inputs_are_refused(tmp_path: Path) -> None:
    ks = store(tmp_path)
    with pytest.raises(KeystoreError, match="not a private key"):
        ks.import_key("0x1234", "pw")
    with pytest.raises(KeystoreError, match="non-empty password"):
        ks.new("")
    with pytest.raises(KeystoreError, match="no key"):
        ks.load("0x" + "00" * 20, "pw")
    assert ks.list() == []


def test_dev_accounts_are_the_standard_ones() -> None:
    assert dev_account(0).address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert dev_account(1).address == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
