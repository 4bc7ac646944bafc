"""The store across six real node processes: loss, freezing, corruption, repair, audits, regions."""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store import NotEnoughNodes, NotEnoughShards, StoreClient, cid_of, codec

from .store_cluster import WRITER, Node, signed_put, start_cluster, stop_all

SEGMENT = 64 * 1024
REGIONS = ["eu", "eu", "eu", "us", "us", "ch"]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[list[Node]]:
    nodes = start_cluster(tmp_path, REGIONS)
    yield nodes
    stop_all(nodes)


@pytest.fixture(scope="module")
def shared_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Node]]:
    """Nodes that tests must not damage (or must mend before returning)."""
    nodes = start_cluster(tmp_path_factory.mktemp("shared"), REGIONS)
    yield nodes
    stop_all(nodes)


def client(nodes: list[Node], **kwargs: object) -> StoreClient:
    return StoreClient([n.url for n in nodes], segment_size=SEGMENT, timeout=2.0, signer=WRITER, **kwargs)  # type: ignore[arg-type]


SIZES = [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT + 17]


@pytest.mark.parametrize("size", SIZES)
def test_round_trip_at_segment_boundaries(shared_cluster: list[Node], size: int) -> None:
    data = os.urandom(size)
    with client(shared_cluster) as store:
        cid = store.put(data)
        manifest = store.manifest(cid)
        assert manifest.cid == cid_of(data)
        assert manifest.size == size
        assert len(manifest.segments) == max(1, -(-size // SEGMENT))
        assert store.get(cid) == data


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=0, max_value=3 * SEGMENT), st.sampled_from([(1, 1), (2, 2), (3, 1), (4, 2)]))
def test_round_trip_over_sizes_and_codes(shared_cluster: list[Node], size: int, km: tuple[int, int]) -> None:
    data = os.urandom(size)
    with client(shared_cluster, k=km[0], m=km[1]) as store:
        cid = store.put(data)
        assert store.get(cid) == data


def test_shards_of_a_segment_go_to_distinct_nodes(shared_cluster: list[Node]) -> None:
    with client(shared_cluster) as store:
        manifest = store.manifest(store.put(os.urandom(5 * SEGMENT)))
    for seg in manifest.segments:
        assert len({s.node for s in seg.shards}) == 6
    regions = {n.url: n.region for n in shared_cluster}
    assert all(s.region == regions[s.node] for seg in manifest.segments for s in seg.shards)


def test_any_m_nodes_killed_every_blob_still_reads(cluster: list[Node]) -> None:
    blobs = {}
    with client(cluster) as store:
        for size in (10, SEGMENT * 3 + 5):
            data = os.urandom(size)
            blobs[store.put(data)] = data
        for pair in itertools.combinations(cluster, 2):  # every choice of m = 2 nodes
            for victim in pair:
                victim.kill()
            for cid, data in blobs.items():
                assert store.get(cid) == data
            for victim in pair:
                victim.restart()


