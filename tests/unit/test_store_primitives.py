"""CIDs, RFC 6962 Merkle trees, the erasure code and manifests: no nodes, no network."""

from __future__ import annotations

import hashlib
import itertools
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store import (
    InvalidCID,
    Manifest,
    ManifestError,
    Segment,
    ShardRef,
    cid_from_digest,
    cid_of,
    cid_of_chunks,
    codec,
    digest_of,
    inclusion_proof,
    merkle_root,
    verify_inclusion,
)

# -- CIDs (checked against the multiformats CID spec and IPFS) -----------------------------------


@pytest.mark.parametrize(
    "data,cid",
    [
        (b"hello world\n", "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"),
        (b"", "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"),
        (b"hello world", "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"),
    ],
)
def test_cid_vectors(data: bytes, cid: str) -> None:
    assert cid_of(data) == cid
    assert digest_of(cid) == hashlib.sha256(data).digest()


@given(st.lists(st.binary(max_size=64), max_size=8))
def test_cid_of_chunks_equals_cid_of_concatenation(chunks: list[bytes]) -> None:
    assert cid_of_chunks(chunks) == cid_of(b"".join(chunks))


@pytest.mark.parametrize(
    "bad",
    [
        "QmWATWQ7fVPP2EFGu71UkfnqhYXDYH566qy47CnJDgvs8u",  # CIDv0 (dag-pb)
        "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",  # dag-pb codec
        "not a cid",
        "",
    ],
)
def test_digest_of_rejects_other_cids(bad: str) -> None:
    with pytest.raises(InvalidCID):
        digest_of(bad)


def _library_digest(cid: str) -> bytes | None:
    """What multiformats reads in ``cid`` (a raw sha2-256 CIDv1's digest), or None: it refuses."""
    from multiformats import CID

    try:
        parsed = CID.decode(cid)
    except Exception:  # noqa: BLE001 - multiformats raises several unrelated types
        return None
    ours = parsed.version == 1 and parsed.codec.name == "raw" and parsed.hashfun.name == "sha2-256"
    return bytes(parsed.raw_digest) if ours else None


@given(st.binary(min_size=32, max_size=32))
def test_a_cid_is_the_one_multiformats_makes(digest: bytes) -> None:
    from multiformats import CID, multihash

    assert cid_from_digest(digest) == str(CID("base32", 1, "raw", multihash.wrap(digest, "sha2-256")))


@given(
    st.binary(min_size=32, max_size=32),
    st.lists(st.tuples(st.integers(0, 58), st.sampled_from("abcdefghijklmnopqrstuvwxyz234567ABXYZ01=!")), max_size=3),
    st.sampled_from(["", "a", "aa", "=", "\n"]),
    st.booleans(),
)
def test_a_cid_is_read_as_multiformats_reads_it(
    digest: bytes, changes: list[tuple[int, str]], tail: str, upper: bool
) -> None:
    """Our own spelling is read without the library: a changed character, an extra one, another
    case, whatever the change, the digest read (or the refusal) is the library's."""
    chars = list(cid_from_digest(digest))
    for at, char in changes:
        chars[at] = char
    text = "".join(chars) + tail
    text = text.upper() if upper else text
    expected = _library_digest(text)
    if expected is None:
        with pytest.raises(InvalidCID):
            digest_of(text)
    else:
        assert digest_of(text) == expected


def test_a_cid_in_another_base_is_read_too() -> None:
    from multiformats import CID

    digest = hashlib.sha256(b"hello world\n").digest()
    other = CID.decode(cid_from_digest(digest)).encode("base58btc")
    assert other.startswith("z") and digest_of(other) == digest


# -- Merkle trees ------------------------------------------------------------------------------

CT_LEAVES = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
]


def test_merkle_root_matches_certificate_transparency_vectors() -> None:
    assert merkle_root([]).hex() == hashlib.sha256(b"").hexdigest()
    assert merkle_root(CT_LEAVES[:1]).hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert merkle_root(CT_LEAVES).hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"


