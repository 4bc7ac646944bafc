"""The example programs, run directly and as Ray tasks (through a driver process of their own)."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compute import Status, run

from ..conftest import ROOT, free_port, stop_group

BUILD = ROOT / "examples" / "programs" / "build"


def program(name: str) -> bytes:
    path = BUILD / f"{name}.wasm"
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make programs`")
    return path.read_bytes()


def matmul_input(n: int, seed: int) -> tuple[bytes, bytes]:
    rng = random.Random(seed)
    a = [[rng.randrange(1000) for _ in range(n)] for _ in range(n)]
    b = [[rng.randrange(1000) for _ in range(n)] for _ in range(n)]
    text = f"{n}\n" + "\n".join(" ".join(map(str, row)) for row in a + b)
    product = [[sum(a[i][k] * b[k][j] for k in range(n)) % 2**64 for j in range(n)] for i in range(n)]
    expected = "".join(" ".join(map(str, row)) + "\n" for row in product)
    return text.encode(), expected.encode()


def cases() -> list[tuple[str, bytes, bytes]]:
    text = b"the quick brown fox\njumps over\n\nthe lazy dog "
    data = random.Random(7).randbytes(100_000)  # fixed: a test's id must not change between collections
    m_in, m_out = matmul_input(12, 3)
    return [
        ("sha256", data, hashlib.sha256(data).hexdigest().encode() + b"\n"),
        ("sha256", b"", hashlib.sha256(b"").hexdigest().encode() + b"\n"),
        ("wordcount", text, b"3 9 45\n"),
        ("matmul", m_in, m_out),
        ("primes", b"100000", b"9592 99991\n"),
    ]


CASE_IDS = ["sha256-100k", "sha256-empty", "wordcount", "matmul-12", "primes-100000"]


@pytest.mark.parametrize("name,stdin,expected", cases(), ids=CASE_IDS)
def test_example_programs_compute_the_right_answer(name: str, stdin: bytes, expected: bytes) -> None:
    result = run(program(name), stdin, fuel=10**10)
    assert result.status is Status.OK, result.detail
    assert result.output == expected


def on_ray(jobs: list[dict[str, object]], address: str | None = None) -> list[list[dict[str, object]]]:
    """Runs executions through `ray_driver.py` in a process of its own (see its docstring)."""
    driver = Path(__file__).with_name("ray_driver.py")
    done = subprocess.run(
        [sys.executable, str(driver)],
        input=json.dumps({"jobs": jobs, "address": address}),
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "RAY_AUTH_MODE": "disabled"} if address else None,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_ray_replicas_agree_with_each_other_and_with_a_direct_run() -> None:
    chosen = cases()
    jobs = [
        {"key": name, "wasm": str(BUILD / f"{name}.wasm"), "stdin": stdin.hex(), "fuel": 10**10, "replicas": 3}
        for name, stdin, _ in chosen
    ]
    failing = [
        {"key": "primes", "wasm": str(BUILD / "primes.wasm"), "stdin": b"1000000".hex(), "fuel": 10_000},
        {"key": "garbage", "wasm": "", "raw": b"not wasm".hex(), "stdin": "", "fuel": 10},
        {"key": "matmul", "wasm": str(BUILD / "matmul.wasm"), "stdin": b"0".hex(), "fuel": 10**6},
    ]
    results = on_ray(jobs + failing)
    for (name, stdin, expected), replicas in zip(chosen, results[: len(jobs)], strict=True):
        direct = run(program(name), stdin, fuel=10**10)
        for replica in replicas:
            assert replica["status"] == "ok"
            assert bytes.fromhex(str(replica["output"])) == expected
            assert (replica["outputDigest"], replica["fuelUsed"]) == (direct.output_digest.hex(), direct.fuel_used)
    statuses = [(r[0]["status"], r[0]["exitCode"]) for r in results[len(jobs) :]]
    assert statuses == [
        (Status.OUT_OF_FUEL.value, -1),
        (Status.INVALID_MODULE.value, -1),
        (Status.EXIT_NONZERO.value, 2),
    ]


RAY_BIN = Path(sys.executable).parent / "ray"


def _ray_node(args: list[str]) -> subprocess.Popen[bytes]:
    """`ray start --block` in a session of its own, so the whole node can be stopped by group."""
    return subprocess.Popen(
        [str(RAY_BIN), "start", "--block", "--node-ip-address=127.0.0.1", "--object-store-memory=80000000", *args],
        env={**os.environ, "RAY_AUTH_MODE": "disabled"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.mark.slow
def test_executions_land_on_two_ray_nodes_and_agree() -> None:
    """Two Ray nodes on this machine (loopback only), told apart by custom resources: every example
    program runs on each and the two agree on output, digest and fuel."""
    port = free_port()
    head = _ray_node(
        ["--head", f"--port={port}", "--num-cpus=1", '--resources={"node_a": 1}', "--include-dashboard=false"]
    )
    second = None
    try:
        time.sleep(6)
        second = _ray_node([f"--address=127.0.0.1:{port}", "--num-cpus=1", '--resources={"node_b": 1}'])
        time.sleep(6)
        chosen = cases()
        jobs = []
        for name, stdin, _ in chosen:
            job = {"key": name, "wasm": str(BUILD / f"{name}.wasm"), "stdin": stdin.hex(), "fuel": 10**10}
            jobs += [{**job, "resources": {"node_a": 0.1}}, {**job, "resources": {"node_b": 0.1}}]
        results = on_ray(jobs, address=f"127.0.0.1:{port}")
        for i, (_, _, expected) in enumerate(chosen):
            (on_a,), (on_b,) = results[2 * i], results[2 * i + 1]
            assert on_a["node"] != on_b["node"]
            assert bytes.fromhex(str(on_a["output"])) == expected
            assert {k: v for k, v in on_a.items() if k != "node"} == {k: v for k, v in on_b.items() if k != "node"}
    finally:
        for proc in (second, head):
            if proc is not None:
                stop_group(proc)