def test_m_plus_one_nodes_killed_the_read_fails_with_the_reasons(cluster: list[Node]) -> None:
    with client(cluster) as store:
        cid = store.put(os.urandom(SEGMENT // 2))
        manifest = store.manifest(cid)
        dead = cluster[:3]
        for node in dead:
            node.kill()
        with pytest.raises(NotEnoughShards) as info:
            store.get(cid)
    err = info.value
    assert (err.cid, err.blob_cid, err.found, err.needed) == (cid, manifest.cid, 3, 4)
    assert all(any(n.url in failed for failed in err.failures) for n in dead)
    assert "unreachable" in str(err) and cid in str(err) and manifest.cid in str(err)


def test_a_frozen_node_is_given_up_on_after_its_timeout(cluster: list[Node]) -> None:
    data = os.urandom(4 * SEGMENT)
    with client(cluster) as store:
        cid = store.put(data)
        holder = store.manifest(cid).segments[0].shards[0].node
        frozen = next(n for n in cluster if n.url == holder)
        frozen.freeze()
        try:
            assert store.get(cid) == data
        finally:
            frozen.thaw()


def _flip(path: Path, offset: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset % len(raw)] ^= 0x01
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("where", ["header", "payload", "last byte"])
def test_a_flipped_bit_is_detected_and_repaired(shared_cluster: list[Node], where: str) -> None:
    data = os.urandom(2 * SEGMENT)
    with client(shared_cluster) as store:
        cid = store.put(data)
        ref = store.manifest(cid).segments[0].shards[0]
        node = next(n for n in shared_cluster if n.url == ref.node)
        path = node.shard_path(ref.hash)
        offset = {"header": 5, "payload": len(path.read_bytes()) // 2, "last byte": -1}[where]
        _flip(path, offset)
        assert store.get(cid) == data  # the corrupt shard is treated as missing
        report = store.stat(cid)
        bad = [h for h in report.shards if not h.ok]
        assert [(h.segment, h.index) for h in bad] == [(0, 0)] and "corrupt" in bad[0].reason
        assert store.repair(cid).restored == [(0, 0, ref.node)]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == ref.hash
        assert all(h.ok for h in store.stat(cid).shards)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=0, max_value=5), st.integers(min_value=0, max_value=10**9))
def test_random_bit_flips_never_reach_the_reader(shared_cluster: list[Node], shard: int, offset: int) -> None:
    data = os.urandom(SEGMENT + 100)
    with client(shared_cluster) as store:
        cid = store.put(data)
        ref = store.manifest(cid).segments[0].shards[shard]
        path = next(n for n in shared_cluster if n.url == ref.node).shard_path(ref.hash)
        _flip(path, offset)
        assert store.get(cid) == data
        store.repair(cid)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == ref.hash


def test_repair_after_losing_m_nodes_restores_full_redundancy(cluster: list[Node]) -> None:
    data = os.urandom(3 * SEGMENT)
    with client(cluster) as store:
        cid = store.put(data)
        for node in cluster[:2]:
            node.kill()
        report = store.repair(cid)
        assert len(report.restored) == 3 * 2  # two shards of each of three segments
        live = {n.url for n in cluster[2:]}
        assert all(node in live for _, _, node in report.restored)
        repaired = store.stat(report.manifest_cid)
        assert all(h.ok for h in repaired.shards)
        assert {s.node for seg in repaired.manifest.segments for s in seg.shards} <= live
        # Full redundancy again: all k+m shards exist, so m more shards may be lost. Four nodes
        # now hold six shards per segment (at most two each): losing any one more node is fine.
        busiest = max(cluster[2:], key=lambda n: sum(s.node == n.url for s in repaired.manifest.segments[0].shards))
        busiest.kill()
        assert store.get(report.manifest_cid) == data
        assert store.get(cid) == data  # the old manifest CID still reads: shards are searched for


def test_audit_checks_shards_and_merkle_proofs(shared_cluster: list[Node]) -> None:
    with client(shared_cluster) as store:
        cid = store.put(os.urandom(2 * SEGMENT))
        report = store.audit(cid)
        assert report.passed and len(report.results) == 12
        ref = store.manifest(cid).segments[1].shards[3]
        path = next(n for n in shared_cluster if n.url == ref.node).shard_path(ref.hash)
        _flip(path, 100)
        failed = [r for r in store.audit(cid).results if not r.ok]
        assert [(r.segment, r.index, r.reason) for r in failed] == [(1, 3, "shard does not match the manifest")]
        store.repair(cid)
        assert store.audit(cid).passed


def test_put_honours_regions(shared_cluster: list[Node]) -> None:
    with client(shared_cluster, k=2, m=1) as store:
        manifest = store.manifest(store.put(os.urandom(3 * SEGMENT), regions=["eu"]))
        eu = {n.url for n in shared_cluster if n.region == "eu"}
        assert {s.node for seg in manifest.segments for s in seg.shards} <= eu
        assert {s.region for seg in manifest.segments for s in seg.shards} == {"eu"}
        with pytest.raises(NotEnoughNodes, match="regions ch"):
            store.put(b"data", regions=["ch"])


# -- the node itself ---------------------------------------------------------------------------


def test_node_refuses_bad_shards(shared_cluster: list[Node]) -> None:
    url = shared_cluster[0].url
    good = b"shard bytes"
    digest = hashlib.sha256(good).hexdigest()
    # signed for the path and size it is sent with, so only the content is wrong
    assert signed_put(url, f"/shards/{digest}", b"other bytes").status_code == 400
    assert signed_put(url, "/shards/NOT-A-HASH", good).status_code == 422
    assert requests.get(f"{url}/shards/{digest}").status_code == 404
    assert signed_put(url, f"/shards/{digest}", good).status_code == 201
    assert requests.get(f"{url}/shards/{digest}").content == good
    big = os.urandom(65 * 1024 * 1024)
    reply = signed_put(url, f"/shards/{hashlib.sha256(big).hexdigest()}", big)
    assert reply.status_code == 413
    assert reply.headers["content-type"] == "application/problem+json"
    assert signed_put(url, f"/manifests/{cid_of(b'x')}", b"x").status_code == 400
    assert requests.get(f"{url}/info").json()["region"] == "eu"


def test_node_answers_a_full_disk_clearly(tmp_path: Path) -> None:
    from .store_cluster import start_node

    mount = tmp_path / "small"
    mount.mkdir()
    if os.system(f"mount -t tmpfs -o size=256k tmpfs {mount} 2>/dev/null") != 0:
        pytest.skip("mounting a small tmpfs needs root")
    node = start_node(mount)
    try:
        payload = os.urandom(512 * 1024)
        reply = signed_put(node.url, f"/shards/{hashlib.sha256(payload).hexdigest()}", payload)
        assert reply.status_code == 507
        assert reply.json()["detail"] == "no space left on this node"  # and no path of the node's
        assert list((mount / "shards").iterdir()) == []  # no half-written shard
        assert list((mount / ".staging").iterdir()) == []  # nor a staged one
        small = b"fits"
        assert signed_put(node.url, f"/shards/{hashlib.sha256(small).hexdigest()}", small).status_code == 201
    finally:
        stop_all([node])
        os.system(f"umount {mount}")


def test_s3_backed_node_against_a_real_s3_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess
    import sys
    import time

    from ..conftest import free_port
    from .store_cluster import start_node

    for key, value in {
        "AWS_ACCESS_KEY_ID": "agora",
        "AWS_SECRET_ACCESS_KEY": "agora-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    port = free_port()
    s3 = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(endpoint, timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        nodes = [
            start_node(
                None,
                region="eu",
                extra=["--s3-bucket", f"bucket{i}", "--s3-endpoint", endpoint, "--dir", str(tmp_path / f"state{i}")],
            )
            for i in range(3)
        ]
        try:
            data = os.urandom(3 * SEGMENT + 9)
            urls = [n.url for n in nodes]
            with StoreClient(urls, k=2, m=1, segment_size=SEGMENT, timeout=5, signer=WRITER) as store:
                cid = store.put(data)
                assert store.get(cid) == data
                assert store.audit(cid).passed
                assert requests.get(f"{nodes[0].url}/info").json()["backend"] == "s3"
        finally:
            stop_all(nodes)
    finally:
        s3.terminate()
        s3.wait(timeout=10)


def test_codec_version_is_pinned() -> None:
    assert codec.PYECLIB_VERSION == "1.8.0"
