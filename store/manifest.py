"""Manifests: what a stored blob is made of and where its shards live, as canonical JSON."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import orjson

from . import merkle
from .cid import cid_of, digest_of
from .codec import EC_TYPE, MAX_SHARDS, PYECLIB_VERSION, check_params, shard_size
from .errors import ManifestError, StoreError

FORMAT_VERSION = 1
CODEC = f"pyeclib/{EC_TYPE}"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
"""The largest manifest a node stores or a client reads."""
MAX_SHARD_BYTES = 64 * 1024 * 1024
"""The largest shard a node stores; a manifest whose segments would need larger shards is refused."""
_HEX64 = re.compile(r"[0-9a-f]{64}")
_MAX_URL = 512
_MAX_REGION = 64
_BYTES_PER_TOKEN = 16
"""Canonical manifests hold one ``[``, ``{`` or ``,`` per 18.5 bytes at most (`_check_structure`)."""


@dataclass(frozen=True)
class ShardRef:
    """One shard: its sha256 (hex), the node it was placed on, and that node's region."""

    hash: str
    node: str
    region: str


@dataclass(frozen=True)
class Segment:
    """One segment of the blob: its plain size and its k+m shards in index order."""

    size: int
    shards: tuple[ShardRef, ...]


@dataclass(frozen=True)
class Manifest:
    """A blob's recipe. Its own CID (of `to_bytes()`) is what the system passes around."""

    cid: str
    size: int
    segment_size: int
    k: int
    m: int
    segments: tuple[Segment, ...]
    codec: str = CODEC
    codec_version: str = PYECLIB_VERSION
    version: int = FORMAT_VERSION

    def leaves(self) -> list[bytes]:
        """Every shard hash, segment by segment: the leaves of the Merkle tree."""
        return [bytes.fromhex(s.hash) for seg in self.segments for s in seg.shards]

    @cached_property
    def merkle_root(self) -> str:
        """The RFC 6962 root over `leaves()` (computed once per manifest)."""
        return merkle.root(self.leaves()).hex()

    def leaf_index(self, segment: int, shard: int) -> int:
        return segment * (self.k + self.m) + shard

    def shard_size(self, segment: int) -> int:
        """The exact size of each shard of segment ``segment`` (what a reader may expect)."""
        return shard_size(self.segments[segment].size, self.k)

    def nodes(self) -> list[str]:
        """Every node holding a shard, in first-use order."""
        return list(dict.fromkeys(s.node for seg in self.segments for s in seg.shards))

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "cid": self.cid,
            "size": self.size,
            "segmentSize": self.segment_size,
            "k": self.k,
            "m": self.m,
            "codec": self.codec,
            "codecVersion": self.codec_version,
            "merkleRoot": self.merkle_root,
            "segments": [
                {"size": seg.size, "shards": [{"hash": s.hash, "node": s.node, "region": s.region} for s in seg.shards]}
                for seg in self.segments
            ],
        }

    def to_bytes(self) -> bytes:
        """Canonical JSON: sorted keys, no insignificant white space, UTF-8."""
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":")).encode()

    @property
    def manifest_cid(self) -> str:
        return cid_of(self.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes, *, expected_cid: str | None = None) -> Manifest:
        """Parses and checks a manifest: its CID, shape, consistency and Merkle root.

        Untrusted bytes are parsed with orjson (nesting deeper than 1,024 is refused cleanly).

        Raises:
            ManifestError: when anything is wrong, with the reason.
        """
        if len(data) > MAX_MANIFEST_BYTES:
            raise ManifestError(f"manifest of {len(data)} bytes: the limit is {MAX_MANIFEST_BYTES}")
        if expected_cid is not None and cid_of(data) != expected_cid:
            raise ManifestError(f"manifest bytes do not match {expected_cid}")
        _check_structure(data)
        try:
            raw = orjson.loads(data)
            manifest = _build(cls, raw)
            root = _text(raw, "merkleRoot", 64)
        except orjson.JSONDecodeError as exc:
            raise ManifestError(f"manifest is not JSON: {exc}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise ManifestError(f"malformed manifest: {type(exc).__name__} {exc}") from None
        check(manifest)
        if root != manifest.merkle_root:
            raise ManifestError("the Merkle root does not match the shard hashes")
        return manifest


def _check_structure(data: bytes) -> None:
    """Refuses, before parsing, bytes holding far more JSON values than a manifest of their length.

    Parsing costs time (holding the GIL) and memory per value: 16 MiB of ``[[],[],…]`` is 5.6
    million lists, 3.5 s and over a GiB in orjson. Every value after the first in a container
    follows a comma, and every container opens with ``[`` or ``{``, so the count of those three
    bytes bounds the values parsed. Canonical manifests are sparse in them: the densest (k=1,
    m=1, one-byte segments, nodes ``http://[::]`` whose brackets count too) have one per 18.5
    bytes; every shard costs at least its 64-hex hash and three keys. A manifest with more than
    one per 16 bytes is refused in the time of three `bytes.count` calls (C, ~10 ms for 16 MiB).
    """
    tokens = data.count(b"[") + data.count(b"{") + data.count(b",")
    if tokens > len(data) // _BYTES_PER_TOKEN + 64:
        raise ManifestError(
            f"manifest of {len(data)} bytes holds {tokens} JSON values; a manifest has at most one per "
            f"{_BYTES_PER_TOKEN} bytes"
        )


def node_url_problem(node: str) -> str | None:
    """Why ``node`` is not a store node URL (``http(s)://host[:port][/path]``), or None when it is."""
    if not node.isascii() or not node.isprintable() or " " in node:
        return "not a printable ASCII URL"
    try:
        url = urlsplit(node)
        url.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as exc:
        return f"not a URL ({exc})"
    if url.scheme not in ("http", "https") or not url.hostname:
        return "not an http(s) URL with a host"
    if url.query or url.fragment or "@" in url.netloc or "?" in node or "#" in node:
        return "a node URL has no user, query or fragment"
    return None


def _int(raw: dict[str, Any], key: str) -> int:
    value = raw[key]
    if type(value) is not int or value < 0:
        raise TypeError(f"{key} must be a non-negative integer")
    return value


def _text(raw: dict[str, Any], key: str, limit: int) -> str:
    value = raw[key]
    if type(value) is not str or len(value) > limit:
        raise TypeError(f"{key} must be a string of at most {limit} characters")
    return value


def _list(raw: dict[str, Any], key: str) -> list[Any]:
    value = raw[key]
    if type(value) is not list:
        raise TypeError(f"{key} must be a list")
    return value


def _shard(raw: Any) -> ShardRef:
    if type(raw) is not dict:
        raise TypeError("a shard must be an object")
    return ShardRef(_text(raw, "hash", 64), _text(raw, "node", _MAX_URL), _text(raw, "region", _MAX_REGION))


def _segment(raw: Any) -> Segment:
    if type(raw) is not dict:
        raise TypeError("a segment must be an object")
    shards = _list(raw, "shards")
    if len(shards) > MAX_SHARDS:
        raise ValueError(f"a segment lists {len(shards)} shards")
    return Segment(size=_int(raw, "size"), shards=tuple(_shard(s) for s in shards))


def _build(cls: type[Manifest], raw: Any) -> Manifest:
    if type(raw) is not dict:
        raise TypeError("a manifest is a JSON object")
    return cls(
        cid=_text(raw, "cid", 100),
        size=_int(raw, "size"),
        segment_size=_int(raw, "segmentSize"),
        k=_int(raw, "k"),
        m=_int(raw, "m"),
        codec=_text(raw, "codec", 100),
        codec_version=_text(raw, "codecVersion", 100),
        version=_int(raw, "version"),
        segments=tuple(_segment(seg) for seg in _list(raw, "segments")),
    )


def check(manifest: Manifest) -> None:
    """Checks that a manifest is consistent, so a reader knows every size before reading.

    Raises:
        ManifestError: naming the first inconsistency.
    """
    if manifest.version != FORMAT_VERSION:
        raise ManifestError(f"manifest format {manifest.version} is not supported (expected {FORMAT_VERSION})")
    if manifest.codec != CODEC:
        raise ManifestError(f"codec {manifest.codec!r} is not supported (expected {CODEC})")
    try:
        digest_of(manifest.cid)
        check_params(manifest.k, manifest.m)
    except StoreError as exc:
        raise ManifestError(str(exc)) from None
    if manifest.segment_size < 1 or shard_size(manifest.segment_size, manifest.k) > MAX_SHARD_BYTES:
        raise ManifestError(f"segment size {manifest.segment_size} is out of range for k={manifest.k}")
    count = max(1, -(-manifest.size // manifest.segment_size))
    if len(manifest.segments) != count:
        listed = len(manifest.segments)
        raise ManifestError(f"{manifest.size} bytes in {manifest.segment_size}-byte segments are {count}, not {listed}")
    last = manifest.size - (count - 1) * manifest.segment_size
    for s, seg in enumerate(manifest.segments):
        expected = manifest.segment_size if s < count - 1 else last
        if seg.size != expected:
            raise ManifestError(f"segment {s} has {seg.size} bytes, expected {expected}")
        if len(seg.shards) != manifest.k + manifest.m:
            raise ManifestError(f"segment {s} does not list k + m = {manifest.k + manifest.m} shards")
        hashes = [ref.hash for ref in seg.shards]
        if not all(_HEX64.fullmatch(h) for h in hashes):
            raise ManifestError(f"segment {s} names a shard by something other than a lower-case sha256 hex")
        if len(set(hashes)) != len(hashes):
            raise ManifestError(f"segment {s} lists the same shard twice")
    for node in manifest.nodes():
        if (problem := node_url_problem(node)) is not None:
            raise ManifestError(f"a shard is placed on {node[:80]!r}, not an http(s) node URL: {problem}")
