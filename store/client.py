"""`StoreClient`: put, get, stat, repair and audit blobs across store nodes.

What it trusts of a node: nothing it has not checked. Every request has a total deadline and
reads at most what the manifest says it should (docs/store.md, "What the client checks").
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, as_completed, wait
from pathlib import Path

from eth_account.signers.local import LocalAccount

from . import _upkeep, codec
from ._calls import Scope
from ._nodes import Nodes
from ._put import Progress, Source, store_segments, usable_nodes
from ._upkeep import AuditReport, RepairReport, StatReport
from .cid import cid_from_digest, digest_of
from .errors import BlobTooLarge, NodeError, NotEnoughNodes, NotEnoughShards, NotFound, StoreError
from .manifest import MAX_MANIFEST_BYTES, Manifest, ShardRef

DEFAULT_SEGMENT = 4 * 1024 * 1024
DEFAULT_MAX_GET = 256 * 1024 * 1024


class StoreClient:
    """Spreads each segment's k+m shards over distinct nodes; reads any k good ones back.

    Args:
        nodes: node URLs.
        k, m, segment_size: how new blobs are coded.
        timeout: seconds a node may stay silent within a request.
        deadline: seconds one request may take in all.
        hedge_after: seconds a segment read waits on a slow shard before asking for another.
        max_get: the size limit of `get` (a blob in memory) when the call gives none.
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
        retries: int = 2,
        parallel: int = 12,
        signer: LocalAccount | None = None,
    ) -> None:
        codec.check_params(k, m)
        if not nodes:
            raise NotEnoughNodes("no store nodes given (use --nodes or AGORA_STORE_NODES)")
        self.nodes = [n.rstrip("/") for n in nodes]
        self.k, self.m, self.segment_size = k, m, segment_size
        self.timeout, self.deadline, self.hedge_after = timeout, deadline, hedge_after
        self.max_get, self.signer = max_get, signer
        self._nodes = Nodes(timeout=timeout, deadline=deadline, retries=retries, signer=signer)
        self._pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="store")
        self._segments = ThreadPoolExecutor(max_workers=2, thread_name_prefix="segment")

    def close(self) -> None:
        """Stops every request in flight and frees the threads and connections."""
        self._nodes.close()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._segments.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> StoreClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- put ----------------------------------------------------------------------------------
    def region_of(self, node: str, *, fresh: bool = False) -> str | None:
        """The node's declared region, or None when it does not answer (``fresh``: ask again)."""
        return self._nodes.region_of(node, fresh=fresh)

    def put(self, source: Source, *, regions: list[str] | None = None, progress: Progress | None = None) -> str:
        """Stores a blob; returns its manifest CID. Memory stays bounded by a few segments."""
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
        self.publish(manifest)
        return manifest.manifest_cid

    def publish(self, manifest: Manifest, nodes: list[str] | None = None) -> None:
        """Stores the manifest on ``nodes`` (default: every node that holds one of its shards)."""
        body = manifest.to_bytes()
        path = f"/manifests/{manifest.manifest_cid}"
        targets = manifest.nodes() if nodes is None else nodes
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
        raise NotFound(f"no node has manifest {cid}: " + "; ".join(f"{n}: {r}" for n, r in sorted(failures.items())))

    def fetch(self, ref: ShardRef, size: int, nodes: list[str] | None = None, scope: Scope | None = None) -> bytes:
        """A ``size``-byte shard from its node (or the given nodes), checked against its hash."""
        failures = []
        for node in [ref.node] if nodes is None else nodes:
            try:
                body = self._nodes.get(node, f"/shards/{ref.hash}", limit=size, scope=scope)
            except NodeError as exc:
                failures.append(exc.reason)
                continue
            if len(body) != size:
                failures.append(f"wrong size ({len(body)} bytes, {size} expected)")
            elif hashlib.sha256(body).hexdigest() != ref.hash:
                failures.append("corrupt shard (hash mismatch)")
            else:
                return body
        raise NodeError(ref.node, "; ".join(failures) or "no node to ask")

    def read_segment(self, cid: str, manifest: Manifest, s: int, suspects: set[str], parent: Scope) -> bytes:
        """Segment ``s``: k shards, slow ones hedged with another after `hedge_after` seconds,
        the requests still running cancelled once k are good."""
        seg, k, size = manifest.segments[s], manifest.k, manifest.shard_size(s)
        queue = sorted(range(len(seg.shards)), key=lambda i: (seg.shards[i].node in suspects, i))
        good: dict[int, bytes] = {}
        failures: dict[str, str] = {}
        pending: dict[Future[bytes], int] = {}
        scope = Scope(parent)

        def launch() -> None:
            i = queue.pop(0)
            pending[self._pool.submit(self.fetch, seg.shards[i], size, None, scope)] = i

        try:
            while len(good) < k:
                while queue and len(good) + len(pending) < k:
                    launch()
                if not pending:
                    break
                done, _ = wait(pending, timeout=self.hedge_after if queue else None, return_when=FIRST_COMPLETED)
                if not done:
                    launch()  # a slow shard: ask for one more beside it
                for future in done:
                    i = pending.pop(future)
                    try:
                        good[i] = future.result()
                    except NodeError as exc:
                        failures[f"{seg.shards[i].node} (shard {i})"] = exc.reason
                        suspects.add(seg.shards[i].node)
        finally:
            scope.cancel("enough shards were read")
            for future in pending:
                future.cancel()
        if len(good) < k:
            good.update(self._search(manifest, s, good, Scope(parent)))
        if len(good) < k:
            raise NotEnoughShards(cid, s, len(good), k, failures, blob_cid=manifest.cid)
        return codec.decode(good, k, manifest.m)

    def _search(self, manifest: Manifest, s: int, good: dict[int, bytes], scope: Scope) -> dict[int, bytes]:
        """Last resort: ask every node for the missing shards (a repair may have moved them)."""
        seg, size = manifest.segments[s], manifest.shard_size(s)
        missing = [i for i in range(len(seg.shards)) if i not in good]
        futures = {
            self._pool.submit(
                self.fetch, seg.shards[i], size, [n for n in self.nodes if n != seg.shards[i].node], scope
            ): i
            for i in missing
        }
        found = {}
        for future, i in futures.items():
            try:
                found[i] = future.result()
            except NodeError:
                pass
        return found

    def get_stream(self, cid: str, *, max_size: int | None = None, progress: Progress | None = None) -> Iterator[bytes]:
        """The blob, segment by segment, each verified; the whole is checked against its CID.

        Raises:
            BlobTooLarge: when the manifest says the blob is over ``max_size``, before any shard is read.
        """
        manifest = self.manifest(cid)
        if max_size is not None and manifest.size > max_size:
            raise BlobTooLarge(cid, manifest.size, max_size)
        suspects: set[str] = set()
        blob_hash = hashlib.sha256()
        scope = Scope()
        ahead: list[Future[bytes]] = []
        count = len(manifest.segments)
        try:
            for s in range(min(2, count)):
                ahead.append(self._segments.submit(self.read_segment, cid, manifest, s, suspects, scope))
            for s in range(count):
                data = ahead.pop(0).result()
                if s + 2 < count:
                    ahead.append(self._segments.submit(self.read_segment, cid, manifest, s + 2, suspects, scope))
                blob_hash.update(data)
                if progress:
                    progress(len(data))
                yield data
            if cid_from_digest(blob_hash.digest()) != manifest.cid:
                raise NotEnoughShards(
                    cid, count - 1, 0, manifest.k, {"decoder": "decoded bytes do not match the blob CID"},
                    blob_cid=manifest.cid,
                )  # fmt: skip
        finally:
            scope.cancel("the read stopped")
            for future in ahead:
                future.cancel()

    def get(self, cid: str, *, max_size: int | None = None) -> bytes:
        """The whole blob in memory, refused when over ``max_size`` (default: ``max_get``)."""
        return b"".join(self.get_stream(cid, max_size=self.max_get if max_size is None else max_size))

    def get_to_file(
        self, cid: str, path: Path, *, max_size: int | None = None, progress: Progress | None = None
    ) -> int:
        """Writes the blob to ``path`` atomically; returns its size (no limit unless ``max_size``)."""
        tmp = path.with_name(f".{path.name}.part")
        size = 0
        try:
            with open(tmp, "wb") as fh:
                for chunk in self.get_stream(cid, max_size=max_size, progress=progress):
                    fh.write(chunk)
                    size += len(chunk)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
        return size

    # -- stat, repair, audit ------------------------------------------------------------------
    def stat(self, cid: str) -> StatReport:
        """The manifest and the health of every shard (fetched and checked)."""
        return _upkeep.stat(self, cid)

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


def _why(exc: StoreError) -> str:
    return exc.reason if isinstance(exc, NodeError) else str(exc)
