"""Worker overheads and whole-job throughput.

Per execution of a trivial program (writes "ok"): a direct wasmtime call in this process
(`wasm_direct_ms`), an empty Ray task round trip (`bare_ray_ms`, the baseline) and the worker's
Ray path, `RayExecutor.run` with the module's bytes, its cache and the plain-data result
(`ray_path_ms`). Then whole jobs settled per second on the embedded chain (in-process), with
real store nodes and Ray: one worker taking k=1 jobs, three taking k=3 jobs, every job posted,
locked, executed, stored, committed/revealed and settled. Beside them, in the same run, the
chain's own single-sender rate (signed ERC-20 transfers one after another through the same
in-process web3 client, each waiting for its receipt), and each job rate as a share of it:
jobs/s x transactions a job (counted on the chain: transactions mined during the run / jobs)
/ that rate. The last line is one JSON object.

    python bench/worker.py [--executions 300] [--k1-jobs 40] [--k3-jobs 20] [--transfers 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compute import RayExecutor, run  # noqa: E402
from compute import build_program as build  # noqa: E402
from ledger import (  # noqa: E402
    CHAIN_ID,
    ChainClock,
    EmbeddedChain,
    JobMarket,
    Token,
    Transactor,
    connect,
    deploy,
    dev_account,
    new_request,
)
from store import StoreClient, digest_of  # noqa: E402
from tests.integration.store_cluster import WRITER, start_cluster, stop_all  # noqa: E402
from worker import BidPolicy, Worker, WorkerConfig  # noqa: E402

AGR = 10**18
TRIVIAL = b"""
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "ok\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 3))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
"""


def per_call_ms(fn: Callable[[], object], n: int) -> float:
    """Median of n timed calls, in ms."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def wasm_module() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "ok.wat"
        src.write_bytes(TRIVIAL)
        out = Path(tmp) / "ok.wasm"
        build(src, out)
        return out.read_bytes()


def executions(wasm: bytes, n: int) -> dict[str, float]:
    # Direct first: once this process is a Ray driver it must not run modules itself.
    assert run(wasm, b"", fuel=10**6, cache_key="ok").output == b"ok\n"
    direct = per_call_ms(lambda: run(wasm, b"", fuel=10**6, cache_key="ok"), n)
    import ray

    executor = RayExecutor("local", num_cpus=2)

    @ray.remote(num_cpus=1)
    def noop() -> None:
        return None

    for _ in range(20):  # warm both paths: worker processes started, module compiled
        ray.get(noop.remote())
        executor.run("ok", wasm, b"", fuel=10**6)
    bare = per_call_ms(lambda: ray.get(noop.remote()), n)
    path = per_call_ms(lambda: executor.run("ok", wasm, b"", fuel=10**6), n)
    return {"wasm_direct_ms": direct, "bare_ray_ms": bare, "ray_path_ms": path}


def chain_tps(home: Path, transfers: int) -> float:
    """The embedded chain's single-sender rate: signed token transfers one after another, each
    sent and its receipt read through web3 in-process, as the workers' transactions are."""
    chain = EmbeddedChain(home / "chain")
    w3 = connect(chain=chain)
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), home)
    token = Token(w3, deployment, Transactor(w3, dev_account(0))).contract
    sender = dev_account(0)
    data = token.encode_abi("transfer", args=[dev_account(1).address, 1])
    fees = {"maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9, "chainId": CHAIN_ID}
    nonce = w3.eth.get_transaction_count(sender.address)
    t0 = time.perf_counter()
    for i in range(transfers):
        tx = {"to": token.address, "data": data, "gas": 60_000, "nonce": nonce + i, **fees}
        w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction))
    tps = transfers / (time.perf_counter() - t0)
    chain.close()
    return tps


