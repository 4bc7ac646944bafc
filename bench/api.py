"""The REST API under load over loopback: reads, signed submissions, and relaying to the chain.

Sets up a served embedded chain (`agora chain serve`), the contracts, three store nodes holding a
program and an input, funded requesters, and the API in a process of its own, as `agora api
serve` wires it (indexer, intake, relayer, the store's guarded uvicorn server), except that its
per-address and per-requester rate limits are raised out of the way: the figures are the
server's, not its limits'. A lean asyncio client on keep-alive connections (requests built and
signed before timing) measures, in one run:

- `GET /v1/jobs/{id}` (an indexed job with its timeline) beside a bare FastAPI endpoint returning
  a constant small JSON under the same guarded server settings (the baseline);
- signed `POST /v1/jobs` (each request unique: its own nonce), and the unloaded latency of one;
- jobs relayed on chain per second, from the first acknowledgement until every accepted job is
  posted, beside the chain's own rate of `postJob` from one sender (the ledger's market client,
  one job after another, in the same run); and the relayer alone, posting a backlog of requests
  accepted while it was paused (SIGUSR1/SIGUSR2 to the benchmark's API process).

Each figure is printed beside its aim; the last line is one JSON object.

    python bench/api.py [--reads 20000] [--submits 3000] [--seconds 8] [--connections 16]
                        [--chain-jobs 100] [--requesters 8] [--backlog 200] [--relay-timeout 60]
                        [--database URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ledger import (  # noqa: E402
    ChainClock,
    JobMarket,
    Token,
    Transactor,
    connect,
    deploy,
    dev_account,
    fetch_logs,
    new_request,
)
from store import StoreClient, digest_of  # noqa: E402
from tests.conftest import free_port, start_chain_server, stop  # noqa: E402
from tests.integration.store_cluster import WRITER, start_node, stop_all  # noqa: E402

AGR = 10**18
CHAIN_SENDER, RELAYER = 8, 9
"""Development accounts: the single sender of the chain's own rate, and the API's relayer."""
REQUESTERS_FROM = 10
UNLIMITED = 10**9
"""Rate and burst of the API's rate limits in this benchmark (both per client address and per requester)."""
STATUS = re.compile(rb"HTTP/1\.[01] (\d{3})")
LENGTH = re.compile(rb"(?i)\r\ncontent-length:\s*(\d+)")
CLOSE = re.compile(rb"(?i)\r\nconnection:\s*close")


# -- the servers (child processes) ------------------------------------------------------------


def serve_bare(port: int) -> None:
    """The baseline: one constant small JSON, a sync route like the API's reads, same server settings."""
    from fastapi import FastAPI

    from store import NodeLimits, serve_guarded

    app = FastAPI()

    @app.get("/bare")
    def bare() -> dict[str, Any]:
        return {"ok": True, "service": "bare"}

    serve_guarded(app, host="127.0.0.1", port=port, limits=NodeLimits())


def serve_api(port: int, rpc: str, home: Path, nodes: str, database: str) -> None:
    """`agora api serve --from dev:RELAYER --store-nodes NODES` as cli/api.py wires it, with the
    rate limits raised; SIGUSR1 pauses its relayer and SIGUSR2 resumes it."""
    import threading

    import frontend
    from cli import _common
    from ledger import load_deployment, open_chain, run_until
    from marketplace.api import RateLimit, create_app
    from marketplace.db import make_engine, migrate
    from marketplace.indexer import Indexer, log
    from marketplace.intake import Intake, Relayer
    from store import NodeLimits, node_identity, serve_guarded

    _common.setup_logging(False)
    handle = open_chain(home=home, rpc_url=rpc)
    deployment = load_deployment(handle.w3, home)
    engine = make_engine(database or f"sqlite:///{home / 'marketplace.sqlite'}")
    migrate(engine)
    indexer = Indexer(handle.w3, deployment, engine)
    indexer.catch_up()
    relayer = dev_account(RELAYER)  # funded at genesis: no top-up needed
    store = _common.store_client(nodes.split(","), k=2, m=1, signer=relayer)  # three nodes: 2+1
    market = JobMarket(handle.w3, deployment, Transactor(handle.w3, relayer))
    intake = Intake(engine, market, relayer.address, store)
    relay = Relayer(engine, market)
    stop_flag, paused = threading.Event(), threading.Event()
    signal.signal(signal.SIGUSR1, lambda *_: paused.set())  # the benchmark builds a backlog
    signal.signal(signal.SIGUSR2, lambda *_: paused.clear())
    for loop in (lambda: indexer.step() > 0, lambda: not paused.is_set() and relay.step() > 0):
        threading.Thread(
            target=run_until, args=(stop_flag, loop), kwargs={"interval": 0.5, "log": log}, daemon=True
        ).start()
    app = create_app(
        engine,
        w3=handle.w3,
        deployment=deployment,
        indexer=indexer,
        intake=intake,
        store=store,
        per_ip=RateLimit(UNLIMITED, UNLIMITED),
        per_requester=RateLimit(UNLIMITED, UNLIMITED),
        api_id=node_identity(home / "api"),
        dashboard=frontend.STATIC,
        chain_url=rpc,
    )
    serve_guarded(app, host="127.0.0.1", port=port, limits=NodeLimits())


def spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as err:
        return subprocess.Popen([sys.executable, __file__, *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered at {url} within {timeout}s")


# -- the load generator -----------------------------------------------------------------------


@dataclass
class Run:
    """What one timed drive saw: per request (index, status, sent, answered), in completion order."""

    answers: list[tuple[int, int, float, float]] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0

    def ok(self, status: int) -> list[tuple[int, int, float, float]]:
        return [a for a in self.answers if a[1] == status]

    def rate(self, status: int) -> float:
        return len(self.ok(status)) / (self.ended - self.started)

    def percentile_ms(self, status: int, p: float) -> float:
        took = sorted(a[3] - a[2] for a in self.ok(status))
        return took[min(len(took) - 1, int(p * len(took)))] * 1000 if took else float("nan")

    def statuses(self) -> str:
        return ", ".join(f"{n} x {s}" for s, n in sorted(Counter(a[1] for a in self.answers).items()))


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> tuple[int, bool]:
    """One request on a kept-alive connection: the answer's status, and whether the server closes."""
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    length = LENGTH.search(head)
    if length:
        await reader.readexactly(int(length.group(1)))
    status = STATUS.match(head)
    return int(status.group(1)) if status else 0, CLOSE.search(head) is not None


async def _connection(port: int, work: Iterator[tuple[int, bytes]], deadline: float, run: Run) -> None:
    """Sends requests from ``work`` one after another; a connection the server closed or reset
    (recorded as status 0) is opened again."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for index, raw in work:
            if time.monotonic() > deadline:
                return
            sent = time.monotonic()
            try:
                status, closes = await _exchange(reader, writer, raw)
            except (ConnectionError, asyncio.IncompleteReadError):
                status, closes = 0, True
            run.answers.append((index, status, sent, time.monotonic()))
            if closes:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


def drive(port: int, raws: list[bytes], *, connections: int, seconds: float) -> Run:
    """Sends every request of ``raws`` (each once, in order) over ``connections`` keep-alive
    connections, each waiting for its answer before its next request, until done or ``seconds``."""
    import uvloop

    async def main() -> Run:
        run, work = Run(), iter(enumerate(raws))  # one iterator shared by every connection
        run.started = time.monotonic()
        deadline = run.started + seconds
        await asyncio.gather(*(_connection(port, work, deadline, run) for _ in range(connections)))
        run.ended = max((a[3] for a in run.answers), default=time.monotonic())
        return run

    return uvloop.run(main())


def get(port: int, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()


def post(port: int, path: str, body: bytes) -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
    return head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body


class Cpu:
    """CPU seconds of processes (and of this one) over a phase, as a share of one core."""

    def __init__(self, procs: dict[str, list[int]]) -> None:
        self.procs = {name: [psutil.Process(pid) for pid in pids] for name, pids in procs.items()}

    def __enter__(self) -> Cpu:
        self.t0, self.before = time.monotonic(), self._sample()
        return self

    def __exit__(self, *_exc: object) -> None:
        wall, after = time.monotonic() - self.t0, self._sample()
        self.share = {name: (after[name] - self.before[name]) / wall for name in after}

    def _sample(self) -> dict[str, float]:
        out = {name: sum(sum(p.cpu_times()[:2]) for p in ps) for name, ps in self.procs.items()}
        out["load generator"] = time.process_time()
        return out

    def __str__(self) -> str:
        return "CPU (cores): " + ", ".join(f"{name} {share:.2f}" for name, share in self.share.items())


# -- the figures ------------------------------------------------------------------------------


def aim(met: bool) -> str:
    return "met" if met else "MISSED"


def closed_loop(port: int, raws: list[bytes], args: argparse.Namespace, cpu: Cpu) -> Run:
    warm = min(len(raws) // 10, 500)
    drive(port, raws[:warm], connections=args.connections, seconds=args.seconds)
    with cpu:
        return drive(port, raws[warm:], connections=args.connections, seconds=args.seconds)


def report(label: str, run: Run, status: int, cpu: Cpu) -> dict[str, float]:
    rps, p50, p99 = run.rate(status), run.percentile_ms(status, 0.5), run.percentile_ms(status, 0.99)
    print(f"{label:<34} {rps:8.1f} req/s   p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   ({run.statuses()})")
    print(f"{'':<34} {cpu}")
    return {"rps": rps, "p50": p50, "p99": p99}


@dataclass
class World:
    """The chain, the store and the funded requesters the API is measured against."""

    tmp: Path
    rpc: str
    w3: Any
    deployment: Any
    nodes: list[Any]
    chain: subprocess.Popen[bytes]
    requesters: list[Any] = field(default_factory=list)
    program: bytes = b""
    input: bytes = b""
    next_nonce: int = 1

    @property
    def home(self) -> Path:
        return self.tmp / "home"

    def signed(self, n: int) -> list[tuple[Any, bytes]]:
        """``n`` k=1 requests of the stored program, round robin over the requesters, each with
        its own nonce, signed by its requester."""
        now, market = ChainClock(self.w3).now(), self.deployment.address("JobMarket")
        out = []
        for i in range(n):
            who = self.requesters[i % len(self.requesters)]
            request = new_request(
                now,
                requester=who.address,
                program_id=self.program,
                input_digest=self.input,
                redundancy=1,
                min_price=AGR // 1000,
                max_price=AGR // 100,
                nonce=self.next_nonce,
            )
            self.next_nonce += 1
            out.append((request, request.sign(who, chain_id=self.deployment.chain_id, market=market)))
        return out

    def posted_since(self, block: int) -> tuple[set[str], int]:
        """Ids of jobs posted from ``block`` on, and the block to ask from next time."""
        head = int(self.w3.eth.block_number)
        if head < block:
            return set(), block
        market = JobMarket(self.w3, self.deployment)
        topic = "0x" + market.contract.events.JobPosted().topic.removeprefix("0x")
        logs = fetch_logs(self.w3, address=market.address, topics=[topic], from_block=block, to_block=head)
        return {"0x" + bytes(entry["topics"][1]).hex() for entry in logs}, head + 1


def set_up(tmp: Path, requesters: int, stack: ExitStack) -> World:
    """Store nodes and a served chain (started side by side), the contracts, a program and an
    input in the store, and ``requesters`` accounts with gas, tokens and a deposit."""
    writers = f"{WRITER.address},{dev_account(RELAYER).address}"  # the test writer, and the API's uploads
    nodes = [start_node(tmp / f"node{i}", region="eu", writers=writers, wait=False) for i in range(3)]
    stack.callback(stop_all, nodes)
    port = free_port()
    chain = start_chain_server(tmp / "chain", port)
    stack.callback(stop, chain)
    w3 = connect(f"http://127.0.0.1:{port}")
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), tmp / "home")
    world = World(tmp, f"http://127.0.0.1:{port}", w3, deployment, nodes, chain)
    for node in nodes:
        node.wait_up()
    with StoreClient([n.url for n in nodes], k=2, m=1, signer=WRITER) as store:
        world.program, world.input = digest_of(store.put(b"\0asm bench program")), digest_of(store.put(b"input"))
    funder = Transactor(w3, dev_account(0))
    for i in range(requesters):
        account = dev_account(REQUESTERS_FROM + i)
        funder.send(to=account.address, value=10 * AGR)
        Token(w3, deployment, funder).faucet(account.address, 1_000 * AGR)
        JobMarket(w3, deployment, Transactor(w3, account)).deposit(1_000 * AGR)
        world.requesters.append(account)
    return world


def chain_post_rate(world: World, jobs: list[tuple[Any, bytes]]) -> float:
    """`postJob` one after another from one sender with the ledger's market client."""
    market = JobMarket(world.w3, world.deployment, Transactor(world.w3, dev_account(CHAIN_SENDER)))
    t0 = time.perf_counter()
    for request, signature in jobs:
        market.post_job(request, signature)
    rate = len(jobs) / (time.perf_counter() - t0)
    print(f"{'chain postJob, one sender':<34} {rate:8.1f} jobs/s   ({len(jobs)} jobs, ledger's market client)")
    return rate


def bare_figures(world: World, args: argparse.Namespace, stack: ExitStack) -> dict[str, float]:
    port = free_port()
    bare = spawn(["_bare", str(port)], world.tmp / "bare.log")
    stack.callback(stop, bare)
    wait_http(f"http://127.0.0.1:{port}/bare", bare)
    cpu = Cpu({"server": [bare.pid]})
    figures = report("GET /bare (baseline)", closed_loop(port, [get(port, "/bare")] * args.reads, args, cpu), 200, cpu)
    stop(bare)
    return figures


def start_api(world: World, args: argparse.Namespace, stack: ExitStack, last_job: str) -> tuple[int, int]:
    """The API in its own process, once it has indexed ``last_job``: its port and pid."""
    port = free_port()
    urls = ",".join(n.url for n in world.nodes)
    api = spawn(["_api", str(port), world.rpc, str(world.home), urls, args.database], world.tmp / "api.log")
    stack.callback(stop, api)
    wait_http(f"http://127.0.0.1:{port}/v1/jobs/{last_job}", api)
    return port, api.pid


def submit_body(request: Any, signature: bytes) -> bytes:
    from marketplace.wire import request_json

    return json.dumps({"request": request_json(request), "signature": "0x" + signature.hex()}).encode()


def on_chain(world: World, accepted: set[str], since: int, timeout: float) -> tuple[float, float, int]:
    """Waits until every job of ``accepted`` is posted: when the last one was seen (NaN after
    ``timeout``), when the first one was, and how many had been posted by then."""
    seen: set[str] = set()
    first, at_first = float("nan"), 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found, since = world.posted_since(since)
        seen |= found & accepted
        if seen and not at_first:
            first, at_first = time.monotonic(), len(seen)
        if seen == accepted:
            return time.monotonic(), first, at_first
        time.sleep(0.05)
    print(f"{len(accepted - seen)} of {len(accepted)} accepted jobs not on chain after {timeout:.0f} s")
    return float("nan"), first, at_first


def bodies(world: World, port: int, n: int) -> tuple[list[tuple[Any, bytes]], list[bytes]]:
    """``n`` new signed requests and their `POST /v1/jobs` requests, built before timing."""
    signed = world.signed(n)
    return signed, [post(port, "/v1/jobs", submit_body(r, s)) for r, s in signed]


def accepted_ids(run: Run, signed: list[tuple]) -> set[str]:
    acked = run.ok(202)
    if not acked:
        sys.exit(f"no submission was accepted ({run.statuses()}); see the API's log")
    return {"0x" + signed[a[0]][0].struct_hash().hex() for a in acked}


def backlog_rate(world: World, args: argparse.Namespace, port: int, pid: int) -> float:
    """The relayer alone: requests accepted while it is paused (SIGUSR1), then posted (SIGUSR2);
    jobs a second from the first seen on chain to the last (its batches land whole)."""
    os.kill(pid, signal.SIGUSR1)
    time.sleep(1.0)  # a step under way ends
    since = int(world.w3.eth.block_number) + 1
    signed, raws = bodies(world, port, args.backlog)
    run = drive(port, raws, connections=args.connections, seconds=args.seconds)
    backlog = accepted_ids(run, signed)
    early = len(world.posted_since(since)[0] & backlog)
    resumed = time.monotonic()
    os.kill(pid, signal.SIGUSR2)
    done, first, at_first = on_chain(world, backlog, since, args.relay_timeout)
    if at_first < len(backlog):
        rate = (len(backlog) - at_first) / (done - first)
    else:  # all in the first batch seen: from the resumption (its poll interval included)
        rate = len(backlog) / (done - resumed)
    print(
        f"{'relayer alone on a backlog':<34} {rate:8.1f} jobs/s   ({len(backlog)} accepted while it paused "
        f"({early} posted meanwhile); {at_first} on chain {first - resumed:.2f} s after it resumed, "
        f"all {done - resumed:.2f} s after)"
    )
    return rate


def submit_figures(world: World, args: argparse.Namespace, port: int, pid: int) -> dict[str, float]:
    """Signed submissions under load while the relayer posts them; relaying from the first
    acknowledgement until every accepted job is on chain; then the relayer alone on a backlog."""
    since = int(world.w3.eth.block_number) + 1
    cpu = Cpu({"api": [pid], "chain": [world.chain.pid], "store nodes": [n.proc.pid for n in world.nodes]})
    signed, raws = bodies(world, port, args.submits)
    with cpu:
        run = drive(port, raws, connections=args.connections, seconds=args.seconds)
    figures = report("POST /v1/jobs (signed)", run, 202, cpu)
    accepted = accepted_ids(run, signed)
    first_ack = min(a[3] for a in run.ok(202))
    done, _, _ = on_chain(world, accepted, since, args.relay_timeout)
    figures["relay"] = len(accepted) / (done - first_ack)
    print(
        f"{'relayed on chain':<34} {figures['relay']:8.1f} jobs/s   ({len(accepted)} jobs, the relayer posting as "
        f"they came: first ack to last on chain {done - first_ack:.1f} s)"
    )
    figures["backlog"] = backlog_rate(world, args, port, pid)
    alone = drive(port, bodies(world, port, 30)[1], connections=1, seconds=args.seconds)
    figures["alone_p50"] = alone.percentile_ms(202, 0.5)
    print(
        f"{'POST /v1/jobs, one at a time':<34} p50 {figures['alone_p50']:7.2f} ms   "
        f"({alone.statuses()}; the relayer posting meanwhile)"
    )
    return figures


def upload_figures(world: World, args: argparse.Namespace, port: int, pid: int) -> dict[str, float]:
    """A blob of ``--upload-mib`` MiB stored through `POST /v1/blobs` (signed, streamed), its rate
    and the API process's memory, beside the store client putting the same bytes to the same
    nodes directly (the baseline)."""
    from marketplace.client import ApiClient

    path = world.tmp / "blob"
    with open(path, "wb") as fh:
        for _ in range(args.upload_mib):
            fh.write(os.urandom(1 << 20))
    size = path.stat().st_size
    with StoreClient([n.url for n in world.nodes], k=2, m=1, signer=WRITER) as store:
        t0 = time.perf_counter()
        store.put(path)
        direct = size / (time.perf_counter() - t0) / 1e6
    api = psutil.Process(pid)
    before = peak = api.memory_info().rss
    with ApiClient(f"http://127.0.0.1:{port}", signer=world.requesters[0], timeout=600) as client:
        t0 = time.perf_counter()
        uploading = threading.Thread(target=client.upload, args=(path,))
        uploading.start()
        while uploading.is_alive():
            peak = max(peak, api.memory_info().rss)
            uploading.join(0.05)
        through = size / (time.perf_counter() - t0) / 1e6
    growth = (peak - before) / 2**20
    print(f"{'store put, direct (baseline)':<34} {direct:8.1f} MB/s  ({args.upload_mib} MiB, 2+1 on 3 nodes)")
    print(
        f"{'POST /v1/blobs':<34} {through:8.1f} MB/s  ({through / direct:.2f}x direct); "
        f"API RSS {before / 2**20:.0f} MiB, peak +{growth:.0f} MiB"
    )
    path.unlink()
    return {
        "upload_mb_s": round(through, 1),
        "direct_put_mb_s": round(direct, 1),
        "upload_rss_growth_mib": round(growth),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=20_000, help="most GETs per endpoint")
    parser.add_argument("--submits", type=int, default=3_000, help="most signed POST /v1/jobs")
    parser.add_argument("--seconds", type=float, default=8.0, help="time limit of each timed drive")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections of the client")
    parser.add_argument("--chain-jobs", type=int, default=100, help="jobs posted directly for the chain's rate")
    parser.add_argument("--requesters", type=int, default=8)
    parser.add_argument("--backlog", type=int, default=200, help="jobs accepted while the relayer pauses")
    parser.add_argument("--relay-timeout", type=float, default=60.0, help="seconds to wait for relaying")
    parser.add_argument("--database", default="", help="an empty database for the API (default: SQLite in WAL mode)")
    parser.add_argument("--upload-mib", type=int, default=256, help="MiB of one upload through the API")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        figures = run_all(Path(tmp), args, stack)
    print(json.dumps({k: None if v != v else v for k, v in figures.items()}))  # NaN (not measured): null


def run_all(tmp: Path, args: argparse.Namespace, stack: ExitStack) -> dict[str, Any]:
    world = set_up(tmp, args.requesters, stack)
    t0 = time.perf_counter()
    direct = world.signed(args.chain_jobs)
    signing = (time.perf_counter() - t0) / len(direct) * 1000
    print(f"set-up: {len(world.requesters)} requesters; a request built and signed in {signing:.2f} ms (before timing)")
    print(
        f"both servers: serve_guarded, one uvicorn process each, NodeLimits() defaults, {args.connections} connections"
    )
    print(f"the API's rate limits raised to {UNLIMITED:,}/s per address and per requester (defaults 20/s and 10/s)")
    chain_rate = chain_post_rate(world, direct)
    base = bare_figures(world, args, stack)
    job_ids = ["0x" + r.struct_hash().hex() for r, _ in direct]
    port, pid = start_api(world, args, stack, job_ids[-1])
    raws = [get(port, f"/v1/jobs/{job_ids[i % len(job_ids)]}") for i in range(args.reads)]
    cpu = Cpu({"api": [pid]})
    read = report("GET /v1/jobs/{id}", closed_loop(port, raws, args, cpu), 200, cpu)
    submit = submit_figures(world, args, port, pid)
    upload = upload_figures(world, args, port, pid)
    ratio, relay = read["rps"] / base["rps"], submit["relay"]
    print(f"reads: {ratio:.2f}x the bare endpoint (aim >= 0.5x: {aim(ratio >= 0.5)})")
    met = submit["rps"] >= 500 and submit["p99"] < 100
    print(
        f"submissions: {submit['rps']:.1f}/s accepted, p99 {submit['p99']:.1f} ms "
        f"(aim >= 500/s with p99 < 100 ms: {aim(met)})"
    )
    print(f"relaying: {relay / chain_rate:.2f}x the single-sender postJob rate (aim >= 1x: {aim(relay >= chain_rate)})")
    print(f"  (the relayer alone on a backlog: {submit['backlog'] / chain_rate:.2f}x)")
    return {
        "read_rps": round(read["rps"], 1),
        "bare_rps": round(base["rps"], 1),
        "submit_rps": round(submit["rps"], 1),
        "submit_p99_ms": round(submit["p99"], 2),
        "relay_jobs_s": round(relay, 2),
        "chain_post_jobs_s": round(chain_rate, 2),
        "read_p50_ms": round(read["p50"], 2),
        "read_p99_ms": round(read["p99"], 2),
        "bare_p50_ms": round(base["p50"], 2),
        "bare_p99_ms": round(base["p99"], 2),
        "submit_p50_ms": round(submit["p50"], 2),
        "submit_alone_p50_ms": round(submit["alone_p50"], 2),
        "relay_backlog_jobs_s": round(submit["backlog"], 2),
        "connections": args.connections,
        **upload,
    }


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_bare":
        serve_bare(int(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_api":
        serve_api(int(sys.argv[2]), sys.argv[3], Path(sys.argv[4]), sys.argv[5], sys.argv[6])
    else:
        main()
