"""`ledger.keys` signs and derives exactly as eth-account does, and `ledger._abi` encodes as
eth-abi does, without importing either."""

from __future__ import annotations

import secrets

import pytest
from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import DEV_MNEMONIC, JobRequest, Key, Mode, dev_account, dev_key, new_request
from ledger._abi import checksum_address, encode_static
from ledger.keys import SECP256K1_N

Account.enable_unaudited_hdwallet_features()

ANVIL_ACCOUNT_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
ANVIL_ACCOUNT_9 = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"
MARKET = "0x" + "a5" * 20


@pytest.mark.parametrize("index", [0, 1, 2, 9, 10, 42, 99])
def test_dev_keys_are_those_of_the_mnemonic(index: int) -> None:
    """eth-account's own BIP-32 derivation of the standard mnemonic gives the same keys."""
    expected = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    key = dev_key(index)
    assert key.key == bytes(expected.key)
    assert key.address == expected.address
    assert dev_account(index).address == expected.address


def test_the_first_and_tenth_dev_keys_are_anvils() -> None:
    assert dev_key(0).address == ANVIL_ACCOUNT_0
    assert dev_key(9).address == ANVIL_ACCOUNT_9


@pytest.mark.parametrize("index", [-1, 2**31])
def test_an_index_out_of_range_is_refused(index: int) -> None:
    with pytest.raises(ValueError, match="not an account index"):
        dev_key(index)


@pytest.mark.parametrize("secret", [bytes(32), SECP256K1_N.to_bytes(32, "big"), b"\x01" * 31, b"\xff" * 32])
def test_a_secret_off_the_curve_is_refused(secret: bytes) -> None:
    with pytest.raises(ValueError, match="private key"):
        Key(secret)


@settings(max_examples=60, deadline=None)
@given(secret=st.integers(min_value=1, max_value=SECP256K1_N - 1), message_hash=st.binary(min_size=32, max_size=32))
def test_signatures_are_eth_accounts(secret: int, message_hash: bytes) -> None:
    """Byte for byte (both are RFC 6979 and low s), so a verifier cannot tell them apart."""
    raw = secret.to_bytes(32, "big")
    ours, theirs = Key(raw), Account.from_key(raw)
    assert ours.address == theirs.address
    assert ours.unsafe_sign_hash(message_hash).signature == bytes(theirs.unsafe_sign_hash(message_hash).signature)
    assert ours.account().address == theirs.address


def test_a_hash_of_another_length_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes, not 31"):
        dev_key(1).unsafe_sign_hash(bytes(31))


def test_checksum_addresses_are_eip55() -> None:
    for _ in range(20):
        raw = secrets.token_bytes(20)
        assert checksum_address(raw) == to_checksum_address(raw)
    with pytest.raises(ValueError, match="20 bytes"):
        checksum_address(bytes(19))


@settings(max_examples=40, deadline=None)
@given(
    nonce=st.integers(min_value=0, max_value=2**64 - 1),
    redundancy=st.integers(min_value=1, max_value=32),
    price=st.integers(min_value=1, max_value=10**24),
    chain_id=st.integers(min_value=1, max_value=2**64),
    digests=st.tuples(st.binary(min_size=32, max_size=32), st.binary(min_size=32, max_size=32)),
)
def test_a_requests_signing_hash_is_its_typed_data_hashed(
    nonce: int, redundancy: int, price: int, chain_id: int, digests: tuple[bytes, bytes]
) -> None:
    """`JobRequest.signing_hash` is what eth-account makes of `typed_data`, and `sign` signs it."""
    request = new_request(
        1_700_000_000,
        requester=ANVIL_ACCOUNT_0,
        program_id=digests[0],
        input_digest=digests[1],
        redundancy=redundancy,
        max_price=10**18 + price,
        nonce=nonce,
        mode=Mode.REDUNDANT,
    )
    signable = encode_typed_data(full_message=request.typed_data(chain_id=chain_id, market=MARKET))
    theirs = Account.from_key(dev_key(0).key)
    assert request.sign(dev_key(0), chain_id=chain_id, market=MARKET) == bytes(theirs.sign_message(signable).signature)
    assert request.sign(theirs, chain_id=chain_id, market=MARKET) == bytes(theirs.sign_message(signable).signature)
    assert isinstance(request, JobRequest)


_STATIC = ["address", "bytes32", "bool", "uint8", "uint40", "uint96", "uint256"]


def _value(kind: str) -> st.SearchStrategy[object]:
    if kind == "address":
        raw = st.binary(min_size=20, max_size=20)
        return st.one_of(raw, raw.map(to_checksum_address), raw.map(lambda b: "0x" + b.hex()))
    if kind == "bytes32":
        return st.binary(min_size=0, max_size=32)
    if kind == "bool":
        return st.booleans()
    return st.integers(min_value=0, max_value=2 ** int(kind[4:]) - 1)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), kinds=st.lists(st.sampled_from(_STATIC), max_size=8))
def test_static_values_encode_as_eth_abi_encodes_them(data: st.DataObject, kinds: list[str]) -> None:
    values = [data.draw(_value(kind)) for kind in kinds]
    assert encode_static(kinds, values) == encode(kinds, values)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("uint8", 256),
        ("uint96", -1),
        ("uint256", 2**256),
        ("uint8", True),
        ("uint8", "1"),
        ("bytes32", bytes(33)),
        ("bytes32", "0x00"),
        ("bool", 1),
        ("address", bytes(19)),
        ("address", "0x" + "ab" * 19),
        ("address", "0x" + "zz" * 20),
        ("address", 1234),
    ],
)
def test_what_eth_abi_refuses_is_refused(kind: str, value: object) -> None:
    with pytest.raises(Exception):  # noqa: B017, PT011 - eth-abi's own type
        encode([kind], [value])
    with pytest.raises(ValueError):  # noqa: PT011
        encode_static([kind], [value])


@pytest.mark.parametrize("kind", ["string", "bytes", "uint7", "uint264", "int256", "address[]"])
def test_a_type_it_does_not_write_is_refused(kind: str) -> None:
    with pytest.raises(ValueError, match="not"):
        encode_static([kind], [0])
