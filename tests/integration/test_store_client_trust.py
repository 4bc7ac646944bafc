"""What a client trusts of manifests and nodes (an attacker's review): fragment headers never reach
the erasure code unchecked, a valid but trickling node is cut at a minimum rate and delays no other
read, only the client's own nodes are contacted, a manifest cannot size the client's memory.
(Failures as StoreErrors and TLS: test_store_client_errors.py.)

Real node processes on loopback; every attack bounded in size and time.
"""

from __future__ import annotations

import hashlib
import os
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from store import (
    MAX_SHARD_BYTES,
    Manifest,
    ManifestError,
    Segment,
    ShardRef,
    StoreClient,
    StoreError,
    cid_of,
    codec,
    shard_size,
)

from ..conftest import ROOT
from .store_cluster import (
    WRITER,
    LiarNode,
    Node,
    answer_with,
    in_pieces,
    late,
    signed_put,
    start_cluster,
    stop_all,
)

MB = 1_000_000


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Node]]:
    nodes = start_cluster(tmp_path_factory.mktemp("trust"), ["eu", "eu", "us"])
    yield nodes
    stop_all(nodes)
    for node in nodes:
        assert "Traceback" not in node.log(), node.log()[-3000:]


@pytest.fixture
def liar() -> Iterator[LiarNode]:
    node = LiarNode()
    yield node
    node.stop()


def urls(nodes: list[Node]) -> list[str]:
    return [n.url for n in nodes]


def publish(node: Node, manifest: Manifest) -> str:
    body = manifest.to_bytes()
    assert signed_put(node.url, f"/manifests/{manifest.manifest_cid}", body).status_code == 201
    return manifest.manifest_cid


def refs(hashes: list[str], node: str) -> tuple[ShardRef, ...]:
    return tuple(ShardRef(h, node, "eu") for h in hashes)


# -- 1: a crafted fragment header ------------------------------------------------------------------


def crafted(shard: bytes, offset: int, fmt: str, value: int) -> bytes:
    """``shard`` with one header field changed and the header's CRC-32 made right again."""
    data = bytearray(shard)
    struct.pack_into(fmt, data, offset, value)
    data[67:71] = struct.pack("<I", zlib.crc32(bytes(data[:59])))
    return bytes(data)


READ = """
import sys
from store import StoreClient, StoreError
client = StoreClient(sys.argv[1].split(","), timeout=5, deadline=10)
try:
    data = client.get(sys.argv[2])
    print("read", len(data))
except StoreError as exc:
    print("refused", type(exc).__name__, exc)
for h in client.stat(sys.argv[2]).shards:
    print("shard", h.index, h.ok, h.reason)
"""


