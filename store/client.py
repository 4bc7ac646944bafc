"""`StoreClient`: put, get, stat, repair and audit blobs across store nodes."""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import requests
import urllib3

from . import codec, merkle
from .cid import cid_from_digest, digest_of
from .errors import NodeError, NotEnoughNodes, NotEnoughShards, NotFound
from .manifest import Manifest, Segment, ShardRef

log = logging.getLogger(__name__)

DEFAULT_SEGMENT = 4 * 1024 * 1024
Progress = Callable[[int], None]


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


class _Source:
    """Reads a blob segment by segment from bytes, a path or a binary stream."""

    def __init__(self, source: bytes | str | Path | BinaryIO) -> None:
        if isinstance(source, bytes | bytearray | memoryview):
            self._fh: BinaryIO = io.BytesIO(bytes(source))
            self._close = False
        elif isinstance(source, str | Path):
            self._fh = open(source, "rb")  # noqa: SIM115 - closed in close()
            self._close = True
        else:
            self._fh, self._close = source, False

    def segments(self, size: int) -> Iterator[bytes]:
        first = True
        while True:
            chunk = self._fh.read(size)
            if not chunk and not first:
                return
            first = False
            yield chunk
            if len(chunk) < size:
                return

    def close(self) -> None:
        if self._close:
            self._fh.close()


