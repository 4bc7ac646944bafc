"""A private key that signs hashes, and the development keys, without eth-account.

Importing eth-account imports eth-keyfile, which imports py_ecc's BLS12-381 code for keystores of
the V4 kind, and py_ecc computes its pairing tables while it is imported: 0.3-0.6 s of arithmetic
in every process that does so (docs/toolchain.md). A command that only signs an API request or a
store write needs none of it, so `Key` signs a 32-byte hash with libsecp256k1 (coincurve), and
`dev_key` derives the development accounts (BIP-39 seed, BIP-32 path) with hashlib and
coincurve. `Key.account()` gives eth-account's `LocalAccount` of the same key where a transaction
is to be signed. tests/unit/test_ledger_keys.py checks both against eth-account.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

import coincurve

from ._abi import checksum_address, keccak

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from eth_typing import Hash32

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_HD_PATH = "m/44'/60'/0'/0"
_HARDENED = 1 << 31


@dataclass(frozen=True)
class Signed:
    """A signature of a hash: ``r ‖ s ‖ v`` with v 27 or 28, low s (what eth-account's
    ``unsafe_sign_hash`` returns under the same attribute)."""

    signature: bytes


class Key:
    """A secp256k1 private key: its checksum address, and signatures of 32-byte hashes."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) != 32 or not 0 < int.from_bytes(secret, "big") < SECP256K1_N:
            raise ValueError("a private key is 32 bytes, above zero and below the curve's order")
        self._key = coincurve.PrivateKey(secret)
        public = self._key.public_key.format(compressed=False)[1:]
        self.address = checksum_address(keccak(public)[-20:])

    @property
    def key(self) -> bytes:
        """The 32 secret bytes."""
        return bytes(self._key.secret)

    def unsafe_sign_hash(self, message_hash: Hash32) -> Signed:
        """Signs ``message_hash`` as it is (no prefix added: the caller hashed typed data)."""
        if len(message_hash) != 32:
            raise ValueError(f"a hash to sign is 32 bytes, not {len(message_hash)}")
        raw = self._key.sign_recoverable(bytes(message_hash), hasher=None)  # r ‖ s ‖ recovery id; s low
        return Signed(raw[:64] + bytes([27 + raw[64]]))

    def account(self) -> LocalAccount:
        """eth-account's account of this key, for signing transactions."""
        from eth_account import Account

        return Account.from_key(self.key)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"Key({self.address})"


def dev_key(index: int = 0) -> Key:
    """Development account ``index`` of the standard mnemonic (funded at genesis on dev chains):
    BIP-32 path ``m/44'/60'/0'/0/index`` from the mnemonic's BIP-39 seed."""
    if not 0 <= index < _HARDENED:
        raise ValueError(f"not an account index: {index}")
    return Key(_derive(_seed(DEV_MNEMONIC), f"{DEV_HD_PATH}/{index}"))


@functools.cache
def _seed(mnemonic: str, passphrase: str = "") -> bytes:
    """BIP-39: the seed of a mnemonic (its words are not checked against the word list)."""
    words = unicodedata.normalize("NFKD", mnemonic).encode()
    salt = unicodedata.normalize("NFKD", "mnemonic" + passphrase).encode()
    return hashlib.pbkdf2_hmac("sha512", words, salt, 2048)


def _derive(seed: bytes, path: str) -> bytes:
    """BIP-32: the private key at ``path`` (``m/44'/60'/0'/0/3``) below ``seed``'s master key."""
    parts = path.split("/")
    if parts[0] != "m":
        raise ValueError(f"a derivation path starts at m: {path}")
    digest = hmac.digest(b"Bitcoin seed", seed, "sha512")
    key, chain = int.from_bytes(digest[:32], "big"), digest[32:]
    for part in parts[1:]:
        index = int(part.removesuffix("'")) + (_HARDENED if part.endswith("'") else 0)
        secret = key.to_bytes(32, "big")
        parent = b"\0" + secret if index >= _HARDENED else coincurve.PrivateKey(secret).public_key.format()
        digest = hmac.digest(chain, parent + index.to_bytes(4, "big"), "sha512")
        tweak = int.from_bytes(digest[:32], "big")
        key, chain = (tweak + key) % SECP256K1_N, digest[32:]
        if tweak >= SECP256K1_N or key == 0:  # BIP-32: the next index; odds about 2**-127
            raise ValueError(f"{path} derives an invalid key: use another index")
    return key.to_bytes(32, "big")
