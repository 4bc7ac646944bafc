"""What a manifest must be before anyone reads by it: parsed with a depth limit, consistent sizes
and counts, distinct shard hashes within a segment, nodes that are http(s) URLs."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from typing import Any

import pytest

from store import MAX_MANIFEST_BYTES, Manifest, ManifestError, Segment, ShardRef, cid_of, merkle_root


def _refs(seed: int, n: int = 3) -> tuple[ShardRef, ...]:
    return tuple(ShardRef(hashlib.sha256(bytes([seed, i])).hexdigest(), f"http://n{i}:7001", "eu") for i in range(n))


def _raw(size: int, segment_size: int, sizes: list[int], /, **changes: Any) -> bytes:
    """A manifest (k=2, m=1) with the given segment sizes, its Merkle root right, then ``changes``."""
    manifest = Manifest(
        cid=cid_of(b"x"),
        size=size,
        segment_size=segment_size,
        k=2,
        m=1,
        segments=tuple(Segment(s, _refs(i)) for i, s in enumerate(sizes)),
    )
    doc = manifest.to_json() | changes
    try:  # keep the root right, so only the change is wrong
        leaves = [bytes.fromhex(s["hash"]) for seg in doc["segments"] for s in seg["shards"]]
        doc["merkleRoot"] = changes.get("merkleRoot", merkle_root(leaves).hex())
    except (TypeError, ValueError):
        pass
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    "size,segment_size,sizes",
    [(0, 4, [0]), (1, 4, [1]), (4, 4, [4]), (5, 4, [4, 1]), (12, 4, [4, 4, 4]), (13, 4, [4, 4, 4, 1])],
)
def test_consistent_manifests_are_taken(size: int, segment_size: int, sizes: list[int]) -> None:
    assert Manifest.from_bytes(_raw(size, segment_size, sizes)).size == size


@pytest.mark.parametrize(
    "size,segment_size,sizes,why",
    [
        (0, 4, [], "are 1, not 0"),  # an empty blob is one empty segment
        (8, 4, [4, 4, 0], "are 2, not 3"),
        (7, 4, [4, 3, 0], "are 2, not 3"),
        (8, 4, [4, 3], "segment 1 has 3 bytes, expected 4"),
        (5, 4, [2, 3], "segment 0 has 2 bytes"),
        (400, 4, [4], "are 100, not 1"),  # a small manifest claiming a large blob
        (4, 4, [4, 0], "are 1, not 2"),
        (4, 0, [4], "segment size 0"),
        (4, 2**40, [4], "out of range"),  # shards would pass the 64 MiB limit
    ],
)
def test_inconsistent_sizes_are_refused(size: int, segment_size: int, sizes: list[int], why: str) -> None:
    with pytest.raises(ManifestError, match=why):
        Manifest.from_bytes(_raw(size, segment_size, sizes))


def _segment(hashes: list[str], nodes: list[str] | None = None) -> dict[str, Any]:
    nodes = nodes or [f"http://n{i}" for i in range(len(hashes))]
    return {"size": 4, "shards": [{"hash": h, "node": n, "region": ""} for h, n in zip(hashes, nodes, strict=True)]}


@pytest.mark.parametrize(
    "segment,why",
    [
        (_segment(["a" * 64, "a" * 64, "b" * 64]), "the same shard twice"),
        (_segment(["A" * 64, "b" * 64, "c" * 64]), "lower-case sha256"),
        (_segment(["a" * 63 + "g", "b" * 64, "c" * 64]), "lower-case sha256"),
        (_segment(["a" * 64, "b" * 64]), "k \\+ m = 3"),
        (_segment(["a" * 64, "b" * 64, "c" * 64], ["file:///etc/passwd", "http://n1", "http://n2"]), "not an http"),
        (_segment(["a" * 64, "b" * 64, "c" * 64], ["http://n0?x=1", "http://n1", "http://n2"]), "not an http"),
        # URLs that made urlsplit, or http.client, raise outside the manifest's checks (a 500 on a node)
        *(
            (_segment(["a" * 64, "b" * 64, "c" * 64], [bad, "http://n1", "http://n2"]), "not an http")
            for bad in (
                "http://[::1",
                "http://ex\uff03ample",
                "http://127.0.0.1:x",
                "http://127.0.0.1:99999",
                "http://127.0.0.1:-1",
                "http://a:b@127.0.0.1:1",
                "http://",
                "http:// n1",
            )
        ),
    ],
)
def test_bad_shard_lists_are_refused(segment: dict[str, Any], why: str) -> None:
    with pytest.raises(ManifestError, match=why):
        Manifest.from_bytes(_raw(4, 4, [4], segments=[segment]))


@pytest.mark.parametrize(
    "changes",
    [
        {"size": -1},
        {"size": "4"},
        {"size": 4.0},
        {"k": True},
        {"codec": "zfec"},
        {"cid": "not a cid"},
        {"version": 2},
        {"segments": {"0": 1}},
        {"merkleRoot": None},
    ],
)
def test_wrong_types_and_values_are_refused_cleanly(changes: dict[str, Any]) -> None:
    with pytest.raises(ManifestError):
        Manifest.from_bytes(_raw(4, 4, [4], **changes))


DEEP = b"[" * 100_000 + b" " * 1_600_000 + b"]" * 100_000
"""Nested past orjson's depth limit, yet sparse enough in brackets to be parsed at all."""


