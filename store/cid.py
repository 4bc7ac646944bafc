"""Content identifiers: CIDv1, raw codec, sha2-256 — the string IPFS gives a single-block blob."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from multiformats import CID, multihash

from .errors import InvalidCID


def cid_from_digest(digest: bytes) -> str:
    """The CIDv1 (raw, sha2-256, base32) of content whose sha256 is ``digest``."""
    return str(CID("base32", 1, "raw", multihash.wrap(digest, "sha2-256")))


def cid_of(data: bytes) -> str:
    """The CIDv1 of ``data``: ``cid_of(b"hello world\\n")`` is ``bafkreifjjcie6…``."""
    return cid_from_digest(hashlib.sha256(data).digest())


def cid_of_chunks(chunks: Iterable[bytes]) -> str:
    """The CIDv1 of the concatenation of ``chunks``, without holding it in memory."""
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk)
    return cid_from_digest(h.digest())


def digest_of(cid: str) -> bytes:
    """The sha2-256 digest a raw CIDv1 names.

    Raises:
        InvalidCID: when ``cid`` is not a CIDv1 with the raw codec and sha2-256.
    """
    try:
        parsed = CID.decode(cid)
    except Exception as exc:  # multiformats raises several unrelated types
        raise InvalidCID(f"not a CID: {cid!r} ({exc})") from None
    if parsed.version != 1 or parsed.codec.name != "raw" or parsed.hashfun.name != "sha2-256":
        raise InvalidCID(f"{cid}: expected a CIDv1 with the raw codec and sha2-256")
    return bytes(parsed.raw_digest)
