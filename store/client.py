"""`StoreClient`: put, get, stat, repair and audit blobs across store nodes.

What it trusts of a node: nothing it has not checked. Every request has a total deadline and
reads at most what the manifest says it should (docs/store.md, "What the client checks").
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from . import _get, _upkeep, codec
from ._calls import Scope
from ._nodes import Nodes
from ._put import Progress, Source, store_segments, usable_nodes
from ._upkeep import AuditReport, RepairReport, StatReport
from .auth import Signer
from .cid import digest_of
from .errors import BadUpload, BlobTooLarge, ManifestError, NodeError, NotEnoughNodes, NotFound, StoreError
from .manifest import MAX_MANIFEST_BYTES, Manifest, node_url_problem
from .settings import SEGMENT_SIZE

DEFAULT_SEGMENT = SEGMENT_SIZE
DEFAULT_MAX_GET = 256 * 1024 * 1024
DEFAULT_MIN_RATE = 64 * 1024
DEFAULT_MAX_SEGMENT = 64 * 1024 * 1024


class StoreClient:
    """Spreads each segment's k+m shards over distinct nodes; reads any k good ones back. Only
    ``nodes`` are ever contacted: a shard a manifest places elsewhere is looked for on them.

    Args:
        nodes: node URLs (http:// or https://, the certificate verified).
        k, m, segment_size: how new blobs are coded.
        timeout: seconds a node may stay silent within a request.
        deadline: seconds one request may take in all.
        hedge_after: seconds a segment read waits on a slow shard before asking for another.
        max_get: the size limit of `get` (a blob in memory) when the call gives none.
        min_rate: bytes a second a node must average within a request after its first second;
            a read may take the deadline plus its size at this rate in all (0: no minimum).
        max_segment, max_shards: the largest segment, and the most shards per segment, it reads.
        ca_file: a PEM file of certificates to trust for https:// nodes (default: the system's).
        signer: the account that signs writes (nodes refuse unsigned writes unless open).
    """

    def __init__(
        self,
        nodes: list[str],
        *,
        k: int = 4,
        m: int = 2,
        segment_size: int = DEFAULT_SEGMENT,
        timeout: float = 10.0,
        deadline: float = 60.0,
        hedge_after: float = 2.0,
        max_get: int = DEFAULT_MAX_GET,
        min_rate: int = DEFAULT_MIN_RATE,
        max_segment: int = DEFAULT_MAX_SEGMENT,
        max_shards: int = codec.MAX_SHARDS,
        ca_file: str | None = None,
        retries: int = 2,
        parallel: int = 24,
        signer: Signer | None = None,
    ) -> None:
        codec.check_params(k, m)
        if not nodes:
            raise NotEnoughNodes("no store nodes given (use --nodes or AGORA_STORE_NODES)")
        for node in nodes:
            if (problem := node_url_problem(node)) is not None:
                raise StoreError(f"{node[:80]!r} is not a store node URL: {problem}")
        if segment_size > max_segment or k + m > max_shards:
            raise StoreError(f"segments of {segment_size} bytes in {k + m} shards are more than this client reads")
        self.nodes = [n.rstrip("/") for n in nodes]
        self.k, self.m, self.segment_size = k, m, segment_size
        self.timeout, self.deadline, self.hedge_after = timeout, deadline, hedge_after
        self.max_get, self.min_rate, self.signer = max_get, min_rate, signer
        self.max_segment, self.max_shards = max_segment, max_shards
        self._nodes = Nodes(
            timeout=timeout, deadline=deadline, retries=retries, signer=signer, min_rate=min_rate, ca_file=ca_file
        )
        self._pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="store")

    def close(self) -> None:
        """Stops every request in flight and frees the threads and connections."""
        self._nodes.close()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> StoreClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- put ----------------------------------------------------------------------------------
    def region_of(self, node: str, *, fresh: bool = False) -> str | None:
        """The node's declared region, or None when it does not answer (``fresh``: ask again)."""
        return self._nodes.region_of(node, fresh=fresh)

    def put(
        self,
        source: Source,
        *,
        regions: list[str] | None = None,
        progress: Progress | None = None,
        expect: str | None = None,
    ) -> str:
        """Stores a blob; returns its manifest CID. Memory stays bounded by a few segments.

        With ``expect`` (a blob CID: the sha256 of the content, as `cid_of` gives), the content
        must be that blob, or `BadUpload` is raised before the manifest is published (its shards
        then name nothing and are the nodes' garbage)."""
        usable = usable_nodes(self._nodes, self._pool, self.nodes, k=self.k, m=self.m, regions=regions)
        manifest = store_segments(
            self._nodes,
            self._pool,
            usable,
            source,
            segment_size=self.segment_size,
            k=self.k,
            m=self.m,
            progress=progress,
        )
        if expect is not None and manifest.cid != expect:
            raise BadUpload(f"the content is {manifest.cid}, not {expect}")
        self.publish(manifest)
        return manifest.manifest_cid

    def publish(self, manifest: Manifest, nodes: list[str] | None = None) -> None:
        """Stores the manifest on ``nodes`` (default: every node of this client's that holds one of its shards)."""
        body = manifest.to_bytes()
        path = f"/manifests/{manifest.manifest_cid}"
        targets = [n for n in manifest.nodes() if n in self.nodes] if nodes is None else nodes
        for future in [self._pool.submit(self._nodes.put, n, path, body) for n in targets]:
            future.result()

    # -- get ----------------------------------------------------------------------------------
    def manifest(self, cid: str) -> Manifest:
        """The manifest named ``cid``, from whichever node first answers with the right bytes
        (the other requests are cancelled then)."""
        digest_of(cid)
        race = Scope()

        def ask(node: str) -> Manifest:
            return Manifest.from_bytes(
                self._nodes.get(node, f"/manifests/{cid}", limit=MAX_MANIFEST_BYTES, scope=race), expected_cid=cid
            )

        futures = {self._pool.submit(ask, n): n for n in self.nodes}
        failures: dict[str, str] = {}
        try:
            for future in as_completed(futures):
                try:
                    return future.result()
                except StoreError as exc:
                    failures[futures[future]] = _why(exc)
        finally:
            race.cancel("another node answered first")
            for future in futures:
                future.cancel()
        raise NotFound(f"no node has manifest {cid}: " + _grouped(failures, cid))

    def readable(self, cid: str) -> Manifest:
        """The manifest named ``cid``, refused (`ManifestError`) when its segments are larger, or
        have more shards, than this client reads (``max_segment``, ``max_shards``)."""
        manifest = self.manifest(cid)
        largest = min(manifest.segment_size, manifest.size)
        if largest > self.max_segment:
            raise ManifestError(
                f"{cid} has segments of {largest} bytes; this client reads segments of at most {self.max_segment} "
                "bytes (max_segment, AGORA_STORE_MAX_SEGMENT)"
            )
        if manifest.k + manifest.m > self.max_shards:
            raise ManifestError(
                f"{cid} codes segments into {manifest.k + manifest.m} shards; this client reads at most "
                f"{self.max_shards} (max_shards, AGORA_STORE_MAX_SHARDS)"
            )
        return manifest

    def fetch(self, manifest: Manifest, s: int, i: int, nodes: list[str] | None = None) -> bytes:
        """Shard ``i`` of segment ``s``, checked against its hash and the header its manifest
        implies, from its node if that is one of this client's nodes (else from this client's)."""
        return _get.fetch(self, manifest, s, i, nodes=nodes)

    def read_segment(self, cid: str, manifest: Manifest, s: int, suspects: set[str], parent: Scope) -> bytes:
        """Segment ``s`` from k good shards (see `_get.read_segment`)."""
        return _get.read_segment(self, cid, manifest, s, suspects, parent)

    def get_stream(
        self,
        cid: str,
        *,
        max_size: int | None = None,
        progress: Progress | None = None,
        start: int = 0,
        stop: int | None = None,
        manifest: Manifest | None = None,
    ) -> Iterator[bytes]:
        """The blob, segment by segment, each verified; the whole is checked against its CID.

        ``start``/``stop`` read bytes [start, stop) only (only the segments holding them are
        fetched; each is still verified shard by shard). ``manifest``: the blob's manifest, when
        the caller has already read it with `readable`.

        Raises:
            BlobTooLarge: when the manifest says the blob is over ``max_size``, before any shard is read.
            ManifestError: when its segments are over ``max_segment`` or ``max_shards``, likewise.
            ReadTimeout: when the caller has waited longer than the deadline plus the blob's size
                at ``min_rate``.
        """
        segments = _get.pieces(self, cid, self._sized(cid, max_size, manifest), progress, start=start, stop=stop)
        return (b"".join(pieces) for pieces in segments)  # a segment of one bytes piece is not copied

    def _sized(self, cid: str, max_size: int | None, manifest: Manifest | None = None) -> Manifest:
        manifest = manifest or self.readable(cid)
        if max_size is not None and manifest.size > max_size:
            raise BlobTooLarge(cid, manifest.size, max_size)
        return manifest

    def _pieces(self, cid: str, max_size: int | None, progress: Progress | None = None) -> Iterator[_get.Piece]:
        """The blob's bytes as the pieces segments decode to (views of shards: copied once, by the caller)."""
        for segment in _get.pieces(self, cid, self._sized(cid, max_size), progress):
            yield from segment

    def get(self, cid: str, *, max_size: int | None = None) -> bytes:
        """The whole blob in memory, refused when over ``max_size`` (default: ``max_get``)."""
        # A BytesIO grows its buffer as segments come (its pages faulted in while later segments
        # are read) and `getvalue` hands that buffer over: a join after the last segment copied
        # the whole blob into fresh memory, ~20% of a 256 MiB read. The shards' payloads are
        # written to it as they are, not joined into segments first (another copy).
        whole = io.BytesIO()
        for piece in self._pieces(cid, self.max_get if max_size is None else max_size):
            whole.write(piece)
        return whole.getvalue()

    def get_to_file(
        self, cid: str, path: Path, *, max_size: int | None = None, progress: Progress | None = None
    ) -> int:
        """Writes the blob to ``path`` atomically; returns its size (no limit unless ``max_size``)."""
        tmp = path.with_name(f".{path.name}.part")
        size = 0
        try:
            with open(tmp, "wb") as fh:
                for piece in self._pieces(cid, max_size, progress):
                    fh.write(piece)
                    size += len(piece)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
        return size

    # -- stat, repair, audit ------------------------------------------------------------------
    def stat(self, cid: str, *, max_size: int | None = None, max_shards: int | None = None) -> StatReport:
        """The manifest and the health of every shard (fetched and checked); a blob larger than
        ``max_size`` (`BlobTooLarge`), or of more than ``max_shards`` shards (`TooManyShards`),
        is refused before a shard is read."""
        return _upkeep.stat(self, cid, max_size=max_size, max_shards=max_shards)

    def repair(self, cid: str) -> RepairReport:
        """Restores every missing or corrupt shard onto live nodes (see `_upkeep.repair`)."""
        return _upkeep.repair(self, cid)

    def audit(self, cid: str) -> AuditReport:
        """Asks each shard's node for the shard and its Merkle proof, and checks both."""
        return _upkeep.audit(self, cid)

    def put_shard(self, node: str, shard: bytes) -> None:
        """Uploads one shard (signed) to ``node``."""
        self._nodes.put(node, f"/shards/{hashlib.sha256(shard).hexdigest()}", shard)

    def get_json(self, node: str, path: str, *, limit: int) -> object:
        """A node's JSON answer, read within ``limit`` bytes and parsed with a depth limit."""
        return self._nodes.get_json(node, path, limit=limit)


def _grouped(failures: dict[str, str], cid: str) -> str:
    """Each node's failure, nodes that failed alike together, without repeating the CID."""
    by_reason: dict[str, list[str]] = {}
    for node, reason in sorted(failures.items()):
        by_reason.setdefault(reason.replace(cid, "…"), []).append(node)
    return "; ".join(f"{', '.join(nodes)}: {reason}" for reason, nodes in by_reason.items())


def _why(exc: StoreError) -> str:
    return exc.reason if isinstance(exc, NodeError) else str(exc)