class StoreClient:
    """Spreads each segment's k+m shards over distinct nodes; reads any k good ones back."""

    def __init__(
        self,
        nodes: list[str],
        *,
        k: int = 4,
        m: int = 2,
        segment_size: int = DEFAULT_SEGMENT,
        timeout: float = 10.0,
        retries: int = 2,
        parallel: int = 12,
    ) -> None:
        codec.check_params(k, m)
        if not nodes:
            raise NotEnoughNodes("no store nodes given (use --nodes or AGORA_STORE_NODES)")
        self.nodes = [n.rstrip("/") for n in nodes]
        self.k, self.m, self.segment_size = k, m, segment_size
        self.timeout, self.retries = timeout, retries
        self._pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="store")
        self._segments = ThreadPoolExecutor(max_workers=2, thread_name_prefix="segment")
        self._local = threading.local()
        self._regions: dict[str, str] = {}

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._segments.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> StoreClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- HTTP ---------------------------------------------------------------------------------
    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _request(
        self, method: str, url: str, *, data: bytes | None = None, retries: int | None = None, stream: bool = False
    ) -> requests.Response:
        """One request with retries on connection errors; raises `NodeError` with the reason."""
        node = url.split("/", 3)[:3]
        attempts = (self.retries if retries is None else retries) + 1
        for attempt in range(attempts):
            try:
                return self._session().request(method, url, data=data, timeout=self.timeout, stream=stream)
            except requests.Timeout:
                raise NodeError("/".join(node), f"no answer within {self.timeout:g}s") from None
            except requests.ConnectionError as exc:
                if attempt + 1 == attempts:
                    raise NodeError("/".join(node), f"unreachable ({type(exc).__name__})") from None
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def region_of(self, node: str, *, fresh: bool = False) -> str | None:
        """The node's declared region, or None when it does not answer (``fresh``: ask again)."""
        if fresh or node not in self._regions:
            self._regions.pop(node, None)
            try:
                reply = self._request("GET", f"{node}/info", retries=0)
                reply.raise_for_status()
                self._regions[node] = str(reply.json().get("region", ""))
            except (NodeError, requests.RequestException, ValueError):
                return None
        return self._regions[node]

    # -- put ----------------------------------------------------------------------------------
    def _usable_nodes(self, regions: list[str] | None) -> list[str]:
        infos = list(self._pool.map(lambda n: (n, self.region_of(n, fresh=True)), self.nodes))
        usable = [n for n, r in infos if r is not None and (not regions or r in regions)]
        needed = self.k + self.m
        if len(usable) < needed:
            where = f" in regions {', '.join(regions)}" if regions else ""
            raise NotEnoughNodes(
                f"a put needs {needed} live nodes{where} (k={self.k}, m={self.m}); {len(usable)} answered"
            )
        return usable

    def _put_shard(self, node: str, digest: str, data: bytes) -> None:
        reply = self._request("PUT", f"{node}/shards/{digest}", data=data)
        if reply.status_code not in (200, 201):
            raise NodeError(node, _reason(reply))

    def _place(self, usable: list[str], segment: int, index: int, shard: bytes, taken: set[str]) -> ShardRef:
        """Uploads one shard to its node, falling back to another node this segment does not use."""
        digest = hashlib.sha256(shard).hexdigest()
        n = len(usable)
        first = usable[(segment + index) % n]
        candidates = [first] + [usable[(segment + index + j) % n] for j in range(1, n)]
        errors = []
        for node in candidates:
            if node != first and node in taken:
                continue
            try:
                self._put_shard(node, digest, shard)
                return ShardRef(digest, node, self._regions.get(node, ""))
            except NodeError as exc:
                errors.append(str(exc))
        raise NodeError(first, "no node accepted the shard: " + "; ".join(errors))

    def put(
        self,
        source: bytes | str | Path | BinaryIO,
        *,
        regions: list[str] | None = None,
        progress: Progress | None = None,
    ) -> str:
        """Stores a blob; returns its manifest CID. Memory stays bounded by a few segments."""
        usable = self._usable_nodes(regions)
        reader = _Source(source)
        blob_hash = hashlib.sha256()
        segments: list[Segment] = []
        window: list[tuple[int, list[Future[ShardRef]]]] = []
        size = 0
        try:
            for s, data in enumerate(reader.segments(self.segment_size)):
                blob_hash.update(data)
                size += len(data)
                shards = codec.encode(data, self.k, self.m)
                planned = {usable[(s + i) % len(usable)] for i in range(len(shards))}
                futures = [self._pool.submit(self._place, usable, s, i, sh, planned) for i, sh in enumerate(shards)]
                window.append((len(data), futures))
                if len(window) > 2:  # bound memory: at most three segments in flight
                    segments.append(_collect(*window.pop(0)))
                if progress:
                    progress(len(data))
            segments.extend(_collect(*w) for w in window)
        finally:
            reader.close()
        manifest = Manifest(
            cid=cid_from_digest(blob_hash.digest()),
            size=size,
            segment_size=self.segment_size,
            k=self.k,
            m=self.m,
            segments=tuple(segments),
        )
        self._publish(manifest)
        return manifest.manifest_cid

    def _publish(self, manifest: Manifest) -> None:
        """Replicates the manifest on every node that holds one of its shards."""
        body, cid = manifest.to_bytes(), manifest.manifest_cid

        def send(node: str) -> None:
            reply = self._request("PUT", f"{node}/manifests/{cid}", data=body)
            if reply.status_code not in (200, 201):
                raise NodeError(node, _reason(reply))

        for future in [self._pool.submit(send, n) for n in manifest.nodes()]:
            future.result()

    # -- get ----------------------------------------------------------------------------------
    def manifest(self, cid: str) -> Manifest:
        """The manifest named ``cid``, from whichever node answers first with the right bytes."""
        digest_of(cid)
        futures = {self._pool.submit(self._request, "GET", f"{n}/manifests/{cid}", retries=0): n for n in self.nodes}
        failures: dict[str, str] = {}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    reply = future.result()
                    if reply.status_code == 200:
                        manifest = Manifest.from_bytes(reply.content, expected_cid=cid)
                        for other in pending:
                            other.cancel()
                        return manifest
                    failures[futures[future]] = _reason(reply)
                except Exception as exc:  # noqa: BLE001 - any failure of one node is that node's reason
                    failures[futures[future]] = str(exc)
        raise NotFound(f"no node has manifest {cid}: " + "; ".join(f"{n}: {r}" for n, r in sorted(failures.items())))

    def _fetch(self, ref: ShardRef, nodes: list[str] | None = None) -> bytes:
        """A shard from its node (or the given nodes), checked against its hash."""
        failures = []
        for node in nodes or [ref.node]:
            try:
                reply = self._request("GET", f"{node}/shards/{ref.hash}", retries=0, stream=True)
                if reply.status_code != 200:
                    failures.append(_reason(reply))
                    continue
                # One read of the whole body: requests' .content reads in 10 KiB pieces.
                body = reply.raw.read(decode_content=True)
            except NodeError as exc:
                failures.append(exc.reason)
                continue
            except (requests.RequestException, OSError, urllib3.exceptions.HTTPError) as exc:
                failures.append(f"read failed ({type(exc).__name__})")
                continue
            if hashlib.sha256(body).hexdigest() != ref.hash:
                failures.append("corrupt shard (hash mismatch)")
                continue
            return bytes(body)
        raise NodeError(ref.node, "; ".join(failures))

    def _read_segment(self, manifest: Manifest, s: int, suspects: set[str]) -> bytes:
        seg = manifest.segments[s]
        k = manifest.k
        order = sorted(range(len(seg.shards)), key=lambda i: (seg.shards[i].node in suspects, i))
        good: dict[int, bytes] = {}
        failures: dict[str, str] = {}
        pending: dict[Future[bytes], int] = {}
        queue = list(order)
        while len(good) < k:
            while queue and len(good) + len(pending) < k:
                i = queue.pop(0)
                pending[self._pool.submit(self._fetch, seg.shards[i])] = i
            if not pending:
                break
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                i = pending.pop(future)
                try:
                    good[i] = future.result()
                except NodeError as exc:
                    failures[f"{seg.shards[i].node} (shard {i})"] = exc.reason
                    suspects.add(seg.shards[i].node)
        if len(good) < k:
            good.update(self._search(manifest, s, good))
        if len(good) < k:
            raise NotEnoughShards(manifest.cid, s, len(good), k, failures)
        return codec.decode(good, k, manifest.m)

    def _search(self, manifest: Manifest, s: int, good: dict[int, bytes]) -> dict[int, bytes]:
        """Last resort: ask every node for the missing shards (a repair may have moved them)."""
        seg = manifest.segments[s]
        missing = [i for i in range(len(seg.shards)) if i not in good]
        futures = {
            self._pool.submit(self._fetch, seg.shards[i], [n for n in self.nodes if n != seg.shards[i].node]): i
            for i in missing
        }
        found = {}
        for future, i in futures.items():
            try:
                found[i] = future.result()
            except NodeError:
                pass
        return found

    def get_stream(self, cid: str, *, progress: Progress | None = None) -> Iterator[bytes]:
        """The blob, segment by segment, each verified; the whole is checked against its CID."""
        manifest = self.manifest(cid)
        suspects: set[str] = set()
        blob_hash = hashlib.sha256()
        ahead: list[Future[bytes]] = []
        count = len(manifest.segments)
        for s in range(min(2, count)):
            ahead.append(self._segments.submit(self._read_segment, manifest, s, suspects))
        for s in range(count):
            data = ahead.pop(0).result()
            if s + 2 < count:
                ahead.append(self._segments.submit(self._read_segment, manifest, s + 2, suspects))
            blob_hash.update(data)
            if progress:
                progress(len(data))
            yield data
        if cid_from_digest(blob_hash.digest()) != manifest.cid:
            raise NotEnoughShards(
                manifest.cid, count - 1, 0, manifest.k, {"decoder": "decoded bytes do not match the blob CID"}
            )

    def get(self, cid: str) -> bytes:
        """The whole blob in memory (use `get_stream` or `get_to_file` for large ones)."""
        return b"".join(self.get_stream(cid))

    def get_to_file(self, cid: str, path: Path, *, progress: Progress | None = None) -> int:
        """Writes the blob to ``path`` atomically; returns its size."""
        tmp = path.with_name(f".{path.name}.part")
        size = 0
        with open(tmp, "wb") as fh:
            for chunk in self.get_stream(cid, progress=progress):
                fh.write(chunk)
                size += len(chunk)
        tmp.replace(path)
        return size

    # -- stat, repair, audit ------------------------------------------------------------------
    def _check(self, manifest: Manifest) -> list[ShardHealth]:
        jobs = {
            self._pool.submit(self._fetch, ref): (s, i, ref.node)
            for s, seg in enumerate(manifest.segments)
            for i, ref in enumerate(seg.shards)
        }
        out = []
        for future, (s, i, node) in jobs.items():
            try:
                future.result()
                out.append(ShardHealth(s, i, node, True))
            except NodeError as exc:
                out.append(ShardHealth(s, i, node, False, exc.reason))
        return out

    def stat(self, cid: str) -> StatReport:
        """The manifest and the health of every shard (fetched and checked)."""
        manifest = self.manifest(cid)
        return StatReport(cid, manifest, self._check(manifest))

    def repair(self, cid: str) -> RepairReport:
        """Restores every missing or corrupt shard onto live nodes.

        A shard goes back to its own node when that node is live, else to a live node holding no
        other shard of its segment. When a placement changed, a new manifest is published and its
        CID returned; the old CID still reads (shards are found on any node).
        """
        manifest = self.manifest(cid)
        health = self._check(manifest)
        live = [
            n
            for n, r in zip(
                self.nodes, self._pool.map(lambda n: self.region_of(n, fresh=True), self.nodes), strict=True
            )
            if r is not None
        ]
        report = RepairReport(cid)
        segments = list(manifest.segments)
        for s, seg in enumerate(manifest.segments):
            bad = [h.index for h in health if h.segment == s and not h.ok]
            if not bad:
                continue
            shards = codec.encode(self._read_segment(manifest, s, set()), manifest.k, manifest.m)
            refs = list(seg.shards)
            for i in bad:
                if not live:
                    raise NotEnoughNodes(f"no live node to repair {cid} onto")
                # Back to its own node if live; else to the live node holding fewest of this segment.
                load = {n: sum(r.node == n for j, r in enumerate(refs) if j != i) for n in live}
                target = refs[i].node if refs[i].node in load else min(live, key=lambda n: load[n])
                self._put_shard(target, refs[i].hash, shards[i])
                refs[i] = ShardRef(refs[i].hash, target, self.region_of(target) or "")
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
        self._publish(repaired)
        report.manifest_cid = repaired.manifest_cid
        return report

    def audit(self, cid: str) -> AuditReport:
        """Asks each shard's node for the shard and its Merkle proof, and checks both."""
        manifest = self.manifest(cid)
        leaves = manifest.leaves()
        root = bytes.fromhex(manifest.merkle_root)

        def one(s: int, i: int, node: str) -> ShardHealth:
            leaf = manifest.leaf_index(s, i)
            try:
                reply = self._request("GET", f"{node}/audit/{cid}/{leaf}", retries=0)
            except NodeError as exc:
                return ShardHealth(s, i, node, False, exc.reason)
            if reply.status_code != 200:
                return ShardHealth(s, i, node, False, _reason(reply))
            body: dict[str, Any] = reply.json()
            shard = base64.b64decode(body["shard"])
            if hashlib.sha256(shard).digest() != leaves[leaf]:
                return ShardHealth(s, i, node, False, "shard does not match the manifest")
            proof = [bytes.fromhex(p) for p in body["proof"]]
            if not merkle.verify_inclusion(leaves[leaf], leaf, len(leaves), proof, root):
                return ShardHealth(s, i, node, False, "invalid Merkle proof")
            return ShardHealth(s, i, node, True)

        jobs = [
            self._pool.submit(one, s, i, ref.node)
            for s, seg in enumerate(manifest.segments)
            for i, ref in enumerate(seg.shards)
        ]
        return AuditReport(cid, [j.result() for j in jobs])


def _collect(size: int, futures: list[Future[ShardRef]]) -> Segment:
    return Segment(size, tuple(f.result() for f in futures))


def _reason(reply: requests.Response) -> str:
    try:
        detail = reply.json().get("detail") or reply.json().get("title")
    except ValueError:
        detail = reply.text[:200]
    return f"HTTP {reply.status_code}: {detail}"