def test_a_parity_fragment_with_a_crafted_header_is_refused_as_corrupt_and_never_decoded(cluster: list[Node]) -> None:
    """The attack found: the 'size' field of a real parity fragment set to 1 MiB, its CRC fixed
    (right length and hash, listed in a valid manifest): StoreClient.get died with SIGSEGV."""
    node = cluster[0]
    segment = os.urandom(5000)
    honest = codec.encode(segment, 1, 2)
    poisoned = crafted(honest[1], 4, "<I", 1 << 20)
    assert len(poisoned) == shard_size(5000, 1)
    for shard in (poisoned, honest[2]):
        assert signed_put(node.url, f"/shards/{hashlib.sha256(shard).hexdigest()}", shard).status_code == 201
    hashes = [hashlib.sha256(b"never uploaded").hexdigest()] + [hashlib.sha256(s).hexdigest() for s in honest[1:]]
    hashes[1] = hashlib.sha256(poisoned).hexdigest()
    alone = Manifest(cid_of(segment), 5000, 5000, 1, 1, (Segment(5000, refs(hashes[:2], node.url)),))
    with_parity = Manifest(cid_of(segment), 5000, 5000, 1, 2, (Segment(5000, refs(hashes, node.url)),))
    # In a process of its own, so that a crash fails this test instead of killing pytest.
    for manifest, read in ((alone, "refused NotEnoughShards"), (with_parity, "read 5000")):
        cid = publish(node, manifest)
        done = subprocess.run(
            [sys.executable, "-c", READ, node.url, cid], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
        assert read in done.stdout, done.stdout
        assert "shard 1 False corrupt shard (shard 1's fragment header is not the one" in done.stdout
    cli = [sys.executable, "-m", "cli", "store", "get", alone.manifest_cid, "--nodes", node.url]
    done = subprocess.run(cli, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "fragment header" in done.stderr, (done.returncode, done.stderr[-2000:])


FUZZ = """
import os, random, struct, sys, zlib
from store import StoreError, codec
random.seed(int(sys.argv[1]))
# index, size, backend metadata size, original size, checksum type, mismatch flag, backend id and
# version, magic, library version
FIELDS = [(0, "<I"), (4, "<I"), (8, "<I"), (12, "<Q"), (20, "<B"), (53, "<B"), (54, "<B"), (55, "<I")]
FIELDS += [(59, "<I"), (63, "<I")]
MASK = {"<B": 0xFF, "<I": 0xFFFFFFFF, "<Q": (1 << 64) - 1}
VALUES = [0, 1, 2, 7, 8, 79, 80, 81, 255, 256, 1000, 4096, 65535, 100000, 1 << 20, 1 << 31, (1 << 32) - 1, 1 << 40]
def crafted(shard):
    data = bytearray(shard)
    for _ in range(random.randint(1, 2)):
        offset, fmt = random.choice(FIELDS)
        struct.pack_into(fmt, data, offset, random.choice(VALUES) & MASK[fmt])
    data[67:71] = struct.pack("<I", zlib.crc32(bytes(data[:59])))
    return bytes(data)
refused = decoded = wrong = 0
for _ in range(int(sys.argv[2])):
    k, m = random.choice([(1, 1), (2, 1), (2, 2), (3, 2), (4, 2)])
    size = random.choice([1, 10, 100, 1000, 5000])
    segment = os.urandom(size)
    shards = codec.encode(segment, k, m)
    chosen = {i: shards[i] for i in random.sample(range(k + m), k)}
    changed = {i: crafted(s) for i, s in chosen.items() if random.random() < 0.6}
    mutated = any(changed[i] != chosen[i] for i in changed)
    try:
        got = codec.decode(chosen | changed, k, m, size)
        decoded += 1
        wrong += mutated or got != segment  # a changed header reached the decoder, or bad bytes came out
    except StoreError:
        refused += 1
        wrong += not mutated  # an honest set refused
print(refused, decoded, wrong)
"""


def test_random_fragment_header_mutations_are_refused_before_the_erasure_code() -> None:
    """The attack found 6 crashes (SIGSEGV, SIGABRT) in 300 random header mutations with fixed CRCs."""
    done = subprocess.run(
        [sys.executable, "-c", FUZZ, "7", "400"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])  # -11, -6: the decoder crashed
    refused, decoded, wrong = map(int, done.stdout.split())
    assert wrong == 0 and refused > 100 and decoded > 50 and refused + decoded == 400


# -- 5: a valid node that trickles ---------------------------------------------------------------


def slow_blob(liar: LiarNode, segments: int, behaviour: object) -> Manifest:
    """A blob of one-byte segments (k=1, m=1) whose every shard the liar serves as ``behaviour(shard)``."""
    listed = []
    for s in range(segments):
        shards = codec.encode(bytes([s]), 1, 1)
        for shard in shards:
            liar.routes[f"/shards/{hashlib.sha256(shard).hexdigest()}"] = behaviour(shard)  # type: ignore[operator]
        listed.append(Segment(1, refs([hashlib.sha256(x).hexdigest() for x in shards], liar.url)))
    blob = bytes(range(segments))
    return Manifest(cid_of(blob), segments, 1, 1, 1, tuple(listed))


@pytest.mark.parametrize(
    "behaviour,error,within",
    [
        (lambda shard: in_pieces(shard, [1, 1], 1.6), "slower than the minimum of 65536 bytes a second", 4.0),
        (lambda shard: late(shard, 1.9), "took longer than its", 6.0),
    ],
    ids=["a-byte-every-1.6s", "each-shard-after-1.9s"],
)
def test_a_node_trickling_valid_shards_is_given_up_on_and_delays_no_other_read(
    cluster: list[Node], liar: LiarNode, behaviour: object, error: str, within: float
) -> None:
    """The attack found: right bytes, each shard just inside the silence timeout (2 s) and the
    request deadline (4 s): one blob took minutes and held up other reads on the same client."""
    manifest = slow_blob(liar, 40, behaviour)
    cid = publish(cluster[0], manifest)
    with StoreClient([*urls(cluster), liar.url], k=1, m=1, timeout=2, deadline=4, hedge_after=0.5, signer=WRITER) as c:
        honest = c.put(os.urandom(1000))
        outcome: list[object] = []

        def hostile() -> None:
            start = time.monotonic()
            try:
                c.get(cid)
                outcome.append("read")
            except StoreError as exc:
                outcome.append(exc)
            outcome.append(time.monotonic() - start)

        thread = threading.Thread(target=hostile)
        thread.start()
        time.sleep(0.3)
        slowest = 0.0
        while thread.is_alive() and slowest < 10:
            start = time.monotonic()
            assert len(c.get(honest)) == 1000
            slowest = max(slowest, time.monotonic() - start)
        thread.join(30)
    failure, elapsed = outcome
    assert isinstance(failure, StoreError) and error in str(failure), failure
    assert isinstance(elapsed, float) and elapsed < within, elapsed  # not the 40 x 3.2 s / 2 of the attack
    assert slowest < 1.5, slowest


# -- 6: nodes the client was not given -------------------------------------------------------------


SECRET = b'{"detail":"internal-only: db password is hunter2"}'


def test_a_manifest_naming_other_nodes_makes_the_client_contact_none_of_them(
    cluster: list[Node], liar: LiarNode
) -> None:
    """The attack found: a manifest placing shards on an internal service made the client call it
    and echo its answer in errors (SSRF)."""
    liar.default = answer_with(403, SECRET)
    internal = f"{liar.url}/admin/api/v1"
    hashes = [hashlib.sha256(b"s%d" % i).hexdigest() for i in range(2)]
    cid = publish(cluster[0], Manifest(cid_of(b"x"), 1, 1, 1, 1, (Segment(1, refs(hashes, internal)),)))
    with StoreClient(urls(cluster), timeout=2, deadline=4) as c:
        with pytest.raises(StoreError) as failure:
            c.get(cid)
        stat = c.stat(cid).shards
        audit = c.audit(cid).results
    assert liar.requests == []
    assert "hunter2" not in str(failure.value)
    assert {h.reason for h in stat + audit} == {"not one of this client's nodes (not contacted)"}


# -- 7: a manifest sizing the client's memory ------------------------------------------------------


def test_a_manifest_declaring_huge_segments_is_refused_before_any_shard_is_read(
    cluster: list[Node], liar: LiarNode, tmp_path: Path
) -> None:
    """The attack found: a 4 KB manifest declaring k=31 and a 1.94 GiB segment made get_to_file
    (agora store get -o, no --max-size) peak at 1.3 GiB."""
    k = 31
    segment = (MAX_SHARD_BYTES - codec.FRAGMENT_HEADER) * k
    hashes = [hashlib.sha256(b"%d" % i).hexdigest() for i in range(k + 1)]
    listed = (Segment(segment, refs(hashes, liar.url)),)
    cid = publish(cluster[0], Manifest(cid_of(b"?"), segment, segment, k, 1, listed))
    with StoreClient([*urls(cluster), liar.url], timeout=2, deadline=4) as c:
        with pytest.raises(ManifestError, match=f"segments of {segment} bytes; this client reads segments of at most"):
            c.get_to_file(cid, tmp_path / "out")
        with StoreClient(urls(cluster), max_shards=8, max_segment=1 << 40) as few:
            with pytest.raises(ManifestError, match="this client reads at most 8"):
                few.get_stream(cid)
    assert not [r for r in liar.requests if "/shards/" in r] and not (tmp_path / "out").exists()