class ChainBusy:
    """Wall time during which at least one request to the chain was in progress, and each
    method's own time (overlapping requests of worker threads are counted once in the busy time)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = 0
        self.since = 0.0
        self.busy = 0.0
        self.methods: dict[str, float] = {}  # seconds by method
        self.counting = False

    def wrap(self, make_request: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        def timed(method: Any, params: Any) -> Any:
            if not self.counting:
                return make_request(method, params)
            t0 = self.enter()
            try:
                return make_request(method, params)
            finally:
                self.leave(str(method), t0)

        return timed

    def enter(self) -> float:
        now = time.perf_counter()
        with self.lock:
            if self.in_flight == 0:
                self.since = now
            self.in_flight += 1
        return now

    def leave(self, method: str, t0: float) -> None:
        now = time.perf_counter()
        with self.lock:
            self.in_flight -= 1
            if self.in_flight == 0:
                self.busy += now - self.since
            self.methods[method] = self.methods.get(method, 0.0) + now - t0


def jobs_per_second(
    home: Path, nodes: list[str], wasm: bytes, *, k: int, jobs: int
) -> tuple[float, float, float, dict[str, float]]:
    """Posts ``jobs`` k-redundant jobs at once; returns jobs settled per second (post to the last
    one final: the requester accepts each unanimous result as it is revealed), transactions
    mined per job meanwhile, the share of that time the chain was being asked something (any
    request of any party in progress), and each method's share of it."""
    chain = EmbeddedChain(home / "chain")
    w3 = connect(chain=chain)
    clock = ChainBusy()
    w3.provider.make_request = clock.wrap(w3.provider.make_request)  # type: ignore[method-assign,assignment]
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), home)
    requester = JobMarket(w3, deployment, Transactor(w3, dev_account(1)))
    Token(w3, deployment, Transactor(w3, dev_account(0))).faucet(dev_account(1).address, 100_000 * AGR)
    requester.deposit(100_000 * AGR)
    store = StoreClient(nodes, k=2, m=1, signer=WRITER)  # the writer the test nodes accept
    program, data = digest_of(store.put(wasm)), digest_of(store.put(b""))
    executor = RayExecutor("local")
    workers = []
    for i in range(k):
        config = WorkerConfig(
            name=f"bench{i}",
            state_dir=home / f"worker{i}",
            store_nodes=nodes,
            stake=10_000 * AGR,
            policy=BidPolicy(max_concurrent=8),
            poll_interval=0.0,
            setup_name=False,
        )
        worker = Worker(w3, deployment, dev_account(2 + i), config, store=store, executor=executor)
        worker.setup(on_progress=lambda _m: None)
        workers.append(worker)
    requests = [
        new_request(
            ChainClock(w3).now(),
            requester=dev_account(1).address,
            program_id=program,
            input_digest=data,
            redundancy=k,
            max_price=2 * AGR,
            ramp=0,
            collateral=10 * AGR,
        )
        for _ in range(jobs)
    ]
    for worker in workers:  # catch up with the set-up's events before timing
        worker.tick()
    provisional = requester.contract.events.JobProvisional()
    start = start_block = int(w3.eth.block_number) + 1
    clock.counting = True
    t0 = time.perf_counter()
    ids = [
        requester.post_job(r, r.sign(dev_account(1), chain_id=deployment.chain_id, market=requester.address))
        for r in requests
    ]
    settled: set[bytes] = set()
    while len(settled) < jobs:
        moved = [worker.tick() for worker in workers]
        head = int(w3.eth.block_number)
        if head >= start:
            agreed = {bytes(e["args"]["jobId"]) for e in provisional.get_logs(from_block=start, to_block=head)}
            start = head + 1
            for job_id in agreed:  # the requester takes each unanimous result: final at once
                requester.accept(job_id)
            settled |= agreed
        if not any(moved):
            time.sleep(0.002)  # as the daemon idles between looks (its poll interval)
    elapsed = time.perf_counter() - t0
    clock.counting = False
    assert settled == set(ids), f"{len(settled & set(ids))} of {jobs} settled"
    mined = sum(w3.eth.get_block_transaction_count(n) for n in range(start_block, int(w3.eth.block_number) + 1))
    for worker in workers:
        worker.close()
    store.close()
    chain.close()
    methods = {m: t / elapsed for m, t in sorted(clock.methods.items(), key=lambda mt: -mt[1])}
    return jobs / elapsed, mined / jobs, clock.busy / elapsed, methods


def busy_line(busy: float, methods: dict[str, float]) -> str:
    top = ", ".join(f"{m} {share:.0%}" for m, share in list(methods.items())[:4])
    return f"the chain was being asked something {busy:.0%} of that time ({top})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=300)
    parser.add_argument("--k1-jobs", type=int, default=40)
    parser.add_argument("--k3-jobs", type=int, default=20)
    parser.add_argument("--transfers", type=int, default=200, help="for the chain's single-sender rate")
    args = parser.parse_args()
    wasm = wasm_module()
    figures = executions(wasm, args.executions)
    print(
        f"per execution (median of {args.executions}): direct wasmtime {figures['wasm_direct_ms']:.3f} ms; "
        f"bare Ray task (baseline) {figures['bare_ray_ms']:.3f} ms; worker Ray path {figures['ray_path_ms']:.3f} ms "
        f"= {figures['ray_path_ms'] / figures['bare_ray_ms']:.2f}x bare Ray (aim <= 2x)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        nodes = start_cluster(Path(tmp) / "store", ["eu"] * 3)
        try:
            urls = [n.url for n in nodes]
            rate = chain_tps(Path(tmp) / "rate", args.transfers)
            print(f"chain, one sender: {rate:.1f} transactions/s (baseline)")
            k1, k1_txs, k1_busy, k1_methods = jobs_per_second(Path(tmp) / "k1", urls, wasm, k=1, jobs=args.k1_jobs)
            k1_share = k1 * k1_txs / rate
            print(
                f"k=1: {args.k1_jobs} jobs settled at {k1:.1f} jobs/s (aim >= 10); {k1_txs:.2f} transactions a job "
                f"= {k1_share:.2f}x the chain's single-sender rate (aim >= 0.8); {busy_line(k1_busy, k1_methods)}"
            )
            k3, k3_txs, k3_busy, k3_methods = jobs_per_second(Path(tmp) / "k3", urls, wasm, k=3, jobs=args.k3_jobs)
            k3_share = k3 * k3_txs / rate
            print(
                f"k=3: {args.k3_jobs} jobs settled at {k3:.1f} jobs/s (aim >= 3); {k3_txs:.2f} transactions a job "
                f"= {k3_share:.2f}x the chain's single-sender rate (aim >= 0.8); {busy_line(k3_busy, k3_methods)}"
            )
        finally:
            stop_all(nodes)
    print(
        json.dumps(
            {
                "ray_path_ms": round(figures["ray_path_ms"], 3),
                "bare_ray_ms": round(figures["bare_ray_ms"], 3),
                "wasm_direct_ms": round(figures["wasm_direct_ms"], 3),
                "k1_jobs_per_s": round(k1, 2),
                "k3_jobs_per_s": round(k3, 2),
                "chain_single_sender_tps": round(rate, 1),
                "k1_txs_per_job": round(k1_txs, 2),
                "k3_txs_per_job": round(k3_txs, 2),
                "k1_chain_share": round(k1_share, 3),
                "k3_chain_share": round(k3_share, 3),
                "k1_chain_busy": round(k1_busy, 3),
                "k3_chain_busy": round(k3_busy, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
