"""Looking after stored blobs: the health of every shard (stat), restoring lost ones (repair),
and checking that nodes still hold theirs (audit with Merkle proofs)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import codec, merkle
from ._http import Scope
from .errors import BlobTooLarge, NodeError, NotEnoughNodes, TooManyShards
from .manifest import Manifest, Segment, ShardRef

if TYPE_CHECKING:
    from .client import StoreClient


@dataclass
class ShardHealth:
    segment: int
    index: int
    node: str
    ok: bool
    reason: str = ""


@dataclass
class StatReport:
    manifest_cid: str
    manifest: Manifest
    shards: list[ShardHealth]

    @property
    def readable(self) -> bool:
        """Whether every segment has at least k healthy shards."""
        per_segment: dict[int, int] = {}
        for s in self.shards:
            per_segment[s.segment] = per_segment.get(s.segment, 0) + s.ok
        return all(per_segment.get(i, 0) >= self.manifest.k for i in range(len(self.manifest.segments)))


@dataclass
class RepairReport:
    manifest_cid: str
    restored: list[tuple[int, int, str]] = field(default_factory=list)  # (segment, shard, node)


@dataclass
class AuditReport:
    manifest_cid: str
    results: list[ShardHealth] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.ok for r in self.results)


UNKNOWN = "not one of this client's nodes (not contacted)"


def _check_one(client: StoreClient, manifest: Manifest, s: int, i: int) -> ShardHealth:
    node = manifest.segments[s].shards[i].node
    if node not in client.nodes:
        return ShardHealth(s, i, node, False, UNKNOWN)
    try:
        client.fetch(manifest, s, i)  # the bytes are dropped here: only the verdict is kept
    except NodeError as exc:
        return ShardHealth(s, i, node, False, exc.reason)
    return ShardHealth(s, i, node, True)


def check_all(client: StoreClient, manifest: Manifest) -> list[ShardHealth]:
    """Every shard fetched from its node (within its expected size) and checked."""
    jobs = [
        client._pool.submit(_check_one, client, manifest, s, i)
        for s, seg in enumerate(manifest.segments)
        for i in range(len(seg.shards))
    ]
    return [job.result() for job in jobs]


def stat(client: StoreClient, cid: str, *, max_size: int | None = None, max_shards: int | None = None) -> StatReport:
    manifest = client.readable(cid)
    if max_size is not None and manifest.size > max_size:
        raise BlobTooLarge(cid, manifest.size, max_size)
    shards = sum(len(seg.shards) for seg in manifest.segments)
    if max_shards is not None and shards > max_shards:
        raise TooManyShards(cid, manifest.size, shards, max_shards)
    return StatReport(cid, manifest, check_all(client, manifest))


def repair(client: StoreClient, cid: str) -> RepairReport:
    """Restores every missing or corrupt shard onto live nodes.

    A shard goes back to its own node when that node is live, else to a live node holding no
    other shard of its segment. When a placement changed, a new manifest is published and its
    CID returned; the old CID still reads (shards are found on any node).
    """
    manifest = client.readable(cid)
    health = check_all(client, manifest)
    answers = client._pool.map(lambda n: client.region_of(n, fresh=True), client.nodes)
    live = [n for n, r in zip(client.nodes, answers, strict=True) if r is not None]
    report = RepairReport(cid)
    segments = list(manifest.segments)
    for s, seg in enumerate(manifest.segments):
        bad = [h.index for h in health if h.segment == s and not h.ok]
        if not bad:
            continue
        shards = codec.encode(client.read_segment(cid, manifest, s, set(), Scope()), manifest.k, manifest.m)
        refs = list(seg.shards)
        for i in bad:
            if not live:
                raise NotEnoughNodes(f"no live node to repair {cid} onto")
            # Back to its own node if live; else to the live node holding fewest of this segment.
            load = {n: sum(r.node == n for j, r in enumerate(refs) if j != i) for n in live}
            target = refs[i].node if refs[i].node in load else min(live, key=lambda n: load[n])
            client.put_shard(target, shards[i])
            refs[i] = ShardRef(refs[i].hash, target, client.region_of(target) or "")
            report.restored.append((s, i, target))
        segments[s] = Segment(seg.size, tuple(refs))
    repaired = Manifest(
        cid=manifest.cid,
        size=manifest.size,
        segment_size=manifest.segment_size,
        k=manifest.k,
        m=manifest.m,
        segments=tuple(segments),
    )
    client.publish(repaired)
    report.manifest_cid = repaired.manifest_cid
    return report


def _audit_limit(shard_size: int, leaves: int) -> int:
    """The most an honest audit answer can be: the shard in base64, the proof, the rest."""
    return 4 * -(-shard_size // 3) + 70 * (leaves.bit_length() + 1) + 1024


def _audit_one(
    client: StoreClient, manifest: Manifest, cid: str, tree: tuple[list[bytes], bytes], s: int, i: int
) -> ShardHealth:
    node = manifest.segments[s].shards[i].node
    leaves, root = tree
    leaf = manifest.leaf_index(s, i)
    if node not in client.nodes:
        return ShardHealth(s, i, node, False, UNKNOWN)
    try:
        body = client.get_json(node, f"/audit/{cid}/{leaf}", limit=_audit_limit(manifest.shard_size(s), len(leaves)))
        shard, proof = _audit_parts(body)
    except NodeError as exc:
        return ShardHealth(s, i, node, False, exc.reason)
    except ValueError as exc:
        return ShardHealth(s, i, node, False, f"malformed audit answer ({exc})")
    if hashlib.sha256(shard).digest() != leaves[leaf]:
        return ShardHealth(s, i, node, False, "shard does not match the manifest")
    if not merkle.verify_inclusion(leaves[leaf], leaf, len(leaves), proof, root):
        return ShardHealth(s, i, node, False, "invalid Merkle proof")
    return ShardHealth(s, i, node, True)


def _audit_parts(body: Any) -> tuple[bytes, list[bytes]]:
    if not isinstance(body, dict) or not isinstance(body.get("shard"), str) or not isinstance(body.get("proof"), list):
        raise ValueError("expected shard and proof")
    if len(body["proof"]) > 64 or not all(isinstance(p, str) and len(p) == 64 for p in body["proof"]):
        raise ValueError("a proof is at most 64 sha256 hashes")
    try:
        return base64.b64decode(body["shard"], validate=True), [bytes.fromhex(p) for p in body["proof"]]
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None


def audit(client: StoreClient, cid: str) -> AuditReport:
    manifest = client.readable(cid)
    leaves = manifest.leaves()
    tree = (leaves, merkle.root(leaves))
    jobs = [
        client._pool.submit(_audit_one, client, manifest, cid, tree, s, i)
        for s, seg in enumerate(manifest.segments)
        for i in range(len(seg.shards))
    ]
    return AuditReport(cid, [j.result() for j in jobs])
