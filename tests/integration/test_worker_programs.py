"""The example programs, run directly and as Ray tasks (a local Ray of the executor's own)."""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Iterator

import pytest
import ray

from worker import RayExecutor, Status, result_of, run

from ..conftest import ROOT

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
    data = os.urandom(100_000)
    m_in, m_out = matmul_input(12, 3)
    return [
        ("sha256", data, hashlib.sha256(data).hexdigest().encode() + b"\n"),
        ("sha256", b"", hashlib.sha256(b"").hexdigest().encode() + b"\n"),
        ("wordcount", text, b"3 9 45\n"),
        ("matmul", m_in, m_out),
        ("primes", b"100000", b"9592 99991\n"),
    ]


@pytest.mark.parametrize("name,stdin,expected", cases())
def test_example_programs_compute_the_right_answer(name: str, stdin: bytes, expected: bytes) -> None:
    result = run(program(name), stdin, fuel=10**10)
    assert result.status is Status.OK, result.detail
    assert result.output == expected


@pytest.fixture(scope="module")
def local_ray() -> Iterator[RayExecutor]:
    executor = RayExecutor("local", num_cpus=2, object_store_memory=100 * 1024 * 1024)
    yield executor
    executor.shutdown()


def test_replicas_on_ray_agree_on_digest_and_fuel(local_ray: RayExecutor) -> None:
    for name, stdin, expected in cases():
        refs = [local_ray.submit(name, program(name), stdin, fuel=10**10) for _ in range(3)]
        results = [result_of(r)[0] for r in ray.get(refs)]
        assert {(r.status, r.output_digest, r.fuel_used) for r in results} == {
            (Status.OK, hashlib.sha256(expected).digest(), results[0].fuel_used)
        }
        assert results[0] == run(program(name), stdin, fuel=10**10)


def test_failures_come_back_as_statuses_through_ray(local_ray: RayExecutor) -> None:
    result, _ = local_ray.run("primes", program("primes"), b"1000000", fuel=10_000)
    assert result.status is Status.OUT_OF_FUEL
    result, _ = local_ray.run("garbage", b"not wasm", b"", fuel=10)
    assert result.status is Status.INVALID_MODULE
    result, _ = local_ray.run("matmul", program("matmul"), b"0", fuel=10**6)
    assert (result.status, result.exit_code) == (Status.EXIT_NONZERO, 2)
