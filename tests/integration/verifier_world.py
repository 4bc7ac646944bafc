"""A world for the verifier daemon as a process (`agora verifier run`): a served chain with the
contracts, three store nodes, funded actors, the wordcount program in the store; and the daemon's
own commands (`checks`, `duties`) read back as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from web3 import Web3

from compute import run
from ledger import Deployment, Transactor, connect, deploy, dev_account
from store import StoreClient, digest_of

from ..conftest import ROOT, free_port, start_chain_server, stop
from .market_helpers import Actors, fund_actors, make_request, post
from .store_cluster import WRITER, Node, start_cluster, stop_all

PROGRAMS = ROOT / "examples" / "programs" / "build"
AGR = 10**18


@dataclass
class World:
    w3: Web3
    deployment: Deployment
    actors: Actors
    store: StoreClient
    home: Path
    env: dict[str, str]
    wasm: bytes
    program: bytes
    nodes: list[Node]


@contextmanager
def open_world(home: Path, *, workers: int = 2) -> Iterator[World]:
    port = int(os.environ.get("AGORA_TEST_PORT", "0")) or free_port()
    chain = start_chain_server(home / "chain", port)
    url = f"http://127.0.0.1:{port}"
    nodes = start_cluster(home / "store", ["eu", "eu", "us"], writers="any")
    try:
        w3 = connect(url)
        deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), home, audit_bps=0)
        actors = fund_actors(w3, deployment, workers=workers)
        store = StoreClient([n.url for n in nodes], k=2, m=1, signer=WRITER)
        wasm = (PROGRAMS / "wordcount.wasm").read_bytes()
        env = {
            **os.environ,
            "AGORA_RPC_URL": url,
            "AGORA_STORE_NODES": ",".join(n.url for n in nodes),
            "AGORA_STORE_K": "2",
            "AGORA_STORE_M": "1",
            "PYTHONUNBUFFERED": "1",
        }
        yield World(w3, deployment, actors, store, home, env, wasm, digest_of(store.put(wasm)), nodes)
        store.close()
    finally:
        stop_all(nodes)
        stop(chain)


def start_verifier(world: World, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
    log = world.home / f"verifier-{time.monotonic_ns()}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli", "verifier", "run", "--home", str(world.home), "--poll", "0.1", *args],
            cwd=ROOT,
            env=world.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return proc, log


def wait_logged(proc: subprocess.Popen[bytes], log: Path, text: str, timeout: float = 180) -> None:
    """Until the daemon's log holds ``text``; fails when it exits first or the time is up."""
    until(lambda: text in log.read_text(errors="replace"), proc, log, timeout)


def until(check: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    """Until ``check()`` holds; fails when the daemon exits first or the time is up."""
    deadline = time.monotonic() + timeout
    while not check():
        assert proc.poll() is None, f"the verifier exited:\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.2)


def listed(world: World, command: str) -> list[dict[str, object]]:
    """`agora verifier COMMAND --json` (checks, duties); empty while the daemon is still starting."""
    shown = subprocess.run(
        [sys.executable, "-m", "cli", "verifier", command, "--json", "--home", str(world.home)],
        cwd=ROOT,
        env=world.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if "no verifier has run" in shown.stderr:
        return []
    assert shown.returncode == 0, shown.stderr
    found: list[dict[str, object]] = json.loads(shown.stdout)
    return found


def checks(world: World) -> dict[str, dict[str, object]]:
    return {str(c["jobId"]): c for c in listed(world, "checks")}


def wait_check(world: World, job_id: bytes, log: Path, timeout: float = 120) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    key = "0x" + job_id.hex()
    while time.monotonic() < deadline:
        found = checks(world).get(key)
        if found is not None and found["verdict"] != "pending":
            return found
        time.sleep(0.5)
    raise AssertionError(f"no check of {key}\n{log.read_text()[-3000:]}")


def k1_job(world: World, data: bytes, revealed: bytes, **terms: object) -> bytes:
    """A k=1 job on ``data`` that worker 0 locks and reveals ``revealed`` for: provisional at once."""
    request = make_request(world.w3, k=1, q=1, program_id=world.program, input_digest=data, ramp=0, **terms)
    job_id = post(world.actors, request)
    worker = world.actors.workers[0]
    slot, _ = worker.lock(job_id)
    worker.reveal(job_id, slot, revealed, b"\x01" * 32, b"\x02" * 32)
    return job_id


def truth(world: World, stdin: bytes) -> bytes:
    return run(world.wasm, stdin, fuel=10**6).digest


def advance(w3: Web3, seconds: int) -> None:
    """Moves the chain's clock on and mines a block at the new time."""
    w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
