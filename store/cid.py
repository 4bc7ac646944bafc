"""Content identifiers: CIDv1, raw codec, sha2-256 — the string IPFS gives a single-block blob.

The one form this project writes (multibase base32, ``bafkrei…``) is made and read here with
`base64`; any other spelling of a CID is read by multiformats, imported then. Its import is
~60 ms (its multicodec table), paid by every CLI command that names a blob (docs/toolchain.md).
A test checks both ways against multiformats.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

from .errors import InvalidCID

_RAW_SHA256 = bytes([0x01, 0x55, 0x12, 0x20])
"""CIDv1, the raw codec, sha2-256, 32 bytes: what precedes the digest in every CID we make."""
_LENGTH = 1 + (len(_RAW_SHA256) + 32) * 8 // 5 + 1
"""Characters of one: the multibase prefix ``b`` and 36 bytes in unpadded base32 (58)."""


def cid_from_digest(digest: bytes) -> str:
    """The CIDv1 (raw, sha2-256, base32) of content whose sha256 is ``digest``."""
    if len(digest) != 32:
        raise ValueError(f"a sha2-256 digest has 32 bytes, not {len(digest)}")
    return "b" + base64.b32encode(_RAW_SHA256 + digest).decode("ascii").rstrip("=").lower()


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
    if len(cid) == _LENGTH and cid.startswith("bafkrei"):  # our own spelling, if it is exactly that
        try:
            raw = base64.b32decode(cid[1:].upper() + "======")
        except ValueError:
            raw = b""
        if raw[:4] == _RAW_SHA256 and cid_from_digest(raw[4:]) == cid:
            return raw[4:]
    from multiformats import CID  # any other spelling (or none): the library decides

    try:
        parsed = CID.decode(cid)
    except Exception as exc:  # multiformats raises several unrelated types
        raise InvalidCID(f"not a CID: {cid!r} ({exc})") from None
    if parsed.version != 1 or parsed.codec.name != "raw" or parsed.hashfun.name != "sha2-256":
        raise InvalidCID(f"{cid}: expected a CIDv1 with the raw codec and sha2-256")
    return bytes(parsed.raw_digest)
