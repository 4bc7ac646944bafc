"""Storing a blob: read in segments, each coded into k+m shards placed on distinct nodes (in the
allowed regions), uploaded in parallel with at most `IN_FLIGHT` segments in memory, then the manifest."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from . import codec
from ._nodes import Nodes
from .cid import cid_from_digest
from .errors import NodeError, NotEnoughNodes
from .manifest import Manifest, Segment, ShardRef

Progress = Callable[[int], None]
Source = bytes | str | Path | BinaryIO
IN_FLIGHT = 4
"""Segments coded and uploading at once: enough shard uploads under way (24 of 2 MiB with the
default 8 MiB segments) that a node's fsyncs overlap other work; 6 put no faster, 3 of 4 MiB
segments ~20% slower. About 80 MiB of memory."""


class _Source:
    """Reads a blob segment by segment from bytes, a path or a binary stream."""

    def __init__(self, source: Source) -> None:
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


def usable_nodes(
    nodes: Nodes, pool: ThreadPoolExecutor, urls: list[str], *, k: int, m: int, regions: list[str] | None
) -> list[str]:
    """The nodes that answer (in ``regions`` when given); at least k + m of them."""
    infos = list(pool.map(lambda n: (n, nodes.region_of(n, fresh=True)), urls))
    usable = [n for n, r in infos if r is not None and (not regions or r in regions)]
    if len(usable) < k + m:
        where = f" in regions {', '.join(regions)}" if regions else ""
        raise NotEnoughNodes(f"a put needs {k + m} live nodes{where} (k={k}, m={m}); {len(usable)} answered")
    return usable


def place(nodes: Nodes, usable: list[str], segment: int, index: int, shard: bytes, taken: set[str]) -> ShardRef:
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
            nodes.put(node, f"/shards/{digest}", shard)
            return ShardRef(digest, node, nodes.regions.get(node, ""))
        except NodeError as exc:
            errors.append(str(exc))
    raise NodeError(first, "no node accepted the shard: " + "; ".join(errors))


def store_segments(
    nodes: Nodes,
    pool: ThreadPoolExecutor,
    usable: list[str],
    source: Source,
    *,
    segment_size: int,
    k: int,
    m: int,
    progress: Progress | None,
) -> Manifest:
    """Codes and uploads every segment of ``source``; returns the blob's manifest (unpublished)."""
    reader = _Source(source)
    blob_hash = hashlib.sha256()
    segments: list[Segment] = []
    window: list[tuple[int, list[Future[ShardRef]]]] = []
    size = 0
    try:
        for s, data in enumerate(reader.segments(segment_size)):
            blob_hash.update(data)
            size += len(data)
            shards = codec.encode(data, k, m)
            planned = {usable[(s + i) % len(usable)] for i in range(len(shards))}
            futures = [pool.submit(place, nodes, usable, s, i, sh, planned) for i, sh in enumerate(shards)]
            window.append((len(data), futures))
            if len(window) >= IN_FLIGHT:  # bound memory
                segments.append(_collect(*window.pop(0)))
            if progress:
                progress(len(data))
        segments.extend(_collect(*w) for w in window)
    finally:
        reader.close()
    return Manifest(
        cid=cid_from_digest(blob_hash.digest()),
        size=size,
        segment_size=segment_size,
        k=k,
        m=m,
        segments=tuple(segments),
    )


def _collect(size: int, futures: list[Future[ShardRef]]) -> Segment:
    return Segment(size, tuple(f.result() for f in futures))
