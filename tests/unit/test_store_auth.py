"""Signed writes (the AgoraStore header over EIP-712 StorePut) and per-signer quotas, without a node."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message
from eth_utils import keccak, to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from store import ListedWriters, QuotaBook, QuotaExceeded, Unauthenticated, authorization
from store.auth import MAX_AHEAD, SECP256K1_N, _checksum, digest, message, verify
from store.quota import cost

ALICE = Account.from_key(b"\x01" * 32)
PATH = "/shards/" + "ab" * 32
NOW = 1_800_000_000
NODE = bytes(range(32))
OTHER_NODE = bytes(32)


def header(path: str = PATH, size: int = 10, expires: int = NOW + 600, node: bytes = NODE) -> str:
    return authorization(ALICE, path, size, expires, node=node)


def test_a_good_signature_names_its_signer() -> None:
    assert verify(header(), path=PATH, size=10, node=NODE, now=NOW) == ALICE.address


def test_a_header_naming_its_signer_in_lower_case_verifies_to_the_checksum_address() -> None:
    lower = header().replace(ALICE.address, ALICE.address.lower())
    assert lower != header()
    assert verify(lower, path=PATH, size=10, node=NODE, now=NOW) == ALICE.address


@given(st.binary(min_size=20, max_size=20))
def test_a_signer_is_named_by_the_checksum_address_eth_utils_gives(address: bytes) -> None:
    assert _checksum(address) == to_checksum_address(address)


def test_listed_writers_are_exactly_the_listed_addresses_in_any_case() -> None:
    writers = ListedWriters([ALICE.address.upper().replace("0X", "0x")])
    assert writers.blocking is False  # a set lookup: the node answers it on its event loop
    assert writers(ALICE.address) and writers(ALICE.address.lower())
    assert not writers(Account.from_key(b"\x02" * 32).address)


def test_a_signature_for_one_node_does_not_verify_on_another() -> None:
    with pytest.raises(Unauthenticated, match="is not"):
        verify(header(), path=PATH, size=10, node=OTHER_NODE, now=NOW)
    assert verify(header(node=OTHER_NODE), path=PATH, size=10, node=OTHER_NODE, now=NOW) == ALICE.address


def test_the_typed_data_is_the_documented_one() -> None:
    """The EIP-712 digest computed by hand from docs/store.md's domain and type."""

    def word(n: int) -> bytes:
        return n.to_bytes(32, "big")

    domain = keccak(keccak(b"EIP712Domain(string name,string version)") + keccak(b"Agora Store") + keccak(b"1"))
    typehash = keccak(b"StorePut(bytes32 node,string path,uint256 size,uint64 expires)")
    struct = keccak(typehash + NODE + keccak(PATH.encode()) + word(10) + word(NOW))
    assert _hash_eip191_message(message(PATH, 10, NOW, node=NODE)) == keccak(b"\x19\x01" + domain + struct)
    assert digest(PATH, 10, NOW, node=NODE) == keccak(b"\x19\x01" + domain + struct)  # the shortcut signers use


def test_a_wallet_signing_the_typed_data_makes_the_same_header() -> None:
    signed = Account.sign_message(message(PATH, 10, NOW + 600, node=NODE), ALICE.key).signature
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
        verify(value, path=PATH, size=10, node=NODE, now=NOW)


def test_a_signature_for_another_path_or_size_does_not_verify() -> None:
    with pytest.raises(Unauthenticated, match="is not"):
        verify(header(), path="/shards/" + "cd" * 32, size=10, node=NODE, now=NOW)
    with pytest.raises(Unauthenticated, match="is not"):
        verify(header(), path=PATH, size=11, node=NODE, now=NOW)


def test_another_signer_named_in_the_header_does_not_verify() -> None:
    forged = header().replace(ALICE.address, Account.from_key(b"\x02" * 32).address)
    with pytest.raises(Unauthenticated, match="is not"):
        verify(forged, path=PATH, size=10, node=NODE, now=NOW)


def test_expired_and_far_future_signatures_are_refused() -> None:
    with pytest.raises(Unauthenticated, match="expired"):
        verify(header(expires=NOW - 1), path=PATH, size=10, node=NODE, now=NOW)
    with pytest.raises(Unauthenticated, match="ahead"):
        verify(header(expires=NOW + MAX_AHEAD + 1), path=PATH, size=10, node=NODE, now=NOW)
    assert verify(header(expires=NOW + MAX_AHEAD), path=PATH, size=10, node=NODE, now=NOW) == ALICE.address