@settings(max_examples=60)
@given(st.integers(min_value=1, max_value=40), st.data())
def test_every_inclusion_proof_verifies_and_tampering_fails(n: int, data: st.DataObject) -> None:
    leaves = [os.urandom(32) for _ in range(n)]
    root = merkle_root(leaves)
    i = data.draw(st.integers(min_value=0, max_value=n - 1))
    proof = inclusion_proof(leaves, i)
    assert verify_inclusion(leaves[i], i, n, proof, root)
    assert not verify_inclusion(os.urandom(32), i, n, proof, root)
    if n > 1:
        assert not verify_inclusion(leaves[i], (i + 1) % n, n, proof, root)
        bent = list(proof)
        bent[0] = os.urandom(32)
        assert not verify_inclusion(leaves[i], i, n, bent, root)


# -- the erasure code --------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=5000), st.sampled_from([(1, 1), (2, 1), (4, 2), (3, 3), (6, 3)]))
def test_any_k_shards_decode_the_segment(segment: bytes, km: tuple[int, int]) -> None:
    k, m = km
    shards = codec.encode(segment, k, m)
    assert len(shards) == k + m
    for subset in itertools.islice(itertools.combinations(range(k + m), k), 10):
        assert codec.decode({i: shards[i] for i in subset}, k, m, len(segment)) == segment


def test_encoding_is_deterministic() -> None:
    data = os.urandom(100_000)
    assert codec.encode(data, 4, 2) == codec.encode(data, 4, 2)


@pytest.mark.parametrize("km", [(0, 2), (4, 0), (30, 3)])
def test_unsupported_codes_are_refused(km: tuple[int, int]) -> None:
    with pytest.raises(Exception, match="unsupported erasure code"):
        codec.encode(b"x", *km)


# -- manifests ---------------------------------------------------------------------------------


def _manifest() -> Manifest:
    refs = tuple(ShardRef(hashlib.sha256(bytes([i])).hexdigest(), f"http://n{i}", "eu") for i in range(3))
    return Manifest(cid=cid_of(b"abc"), size=3, segment_size=4, k=2, m=1, segments=(Segment(3, refs),))


def test_manifest_round_trips_through_canonical_bytes() -> None:
    manifest = _manifest()
    raw = manifest.to_bytes()
    assert b" " not in raw and raw.startswith(b'{"cid"')
    again = Manifest.from_bytes(raw, expected_cid=manifest.manifest_cid)
    assert again == manifest and again.to_bytes() == raw


def test_manifest_with_wrong_cid_or_root_is_refused() -> None:
    manifest = _manifest()
    with pytest.raises(ManifestError, match="do not match"):
        Manifest.from_bytes(manifest.to_bytes(), expected_cid=cid_of(b"other"))
    tampered = manifest.to_bytes().replace(manifest.merkle_root.encode(), b"00" * 32)
    with pytest.raises(ManifestError, match="Merkle root"):
        Manifest.from_bytes(tampered)
    with pytest.raises(ManifestError, match="malformed"):
        Manifest.from_bytes(b"{}")


@pytest.mark.parametrize(
    "segment,ahead",
    [(1, 4), (8 * 1024 * 1024, 4), (16 * 1024 * 1024, 2), (64 * 1024 * 1024, 2), (0, 4)],
)
def test_a_read_has_more_segments_under_way_only_while_they_are_small(segment: int, ahead: int) -> None:
    """The review's finding: four 64 MiB segments under way (a manifest anyone may publish) held
    twice a reader's memory of before; beyond two, segments must fit in `AHEAD_BYTES`."""
    from store._get import AHEAD_BYTES, read_ahead

    assert read_ahead(segment) == ahead
    assert read_ahead(segment) <= 2 or read_ahead(segment) * segment <= AHEAD_BYTES


def test_body_pieces_hand_one_piece_over_as_it_is_and_join_more_in_order() -> None:
    from store._serve import _Pieces

    one, body = _Pieces(), os.urandom(1000)
    one += body
    assert bytes(one) is body and len(one) == 1000
    many = _Pieces()
    for piece in (b"ab", b"", b"cde", b"f"):
        many += piece
    assert bytes(many) == b"abcdef" and len(many) == 6
    assert bytes(_Pieces()) == b""
    tiny = _Pieces()
    for i in range(1000):  # one byte per read, piling up while the app is busy
        tiny += bytes([i % 256])
    assert len(tiny.pieces) <= 64 and bytes(tiny) == bytes(i % 256 for i in range(1000)) and len(tiny) == 1000
