"""Reading a blob: each segment from k good shards (slow ones hedged, the rest cancelled), every
shard checked against its hash and the fragment header its manifest implies before the erasure
code sees it, asked only of the client's own nodes; a whole read bounded in time by its size."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING

from . import codec
from ._calls import Scope
from .cid import cid_from_digest
from .errors import CorruptShard, NodeError, NotEnoughShards, ReadTimeout
from .manifest import Manifest

if TYPE_CHECKING:
    from ._put import Progress
    from .client import StoreClient

Piece = bytes | memoryview
AHEAD = 4
"""Segments a read has under way at once (each on a thread of the read's own, k shard requests
each): two left the nodes idle between segments (get 290 -> 350 MB/s on 2 cores with four)."""
AHEAD_BYTES = 32 * 1024 * 1024
"""Beyond two segments, a read has more under way only while they hold at most this many bytes:
a manifest of 64 MiB segments (anyone may publish one) keeps a reader at two, as before."""


def fetch(
    client: StoreClient,
    manifest: Manifest,
    s: int,
    i: int,
    *,
    nodes: list[str] | None = None,
    scope: Scope | None = None,
) -> bytes:
    """Shard ``i`` of segment ``s``, checked against its hash and expected header, from its node
    when that is one of the client's nodes, else from the client's nodes in turn (or ``nodes``)."""
    ref, segment = manifest.segments[s].shards[i], manifest.segments[s].size
    size = codec.shard_size(segment, manifest.k)
    if nodes is None:
        nodes = [ref.node] if ref.node in client.nodes else client.nodes
    failures = []
    for node in nodes:
        try:
            body = client._nodes.get(node, f"/shards/{ref.hash}", limit=size, scope=scope)
        except NodeError as exc:
            failures.append(exc.reason)
            continue
        if hashlib.sha256(body).hexdigest() != ref.hash:
            failures.append("corrupt shard (hash mismatch)")
            continue
        try:
            codec.check_shard(body, i, segment, manifest.k)
        except CorruptShard as exc:
            failures.append(f"corrupt shard ({exc})")
            continue
        return body
    raise NodeError(ref.node, "; ".join(failures) or "no node to ask")


def read_segment(client: StoreClient, cid: str, manifest: Manifest, s: int, suspects: set[str], parent: Scope) -> bytes:
    """Segment ``s`` (`segment_pieces`, joined)."""
    return b"".join(segment_pieces(client, cid, manifest, s, suspects, parent))


def segment_pieces(
    client: StoreClient, cid: str, manifest: Manifest, s: int, suspects: set[str], parent: Scope
) -> list[Piece]:
    """Segment ``s`` as pieces (`codec.decode_pieces`): k shards, slow ones hedged with another
    after `hedge_after` seconds, the requests still running cancelled once k are good."""
    seg, k = manifest.segments[s], manifest.k
    queue = sorted(range(len(seg.shards)), key=lambda i: (seg.shards[i].node in suspects, i))
    good: dict[int, bytes] = {}
    failures: dict[str, str] = {}
    pending: dict[Future[bytes], int] = {}
    scope = Scope(parent)

    def launch() -> None:
        i = queue.pop(0)
        pending[client._pool.submit(fetch, client, manifest, s, i, scope=scope)] = i

    try:
        while len(good) < k:
            while queue and len(good) + len(pending) < k:
                launch()
            if not pending:
                break
            done, _ = wait(pending, timeout=client.hedge_after if queue else None, return_when=FIRST_COMPLETED)
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
    if len(good) < k and not parent.cancelled:
        good.update(_search(client, manifest, s, good, Scope(parent)))
    if len(good) < k:
        raise NotEnoughShards(cid, s, len(good), k, failures, blob_cid=manifest.cid)
    return codec.decode_pieces(good, k, manifest.m, seg.size)


def _search(client: StoreClient, manifest: Manifest, s: int, good: dict[int, bytes], scope: Scope) -> dict[int, bytes]:
    """Last resort: ask every other node of the client for the missing shards (a repair may have
    moved them)."""
    seg = manifest.segments[s]
    missing = [i for i in range(len(seg.shards)) if i not in good]
    futures = {
        client._pool.submit(
            fetch, client, manifest, s, i, nodes=[n for n in client.nodes if n != seg.shards[i].node], scope=scope
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


def read_ahead(segment_size: int) -> int:
    """How many segments of ``segment_size`` bytes a read has under way at once (2 to `AHEAD`)."""
    return max(2, min(AHEAD, AHEAD_BYTES // max(1, segment_size)))


def pieces(
    client: StoreClient,
    cid: str,
    manifest: Manifest,
    progress: Progress | None,
    *,
    start: int = 0,
    stop: int | None = None,
) -> Iterator[list[Piece]]:
    """The blob segment by segment, each as its pieces (`segment_pieces`; up to `AHEAD` under way
    at once, on threads of this read's own), each verified, the whole checked against its CID.
    The caller waits at most the request deadline plus the blob's size at the minimum rate in all
    (`ReadTimeout`); time it spends with a segment is its own.

    Bytes [start, stop) only, when given: only the segments holding them are read (each still
    verified shard by shard against the manifest; the whole-blob check needs the whole blob)."""
    stop = manifest.size if stop is None else min(stop, manifest.size)
    if not 0 <= start <= stop:
        raise ValueError(f"no bytes [{start}, {stop}) in a blob of {manifest.size}")
    whole = start == 0 and stop == manifest.size
    first = start // manifest.segment_size if manifest.segment_size else 0
    last = len(manifest.segments) if whole else -(-stop // manifest.segment_size)
    budget = client.deadline + (stop - start) / client.min_rate if client.min_rate > 0 else None
    suspects: set[str] = set()
    blob_hash = hashlib.sha256()
    scope = Scope()
    ahead_count = read_ahead(manifest.segment_size)
    segments = ThreadPoolExecutor(max_workers=ahead_count, thread_name_prefix="segment")
    ahead: list[Future[list[Piece]]] = []
    count, waited = last, 0.0
    try:
        for s in range(first, min(first + ahead_count, count)):
            ahead.append(segments.submit(segment_pieces, client, cid, manifest, s, suspects, scope))
        for s in range(first, count):
            began = time.monotonic()
            try:
                data = ahead.pop(0).result(timeout=None if budget is None else max(0.0, budget - waited))
            except FutureTimeout:
                scope.cancel("the read passed its deadline")
                raise ReadTimeout(
                    f"reading {cid} ({manifest.size} bytes) took longer than its {budget:g}s "
                    f"(the {client.deadline:g}s deadline plus its size at {client.min_rate} bytes a second)"
                ) from None
            waited += time.monotonic() - began
            if s + ahead_count < count:
                ahead.append(segments.submit(segment_pieces, client, cid, manifest, s + ahead_count, suspects, scope))
            if not whole:
                offset = s * manifest.segment_size
                data = [b"".join(data)[max(0, start - offset) : stop - offset]]
            size = 0
            for piece in data:
                blob_hash.update(piece)
                size += len(piece)
            if progress:
                progress(size)
            if size or whole:
                yield data
        if whole and cid_from_digest(blob_hash.digest()) != manifest.cid:
            raise NotEnoughShards(
                cid, count - 1, 0, manifest.k, {"decoder": "decoded bytes do not match the blob CID"},
                blob_cid=manifest.cid,
            )  # fmt: skip
    finally:
        scope.cancel("the read stopped")
        for future in ahead:
            future.cancel()
        segments.shutdown(wait=False, cancel_futures=True)