def test_the_high_s_twin_of_a_valid_signature_is_refused() -> None:
    """eth_account would recover the same signer from (r, n - s, v ^ 1): malleable."""
    good = header()
    sig = bytes.fromhex(good.rsplit("0x", 1)[1])
    r, s, v = sig[:32], int.from_bytes(sig[32:64], "big"), sig[64]
    twin = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])
    assert Account.recover_message(message(PATH, 10, NOW + 600, node=NODE), signature=twin) == ALICE.address
    with pytest.raises(Unauthenticated, match="canonical"):
        verify(good.rsplit("0x", 1)[0] + "0x" + twin.hex(), path=PATH, size=10, node=NODE, now=NOW)


@pytest.mark.parametrize(
    ("r", "why"),
    [
        (0, "r out of range"),
        (SECP256K1_N, "r out of range"),
        (2**256 - 1, "r out of range"),
        (5, "does not recover"),  # no point of the curve has x = 5
    ],
)
def test_a_signature_whose_r_names_no_point_is_refused(r: int, why: str) -> None:
    sig = bytes.fromhex(header().rsplit("0x", 1)[1])
    forged = r.to_bytes(32, "big") + sig[32:]
    with pytest.raises(Unauthenticated, match=why):
        verify(header().rsplit("0x", 1)[0] + "0x" + forged.hex(), path=PATH, size=10, node=NODE, now=NOW)


def test_a_key_signs_the_header_an_eth_account_signs() -> None:
    """`ledger.Key` (coincurve, no eth-account) and eth-account make the same header."""
    from ledger import Key

    assert authorization(Key(b"\x01" * 32), PATH, 10, NOW + 600, node=NODE) == header()


def test_quotas_hold_reservations_and_survive_a_restart(tmp_path: Path) -> None:
    block = 4096
    book = QuotaBook(tmp_path / "quota.sqlite", 25 * block)
    book.reserve(ALICE.address, 10 * block)  # costs 11 blocks: 10 of bytes and 1 of overhead
    with pytest.raises(QuotaExceeded, match=f"quota of {25 * block} bytes"):
        book.reserve(ALICE.address, 14 * block)  # the 11 in progress count
    book.release(ALICE.address, 10 * block)
    book.charge(ALICE.address, 10 * block)
    book.reserve(ALICE.address.lower(), 13 * block)  # addresses in any case are one signer
    book.release(ALICE.address, 13 * block)  # the object was already there: nothing charged
    assert book.used(ALICE.address) == (11 * block, 1)
    book.close()
    again = QuotaBook(tmp_path / "quota.sqlite", 25 * block)
    assert again.used(ALICE.address) == (11 * block, 1)
    with pytest.raises(QuotaExceeded):
        again.reserve(ALICE.address, 13 * block + 1)
    again.reserve(ALICE.address, 13 * block)
    again.close()


COSTS = [(0, 8192), (4, 8192), (4096, 8192), (4097, 12288), (1 << 20, (1 << 20) + 4096)]


@pytest.mark.parametrize("size,charged", COSTS)
def test_an_object_costs_whole_blocks_and_an_inode(size: int, charged: int) -> None:
    """The attack found: 3,000 4-byte shards were charged 12 KB for 12 MB of disk and 3,000 inodes."""
    assert cost(size) == charged


def test_objects_per_writer_are_capped(tmp_path: Path) -> None:
    book = QuotaBook(tmp_path / "quota.sqlite", 1 << 30, max_objects=3)
    for _ in range(2):
        book.charge(ALICE.address, 4)
    book.reserve(ALICE.address, 4)
    with pytest.raises(QuotaExceeded, match="3 objects|2 objects"):
        book.reserve(ALICE.address, 4)  # two stored, one in progress
    book.close()


def test_a_quota_book_from_before_object_counts_opens_with_its_bytes(tmp_path: Path) -> None:
    import sqlite3

    db = sqlite3.connect(tmp_path / "quota.sqlite")
    db.execute("CREATE TABLE usage (signer TEXT PRIMARY KEY, bytes INTEGER NOT NULL)")
    db.execute("INSERT INTO usage VALUES (?, 5000)", (ALICE.address.lower(),))
    db.commit()
    db.close()
    book = QuotaBook(tmp_path / "quota.sqlite", 1 << 30)
    assert book.used(ALICE.address) == (5000, 0)
    book.charge(ALICE.address, 1)
    assert book.used(ALICE.address) == (5000 + 8192, 1)
    book.close()