@pytest.mark.parametrize("body", [DEEP, b'{"a":' * 5000 + b" " * 80_000 + b"1" + b"}" * 5000, b"\xff"])
def test_hostile_bodies_are_manifest_errors(body: bytes) -> None:
    with pytest.raises(ManifestError, match="not JSON"):
        Manifest.from_bytes(body)


@pytest.mark.parametrize(
    "body",
    [
        b"[" + b"[]," * 5_000_000 + b"[]]",  # the attack found: 16 MiB of empty lists, 3.5 s and 1.47 GiB in orjson
        b"[" + b'"ab",' * 3_000_000 + b'"ab"]',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":[' + b"0," * 1000 + b"0]}",
    ],
    ids=["empty-lists", "short-strings", "deep", "numbers"],
)
def test_bodies_far_denser_in_values_than_a_manifest_are_refused_unparsed(body: bytes) -> None:
    start = time.perf_counter()
    with pytest.raises(ManifestError, match="JSON values; a manifest has at most one per 16 bytes"):
        Manifest.from_bytes(body)
    assert time.perf_counter() - start < 0.5  # bytes.count, not a parse (which took 3.5 s)


@pytest.mark.parametrize("node", ["http://[::]", "http://a", "https://[2001:db8::1]:7001", "http://127.0.0.1:7001"])
@pytest.mark.parametrize("km", [(1, 1), (2, 1), (4, 2)])
def test_the_densest_canonical_manifests_pass_the_structure_check(node: str, km: tuple[int, int]) -> None:
    """One-byte segments and the shortest node URLs (IPv6 brackets count): still under one value per 16 bytes."""
    k, m = km
    refs = tuple(ShardRef(hashlib.sha256(bytes([i])).hexdigest(), node, "") for i in range(k + m))
    manifest = Manifest(cid_of(b"x" * 2000), 2000, 1, k, m, (Segment(1, refs),) * 2000)
    assert Manifest.from_bytes(manifest.to_bytes()) == manifest


def test_too_large_a_manifest_is_refused_unparsed() -> None:
    with pytest.raises(ManifestError, match="limit"):
        Manifest.from_bytes(b" " * (MAX_MANIFEST_BYTES + 1))


def test_deep_nesting_does_not_crash_a_process_whose_recursion_limit_py_evm_raised() -> None:
    """py_ecc sets the recursion limit to 100,000; the stdlib parser then dies with SIGSEGV."""
    code = (
        "import sys; sys.setrecursionlimit(100_000)\n"
        "from store import Manifest, ManifestError, cid_of\n"
        "body = b'[' * 100_000 + b' ' * 1_600_000 + b']' * 100_000\n"
        "try:\n    Manifest.from_bytes(body, expected_cid=cid_of(body))\n"
        "except ManifestError as exc:\n    print('refused:', exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "refused: manifest is not JSON: depth limit exceeded" in done.stdout
