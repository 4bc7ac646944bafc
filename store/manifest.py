"""Manifests: what a stored blob is made of and where its shards live, as canonical JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import merkle
from .cid import cid_of
from .codec import EC_TYPE, PYECLIB_VERSION
from .errors import ManifestError

FORMAT_VERSION = 1


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
    codec: str = f"pyeclib/{EC_TYPE}"
    codec_version: str = PYECLIB_VERSION
    version: int = FORMAT_VERSION

    def leaves(self) -> list[bytes]:
        """Every shard hash, segment by segment: the leaves of the Merkle tree."""
        return [bytes.fromhex(s.hash) for seg in self.segments for s in seg.shards]

    @property
    def merkle_root(self) -> str:
        return merkle.root(self.leaves()).hex()

    def leaf_index(self, segment: int, shard: int) -> int:
        return segment * (self.k + self.m) + shard

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
        """Parses and checks a manifest (its CID, shape and Merkle root)."""
        if expected_cid is not None and cid_of(data) != expected_cid:
            raise ManifestError(f"manifest bytes do not match {expected_cid}")
        try:
            raw = json.loads(data)
            manifest = cls(
                cid=str(raw["cid"]),
                size=int(raw["size"]),
                segment_size=int(raw["segmentSize"]),
                k=int(raw["k"]),
                m=int(raw["m"]),
                codec=str(raw["codec"]),
                codec_version=str(raw["codecVersion"]),
                version=int(raw["version"]),
                segments=tuple(
                    Segment(
                        size=int(seg["size"]),
                        shards=tuple(ShardRef(str(s["hash"]), str(s["node"]), str(s["region"])) for s in seg["shards"]),
                    )
                    for seg in raw["segments"]
                ),
            )
            root = raw["merkleRoot"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ManifestError(f"malformed manifest: {exc}") from None
        if manifest.version != FORMAT_VERSION:
            raise ManifestError(f"manifest format {manifest.version} is not supported (expected {FORMAT_VERSION})")
        if any(len(seg.shards) != manifest.k + manifest.m for seg in manifest.segments):
            raise ManifestError("a segment does not list k + m shards")
        if sum(seg.size for seg in manifest.segments) != manifest.size:
            raise ManifestError("segment sizes do not add up to the blob size")
        if root != manifest.merkle_root:
            raise ManifestError("the Merkle root does not match the shard hashes")
        return manifest
