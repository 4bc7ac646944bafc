"""Hostile input against the store: lying nodes against the client, hostile clients against a node.

Each attack is bounded in size and time and stays on loopback. A client must return or fail
clearly within its deadline (an explicit setting these tests make small) and its memory bound;
a node must stay up and keep answering others.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import psutil
import pytest

from store import BlobTooLarge, Manifest, NotFound, Segment, ShardRef, StoreClient, cid_of

from ..conftest import ROOT
from .store_cluster import (
    WRITER,
    LiarNode,
    Node,
    answer_with,
    declaring,
    endless,
    start_cluster,
    stop_all,
    trickling,
)

SEGMENT = 64 * 1024
MB = 1_000_000
DEADLINE = 2.0
SLACK = 2.0
T = TypeVar("T")


@pytest.fixture
def liar() -> Iterator[LiarNode]:
    node = LiarNode()
    yield node
    node.stop()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Node]]:
    nodes = start_cluster(tmp_path_factory.mktemp("hostile"), ["eu", "eu", "us"])
    yield nodes
    stop_all(nodes)


def client(nodes: list[str], **kwargs: object) -> StoreClient:
    """k=2, m=1, small segments; a total deadline of `DEADLINE` s and a silence timeout far above
    the 2 s a trickling node waits between bytes, so only the deadline can stop a trickle."""
    values: dict[str, object] = {"deadline": DEADLINE, "timeout": 10.0, "hedge_after": 60.0}
    return StoreClient(nodes, k=2, m=1, segment_size=SEGMENT, signer=WRITER, **(values | kwargs))  # type: ignore[arg-type]


def measured(fn: Callable[[], T]) -> tuple[T | BaseException, float, float]:
    """``fn()``'s result (or exception), seconds taken, and this process's peak RSS growth in MB
    while it ran (sampled every 10 ms)."""
    me = psutil.Process()
    base = peak = me.memory_info().rss
    running = True

    def sample() -> None:
        nonlocal peak
        while running:
            peak = max(peak, me.memory_info().rss)
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.monotonic()
    try:
        result: T | BaseException = fn()
    except Exception as exc:  # noqa: BLE001 - returned for the test to look at
        result = exc
    elapsed = time.monotonic() - start
    running = False
    sampler.join()
    return result, elapsed, (peak - base) / MB


def stored_blob(nodes: list[Node], segments: int = 2) -> tuple[bytes, Manifest]:
    data = os.urandom(segments * SEGMENT - 5)
    with client([n.url for n in nodes]) as store:
        return data, store.manifest(store.put(data))


def with_shard_on(manifest: Manifest, url: str, segment: int = 0, index: int = 0) -> Manifest:
    """The same blob, except that one shard is said to live on ``url``."""
    segments = list(manifest.segments)
    refs = list(segments[segment].shards)
    refs[index] = ShardRef(refs[index].hash, url, "eu")
    segments[segment] = Segment(segments[segment].size, tuple(refs))
    return Manifest(manifest.cid, manifest.size, manifest.segment_size, manifest.k, manifest.m, tuple(segments))


def publish(nodes: list[Node], manifest: Manifest) -> str:
    with client([n.url for n in nodes]) as store:
        store.publish(manifest, [n.url for n in nodes])
    return manifest.manifest_cid


# -- attack 1: a deeply nested manifest ------------------------------------------------------------


def test_a_deeply_nested_manifest_is_refused_by_the_client_and_by_agora_store_get(liar: LiarNode) -> None:
    body = b"[" * 100_000 + b" " * 1_600_000 + b"]" * 100_000  # sparse enough in brackets to be parsed
    cid = cid_of(body)
    liar.routes[f"/manifests/{cid}"] = answer_with(200, body)
    with client([liar.url]) as store, pytest.raises(NotFound, match="depth limit exceeded"):
        store.get(cid)
    # The CLI imports py-evm (recursion limit 100,000): the stdlib parser died there with SIGSEGV.
    cmd = [sys.executable, "-m", "cli", "store", "get", cid, "--nodes", liar.url]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert "depth limit exceeded" in done.stderr and done.stdout == ""


# -- attack 2: a node exhausting the client's memory or time ---------------------------------------


@pytest.mark.parametrize(
    "behaviour,reason",
    [
        (endless(), "longer than"),
        (declaring(4 * 10**9), "declares 4000000000 bytes"),
        (declaring(10**12), "declares 1000000000000 bytes"),
    ],
    ids=["endless-chunked", "content-length-4e9", "content-length-1e12"],
)
def test_a_shard_body_is_read_only_up_to_its_expected_size(
    cluster: list[Node], liar: LiarNode, behaviour: object, reason: str
) -> None:
    data, manifest = stored_blob(cluster)
    ref = manifest.segments[0].shards[0]
    liar.routes[f"/shards/{ref.hash}"] = behaviour  # type: ignore[assignment]
    cid = publish(cluster, with_shard_on(manifest, liar.url))
    with client([n.url for n in cluster] + [liar.url]) as store:
        got, elapsed, growth = measured(lambda: store.get(cid))
        assert got == data  # from the other shards
        assert elapsed < DEADLINE + SLACK and growth < 100
        health = store.stat(cid).shards
    (bad,) = [h for h in health if not h.ok]
    assert (bad.segment, bad.index, bad.node) == (0, 0, liar.url) and reason in bad.reason


def test_an_endless_manifest_is_cut_at_16_mib(liar: LiarNode) -> None:
    cid = cid_of(b"some manifest")
    liar.routes[f"/manifests/{cid}"] = endless()
    with client([liar.url]) as store:
        failure, elapsed, growth = measured(lambda: store.manifest(cid))
    assert isinstance(failure, NotFound) and "longer than the 16777216 bytes expected" in str(failure)
    assert elapsed < DEADLINE + SLACK and growth < 100


@pytest.mark.parametrize("head_too", [False, True], ids=["body", "status-line-and-headers"])
def test_a_node_trickling_one_byte_every_2s_is_given_up_on_at_the_deadline(
    cluster: list[Node], liar: LiarNode, head_too: bool
) -> None:
    data, manifest = stored_blob(cluster)
    ref = manifest.segments[0].shards[0]
    liar.routes[f"/shards/{ref.hash}"] = trickling(b"x" * manifest.shard_size(0), head_too=head_too)
    cid = publish(cluster, with_shard_on(manifest, liar.url))
    with client([n.url for n in cluster] + [liar.url], min_rate=0) as store:  # the deadline alone
        store.manifest(cid)  # (not timed)
        got, elapsed, _ = measured(lambda: store.get(cid))
    assert got == data
    assert DEADLINE - 0.5 < elapsed < DEADLINE + SLACK  # gave up on the trickle at its deadline, no sooner
    assert liar.closed, "the client never closed the trickling connection"


def test_a_slow_shard_is_hedged_and_the_losing_request_is_cancelled(cluster: list[Node], liar: LiarNode) -> None:
    data, manifest = stored_blob(cluster)
    ref = manifest.segments[0].shards[0]
    liar.routes[f"/shards/{ref.hash}"] = trickling(b"x" * manifest.shard_size(0))
    cid = publish(cluster, with_shard_on(manifest, liar.url))
    with client([n.url for n in cluster] + [liar.url], deadline=60.0, hedge_after=0.3) as store:
        store.manifest(cid)
        got, elapsed, _ = measured(lambda: store.get(cid))
        returned = time.monotonic()
        assert got == data and elapsed < 0.3 + SLACK  # not the 60 s deadline: parity was asked for
        wait_until(lambda: bool(liar.closed), 2.0)
    assert liar.closed[0] - returned < 1.0  # cancelled once k shards were good, not left running


def test_the_manifest_race_cancels_the_slower_requests(cluster: list[Node], liar: LiarNode) -> None:
    _, manifest = stored_blob(cluster)
    cid = manifest.manifest_cid
    liar.routes[f"/manifests/{cid}"] = trickling(manifest.to_bytes())
    with client([liar.url] + [n.url for n in cluster], deadline=60.0) as store:
        assert store.manifest(cid) == manifest
        returned = time.monotonic()
        wait_until(lambda: bool(liar.closed), 2.0)
    assert liar.closed[0] - returned < 1.0


def test_a_trickled_manifest_fails_within_the_deadline(liar: LiarNode) -> None:
    body = b"x" * 1000
    liar.routes[f"/manifests/{cid_of(body)}"] = trickling(body, every=0.5)
    with client([liar.url], min_rate=0) as store:  # the deadline alone
        failure, elapsed, _ = measured(lambda: store.manifest(cid_of(body)))
    assert isinstance(failure, NotFound) and f"deadline of {DEADLINE:g}s" in str(failure)
    assert elapsed < DEADLINE + SLACK


# -- attack 3: a small manifest for a huge blob ----------------------------------------------------


def test_a_small_manifest_repeating_a_segment_is_refused_by_size_before_any_shard_is_read(
    cluster: list[Node], liar: LiarNode
) -> None:
    """The attack found: a 76 KB manifest listing one stored 4 MiB segment 100 times."""
    segment = 4 * 1024 * 1024
    refs = tuple(ShardRef(hashlib.sha256(bytes([i])).hexdigest(), liar.url, "eu") for i in range(3))
    segments = (Segment(segment, refs),) * 100
    blob = Manifest(cid_of(b"100 times the same segment"), 100 * segment, segment, 2, 1, segments)
    cid = publish(cluster, blob)
    assert len(blob.to_bytes()) < 100_000
    with client([n.url for n in cluster] + [liar.url]) as store:
        with pytest.raises(BlobTooLarge, match=f"{cid} is 419430400 bytes, more than the limit of 1048576 bytes"):
            store.get(cid, max_size=1024 * 1024)
        with pytest.raises(BlobTooLarge, match="limit of 268435456 bytes"):
            store.get(cid)  # into memory: bounded by default (256 MiB)
        with pytest.raises(BlobTooLarge):
            next(store.get_stream(cid, max_size=100 * segment - 1))
    assert not [r for r in liar.requests if "/shards/" in r]


def wait_until(check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_agora_store_get_max_size_refuses_and_names_both_sizes(cluster: list[Node], tmp_path: Path) -> None:
    data, manifest = stored_blob(cluster)
    nodes = ",".join(n.url for n in cluster)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "cli", "store", "get", manifest.manifest_cid, "--nodes", nodes, "-o", str(out)]
    done = subprocess.run([*cmd, "--max-size", "64KiB"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"is {len(data)} bytes, more than the limit of 65536 bytes" in done.stderr
    assert not out.exists() and not list(tmp_path.glob(".out*"))
    with client([n.url for n in cluster]) as store:  # (through the CLI in test_store_cli.py)
        store.get_to_file(manifest.manifest_cid, out, max_size=len(data))
    assert out.read_bytes() == data
