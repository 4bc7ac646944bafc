"""`agora up` as a newcomer meets it: seconds to ready, cold (a fresh home: the chain served, the
contracts deployed, six store nodes, the API, a Ray head, three workers and a verifier) and warm
(the same home started again), and a job from `agora job submit --wait` to its result, k = 1 and
k = 3, beside the same job posted directly through `ledger` and `store` in this process, its
output read from the store (the baseline: no CLI process, no upload through the API, no event
stream). After one untimed job that warms every worker, each path runs `ROUNDS` jobs for each k,
alternating, and the figure is their median.

    python bench/up.py

Each figure is printed beside its aim (ready in under 20 s warm; submit-to-result within 1.5x the
direct path); the last line is one JSON object with `up_cold_s`, `up_warm_s`, `k1_submit_s`,
`k1_direct_s`, `k3_submit_s`, `k3_direct_s`.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compute import RunRecord  # noqa: E402
from ledger import (  # noqa: E402
    ChainClock,
    JobMarket,
    JobStatus,
    Token,
    Transactor,
    connect,
    dev_account,
    load_deployment,
    new_request,
)
from store import StoreClient, cid_from_digest, digest_of  # noqa: E402
from tests.conftest import free_port  # noqa: E402

AGR = 10**18
PROGRAM = ROOT / "examples" / "programs" / "build" / "wordcount.wasm"
REQUESTER = 1
STORE_NODES = 6
ROUNDS = 5
"""Jobs timed on each path for each k (the figure is their median)."""


def start(home: Path, ports: dict[str, int]) -> tuple[subprocess.Popen[str], float]:
    """`agora up` on ``ports``; the process and the seconds until it printed ready."""
    args = ["--rpc-port", str(ports["rpc"]), "--store-port", str(ports["store"]), "--ray-port", str(ports["ray"])]
    args += ["--api-port", str(ports["api"]), "--home", str(home)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "up", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    said = []
    for line in proc.stdout:
        said.append(line)
        if line.startswith("ready"):
            return proc, time.perf_counter() - t0
    raise RuntimeError("agora up never became ready:\n" + "".join(said[-30:]))


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=120)


def free_run(count: int) -> int:
    """The first of ``count`` consecutive free ports (outside Ray's worker ports)."""
    for _ in range(100):
        base = free_port()
        if base + count < 65535 and not 10002 <= base <= 19999 and all(_free(p) for p in range(base, base + count)):
            return base
    raise RuntimeError("no run of free ports")


def _free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def submit(home: Path, api: str, data: Path, k: int) -> tuple[float, bytes]:
    """`agora job submit --wait` of wordcount with ``k`` slots: seconds until it exits with the
    output, and the job's id."""
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cli", "job", "submit", str(PROGRAM), "--input", str(data), "-k", str(k)]
        + ["--max-price", "2", "--wait", "-o", str(home / "out"), "--from", f"dev:{REQUESTER}", "--api", api]
        + ["--home", str(home)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stdout + done.stderr)
    seconds = time.perf_counter() - t0
    job_id = next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("job "))
    return seconds, bytes.fromhex(job_id.removeprefix("0x"))


def direct(w3, deployment, nodes: list[str], data: bytes, k: int) -> tuple[float, bytes]:  # type: ignore[no-untyped-def]
    """The same job through `ledger` and `store` in this process: seconds from storing the program
    and input to the output read back from the store once a quorum agrees, and the job's id."""
    me = dev_account(REQUESTER)
    market = JobMarket(w3, deployment, Transactor(w3, me))
    t0 = time.perf_counter()
    with StoreClient(nodes, signer=me) as store:
        program, stdin = digest_of(store.put(PROGRAM.read_bytes())), digest_of(store.put(data))
        request = new_request(
            ChainClock(w3).now(),
            requester=me.address,
            program_id=program,
            input_digest=stdin,
            redundancy=k,
            max_price=2 * AGR,
        )
        job_id = market.post_job(request, request.sign(me, chain_id=deployment.chain_id, market=market.address))
        while market.job(job_id).status in (JobStatus.NONE, JobStatus.OPEN):
            time.sleep(0.05)
        revealed = market.contract.events.ResultRevealed().get_logs(from_block=deployment.block)
        event = next(e for e in revealed if bytes(e["args"]["jobId"]) == job_id)
        record = RunRecord.from_bytes(store.get(cid_from_digest(bytes(event["args"]["resultCid"]))))
        store.get(record.output)
    return time.perf_counter() - t0, job_id


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        ports = {"rpc": free_port(), "store": free_run(STORE_NODES), "ray": free_run(1), "api": free_port()}
        proc, cold = start(home, ports)
        print(f"agora up, cold (fresh home)      {cold:6.1f} s to ready  (deploy, 6 store nodes, API, Ray, 3 workers)")
        try:
            w3 = connect(f"http://127.0.0.1:{ports['rpc']}")
            deployment = load_deployment(w3, home)
            requester = dev_account(REQUESTER)
            Token(w3, deployment, Transactor(w3, dev_account(0))).faucet(requester.address, 500 * AGR)
            JobMarket(w3, deployment, Transactor(w3, requester)).deposit(500 * AGR)
            nodes = [f"http://127.0.0.1:{ports['store'] + i}" for i in range(STORE_NODES)]
            api = f"http://127.0.0.1:{ports['api']}"
            market = JobMarket(w3, deployment, Transactor(w3, requester))
            # The requester accepts each result once timed (untimed): a provisional job holds its
            # workers' collateral for the challenge window, and they would soon have none free.
            # Every worker's first job pays for its Ray worker process and the program's
            # compilation: one k = 3 job first, untimed, so that both paths meet warm workers.
            market.accept(direct(w3, deployment, nodes, b"warm-up\n", 3)[1])
            figures: dict[str, float] = {}
            for k in (1, 3):
                timed: dict[str, list[float]] = {"submit": [], "direct": []}
                for n in range(ROUNDS):  # alternating, so a slow moment of the machine hits both
                    payload = f"one two three, k = {k}, round {n}\n".encode()
                    (home / f"input{k}").write_bytes(payload + b"via the CLI\n")
                    for path in timed:
                        if path == "submit":
                            seconds, job_id = submit(home, api, home / f"input{k}", k)
                        else:
                            seconds, job_id = direct(w3, deployment, nodes, payload + b"direct\n", k)
                        timed[path].append(seconds)
                        market.accept(job_id)
                for path, runs in timed.items():
                    figures[f"k{k}_{path}_s"] = statistics.median(runs)
                ratio = figures[f"k{k}_submit_s"] / figures[f"k{k}_direct_s"]
                print(
                    f"k = {k}: agora job submit --wait   {figures[f'k{k}_submit_s']:6.2f} s   "
                    f"direct through ledger {figures[f'k{k}_direct_s']:6.2f} s   = {ratio:.2f}x "
                    f"(aim <= 1.5x: {'met' if ratio <= 1.5 else 'MISSED'}; medians of {ROUNDS}: "
                    f"{', '.join(f'{t:.2f}' for t in timed['submit'])} against "
                    f"{', '.join(f'{t:.2f}' for t in timed['direct'])})"
                )
        finally:
            stop(proc)
        proc, warm = start(home, ports)
        stop(proc)
        print(
            f"agora up, warm (a restart)       {warm:6.1f} s to ready  (aim < 20 s: {'met' if warm < 20 else 'MISSED'})"
        )
    print(
        json.dumps(
            {"up_cold_s": round(cold, 1), "up_warm_s": round(warm, 1), **{k: round(v, 2) for k, v in figures.items()}}
        )
    )


if __name__ == "__main__":
    main()
