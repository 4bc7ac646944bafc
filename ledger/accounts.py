"""Accounts: encrypted keystores under the state directory, and the development accounts."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import KeystoreError
from .keys import DEV_HD_PATH, DEV_MNEMONIC, Key, checksum_address, dev_key

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

CHAIN_ID = 31337
"""The embedded chain's id (anvil's too)."""
DEV_CHAIN_IDS = (CHAIN_ID, 1337)
"""Development chains (anvil's and Hardhat's ids, and ours): dev accounts, faucet, short delays."""
__all__ = ["CHAIN_ID", "DEV_CHAIN_IDS", "DEV_HD_PATH", "DEV_MNEMONIC", "Key", "Keystore", "dev_account", "dev_key"]


def dev_account(index: int = 0) -> LocalAccount:
    """Development account ``index`` of the standard mnemonic (funded at genesis on dev chains),
    as eth-account's account, for signing transactions (`dev_key` when hashes are all it signs)."""
    return dev_key(index).account()


class Keystore:
    """Web3 Secret Storage (v3) files, one per account, in ``home/keystore``."""

    def __init__(self, home: Path, *, kdf_iterations: int | None = None) -> None:
        self.dir = home / "keystore"
        self._iterations = kdf_iterations

    def _path(self, address: str) -> Path:
        return self.dir / f"{address.lower().removeprefix('0x')}.json"

    def list(self) -> list[str]:
        """Checksummed addresses of every stored key, sorted."""
        if not self.dir.exists():
            return []
        out: list[str] = []
        for path in sorted(self.dir.glob("*.json")):
            try:
                out.append(checksum_address(bytes.fromhex(json.loads(path.read_text())["address"])))
            except (ValueError, KeyError, TypeError):
                continue
        return out

    def new(self, password: str) -> str:
        """Creates a key; returns its address."""
        from eth_account import Account

        return self._store(Account.create(), password)

    def import_key(self, private_key: str, password: str) -> str:
        """Stores an existing private key (hex); returns its address."""
        from eth_account import Account

        try:
            account = Account.from_key(private_key)
        except (ValueError, TypeError) as exc:
            raise KeystoreError(f"not a private key: {exc}") from None
        return self._store(account, password)

    def _store(self, account: LocalAccount, password: str) -> str:
        if not password:
            raise KeystoreError("a keystore needs a non-empty password")
        path = self._path(account.address)
        if path.exists():
            raise KeystoreError(f"{account.address} is already in the keystore")
        from eth_account import Account

        blob = Account.encrypt(account.key, password, iterations=self._iterations)
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(blob, fh)
        tmp.replace(path)
        return str(account.address)

    def load(self, address: str, password: str) -> LocalAccount:
        """Decrypts the key of ``address``."""
        path = self._path(address)
        if not path.exists():
            raise KeystoreError(f"no key for {address} in {self.dir}")
        from eth_account import Account

        try:
            key = Account.decrypt(json.loads(path.read_text()), password)
        except ValueError:
            raise KeystoreError(f"wrong password for {address}") from None
        return Account.from_key(key)  # type: ignore[no-any-return]
