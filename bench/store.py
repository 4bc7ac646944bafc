"""Store throughput: put and get of a 256 MiB blob over 6 local node processes.

Baselines measured in the same run over the same bytes: raw pyeclib encode and decode, and
sha256. Also the client's peak memory (VmHWM of a child process) putting and getting a 1 GiB
blob streamed from a generator. The last line is one JSON object with the figures.

    python bench/store.py [--mib 256] [--big-mib 1024]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from store import StoreClient, codec  # noqa: E402
from store.client import DEFAULT_SEGMENT  # noqa: E402
from tests.integration.store_cluster import WRITER, start_cluster, stop_all  # noqa: E402

MIB = 1024 * 1024
CHILD = """
import sys, os, resource
sys.path.insert(0, {root!r})
from eth_account import Account
from store import StoreClient

class Stream:
    def __init__(self, size): self.left = size
    def read(self, n):
        n = min(n, self.left); self.left -= n
        return os.urandom(n)

client = StoreClient({nodes!r}, signer=Account.from_key(bytes.fromhex({key!r})))
cid = client.put(Stream({size}))
total = sum(len(chunk) for chunk in client.get_stream(cid))
assert total == {size}, total
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        print(int(line.split()[1]) / 1024)
"""


def rate(nbytes: int, seconds: float) -> float:
    return nbytes / MIB / seconds


def baselines(data: bytes, k: int = 4, m: int = 2, segment: int = DEFAULT_SEGMENT) -> dict[str, float]:
    segments = [data[i : i + segment] for i in range(0, len(data), segment)]
    t0 = time.perf_counter()
    encoded = [codec.encode(s, k, m) for s in segments]
    enc = time.perf_counter() - t0
    t0 = time.perf_counter()
    for piece, shards in zip(segments, encoded, strict=True):
        codec.decode({i: shards[i] for i in range(2, k + m)}, k, m, len(piece))  # two shards lost
    dec = time.perf_counter() - t0
    t0 = time.perf_counter()
    hashlib.sha256(data).digest()
    sha = time.perf_counter() - t0
    return {
        "encode_mb_s": rate(len(data), enc),
        "decode_mb_s": rate(len(data), dec),
        "sha256_mb_s": rate(len(data), sha),
    }


def median_get(store: StoreClient, cid: str, data: bytes, runs: int = 3) -> float:
    """Median of a few reads: the first read after a put competes with the nodes' writeback."""
    rates = []
    for _ in range(runs):
        t0 = time.perf_counter()
        assert store.get(cid, max_size=len(data)) == data
        rates.append(rate(len(data), time.perf_counter() - t0))
    return sorted(rates)[len(rates) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--big-mib", type=int, default=1024)
    args = parser.parse_args()
    data = os.urandom(args.mib * MIB)
    base = baselines(data)
    print(
        f"baseline ({args.mib} MiB): encode {base['encode_mb_s']:.0f} MB/s, decode (2 lost) "
        f"{base['decode_mb_s']:.0f} MB/s, sha256 {base['sha256_mb_s']:.0f} MB/s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        nodes = start_cluster(Path(tmp), ["eu"] * 6)
        try:
            urls = [n.url for n in nodes]
            with StoreClient(urls, timeout=30, signer=WRITER) as store:
                t0 = time.perf_counter()
                cid = store.put(data)
                put = rate(len(data), time.perf_counter() - t0)
                get = median_get(store, cid, data)
                for node in nodes[:2]:
                    node.kill()
                degraded = median_get(store, cid, data)
                for node in nodes[:2]:
                    node.restart()
            print(
                f"put {put:.0f} MB/s ({put / base['encode_mb_s']:.2f}x encode, {put / base['sha256_mb_s']:.2f}x sha256)"
            )
            print(
                f"get {get:.0f} MB/s ({get / base['decode_mb_s']:.2f}x decode, {get / base['sha256_mb_s']:.2f}x sha256)"
            )
            print(f"get with 2 of 6 nodes down {degraded:.0f} MB/s")
            code = CHILD.format(root=str(ROOT), nodes=urls, size=args.big_mib * MIB, key=WRITER.key.hex())
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            peak = float(out.stdout.strip().splitlines()[-1])
            print(f"client peak RSS for a {args.big_mib} MiB put + get: {peak:.0f} MB")
        finally:
            stop_all(nodes)
    print(
        json.dumps(
            {
                "put_mb_s": round(put, 1),
                "get_mb_s": round(get, 1),
                "get_degraded_mb_s": round(degraded, 1),
                "encode_mb_s": round(base["encode_mb_s"], 1),
                "decode_mb_s": round(base["decode_mb_s"], 1),
                "sha256_mb_s": round(base["sha256_mb_s"], 1),
                "peak_rss_mb_1gib": round(peak, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
