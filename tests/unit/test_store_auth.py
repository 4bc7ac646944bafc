"""Signed writes (the AgoraStore header over EIP-712 StorePut) and per-signer quotas, without a node."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message
from eth_utils import keccak

from store import QuotaBook, QuotaExceeded, Unauthenticated, authorization
from store.auth import MAX_AHEAD, SECP256K1_N, digest, message, verify

ALICE = Account.from_key(b"\x01" * 32)
PATH = "/shards/" + "ab" * 32
NOW = 1_800_000_000


def header(path: str = PATH, size: int = 10, expires: int = NOW + 600) -> str:
    return authorization(ALICE, path, size, expires)


def test_a_good_signature_names_its_signer() -> None:
    assert verify(header(), path=PATH, size=10, now=NOW) == ALICE.address


def test_the_typed_data_is_the_documented_one() -> None:
    """The EIP-712 digest computed by hand from docs/store.md's domain and type."""

    def word(n: int) -> bytes:
        return n.to_bytes(32, "big")

    domain = keccak(keccak(b"EIP712Domain(string name,string version)") + keccak(b"Agora Store") + keccak(b"1"))
    struct = keccak(
        keccak(b"StorePut(string path,uint256 size,uint64 expires)") + keccak(PATH.encode()) + word(10) + word(NOW)
    )
    assert _hash_eip191_message(message(PATH, 10, NOW)) == keccak(b"\x19\x01" + domain + struct)
    assert digest(PATH, 10, NOW) == keccak(b"\x19\x01" + domain + struct)  # the shortcut signers use


def test_a_wallet_signing_the_typed_data_makes_the_same_header() -> None:
    signed = Account.sign_message(message(PATH, 10, NOW + 600), ALICE.key).signature
    assert header() == f"AgoraStore signer={ALICE.address},expires={NOW + 600},signature=0x{bytes(signed).hex()}"


@pytest.mark.parametrize(
    "value,why",
    [
        (None, "needs an 'Authorization"),
        ("", "needs an 'Authorization"),
        ("Bearer abc", "malformed"),
        ("AgoraStore signer=0x12,expires=1,signature=0x00", "malformed"),
        ("AgoraStore " + "x" * 400, "malformed"),
    ],
)
def test_missing_or_malformed_headers_are_refused(value: str | None, why: str) -> None:
    with pytest.raises(Unauthenticated, match=why):
        verify(value, path=PATH, size=10, now=NOW)


def test_a_signature_for_another_path_or_size_does_not_verify() -> None:
    with pytest.raises(Unauthenticated, match="is not"):
        verify(header(), path="/shards/" + "cd" * 32, size=10, now=NOW)
    with pytest.raises(Unauthenticated, match="is not"):
        verify(header(), path=PATH, size=11, now=NOW)


def test_another_signer_named_in_the_header_does_not_verify() -> None:
    forged = header().replace(ALICE.address, Account.from_key(b"\x02" * 32).address)
    with pytest.raises(Unauthenticated, match="is not"):
        verify(forged, path=PATH, size=10, now=NOW)


def test_expired_and_far_future_signatures_are_refused() -> None:
    with pytest.raises(Unauthenticated, match="expired"):
        verify(header(expires=NOW - 1), path=PATH, size=10, now=NOW)
    with pytest.raises(Unauthenticated, match="ahead"):
        verify(header(expires=NOW + MAX_AHEAD + 1), path=PATH, size=10, now=NOW)
    assert verify(header(expires=NOW + MAX_AHEAD), path=PATH, size=10, now=NOW) == ALICE.address


def test_the_high_s_twin_of_a_valid_signature_is_refused() -> None:
    """eth_account would recover the same signer from (r, n - s, v ^ 1): malleable."""
    good = header()
    sig = bytes.fromhex(good.rsplit("0x", 1)[1])
    r, s, v = sig[:32], int.from_bytes(sig[32:64], "big"), sig[64]
    twin = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])
    assert Account.recover_message(message(PATH, 10, NOW + 600), signature=twin) == ALICE.address
    with pytest.raises(Unauthenticated, match="canonical"):
        verify(good.rsplit("0x", 1)[0] + "0x" + twin.hex(), path=PATH, size=10, now=NOW)


def test_quotas_hold_reservations_and_survive_a_restart(tmp_path: Path) -> None:
    book = QuotaBook(tmp_path / "quota.sqlite", 100)
    book.reserve(ALICE.address, 60)
    with pytest.raises(QuotaExceeded, match="quota of 100 bytes"):
        book.reserve(ALICE.address, 41)  # the 60 in progress count
    book.release(ALICE.address, 60)
    book.charge(ALICE.address, 60)
    book.reserve(ALICE.address.lower(), 40)  # addresses in any case are one signer
    book.release(ALICE.address, 40)  # the object was already there: nothing charged
    assert book.used(ALICE.address) == 60
    book.close()
    again = QuotaBook(tmp_path / "quota.sqlite", 100)
    assert again.used(ALICE.address) == 60
    with pytest.raises(QuotaExceeded):
        again.reserve(ALICE.address, 41)
    again.reserve(ALICE.address, 40)
    again.close()
