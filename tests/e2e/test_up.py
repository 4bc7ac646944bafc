"""`agora up` (what `make run` starts): a whole local marketplace — chain, store nodes, a Ray head
and a worker — that runs a job, stops cleanly and restarts where it stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests

import compute
from cli.up import http_ok
from compute import RunRecord
from ledger import (
    JobMarket,
    JobStatus,
    Token,
    Transactor,
    connect,
    dev_account,
    load_deployment,
    parse_tokens,
)
from store import StoreClient, cid_from_digest

from ..conftest import LOOPBACK, ROOT, free_port, listening

AGR = 10**18
PROGRAMS = ROOT / "examples" / "programs" / "build"


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports."""
    for _ in range(50):
        base = free_port()
        if base + count >= 65535:
            continue
        ok = True
        for port in range(base, base + count):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no run of free ports")


def up_process(home: Path, *args: str, **popen: Any) -> subprocess.Popen[str]:
    """`agora up --home HOME ARGS`, its output (stdout and stderr) on a text pipe, unbuffered."""
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "up", "--home", str(home), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        **popen,
    )


def start_up(home: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    """`agora up` until it prints ready; returns the process and what it printed. It starts with
    SIGINT ignored, as a background job of a script does: Ctrl-C (SIGINT) must stop it anyway."""
    proc = up_process(home, *args, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    lines = []
    deadline = time.monotonic() + 240
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("ready"):
            return proc, "".join(lines)
    proc.kill()
    raise AssertionError("agora up never became ready:\n" + "".join(lines))


def stop_up(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGINT)
    return proc.wait(timeout=60)


def small_up(workers: int = 1) -> tuple[int, int, list[str]]:
    """Free ports for a chain, three store nodes and the API, and `agora up` arguments for them and
    ``workers`` workers."""
    port, store_port, ray_port = free_port(), free_ports(3), free_port()
    args = ["--rpc-port", str(port), "--store-nodes", "3", "--store-port", str(store_port)]
    return (
        port,
        store_port,
        [*args, "--workers", str(workers), "--ray-port", str(ray_port), "--api-port", str(free_port())],
    )


@pytest.mark.slow
def test_up_runs_a_job_stops_and_resumes(tmp_path: Path) -> None:
    port, store_port, args = small_up(workers=3)
    proc, banner = start_up(tmp_path, *args)
    try:
        assert "contracts  deployed" in banner
        assert "store      3 nodes, 2+1 coding" in banner
        assert "worker     worker1.agora (development account 2)" in banner
        assert "verifier   re-executes every job in court and 10% of the rest, disputes" in banner
        api = next(line.split()[1] for line in banner.splitlines() if line.startswith("api "))
        w3 = connect(f"http://127.0.0.1:{port}")
        deployment = load_deployment(w3, tmp_path)
        # a requester with a deposit in the market (which lets it upload through the API)
        requester = dev_account(1)
        Token(w3, deployment, Transactor(w3, dev_account(0))).faucet(requester.address, 100 * AGR)
        market = JobMarket(w3, deployment, Transactor(w3, requester))
        market.deposit(100 * AGR)
        nodes = [f"http://127.0.0.1:{store_port + i}" for i in range(3)]
        store = StoreClient(nodes, k=2, m=1, signer=requester)
        # the requester's one command: upload through the API, sign, submit, follow it live to
        # its result (k = 3, a majority quorum), and write the output
        (tmp_path / "input.txt").write_bytes(b"one two three\n")
        submitted = subprocess.run(
            [sys.executable, "-m", "cli", "job", "submit", str(PROGRAMS / "wordcount.wasm")]
            + ["--input", str(tmp_path / "input.txt"), "-k", "3", "--max-price", "2", "--wait"]
            + ["-o", str(tmp_path / "out"), "--from", "dev:1", "--api", api, "--home", str(tmp_path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert submitted.returncode == 0, submitted.stdout + submitted.stderr
        said = submitted.stdout + submitted.stderr
        want = compute.run((PROGRAMS / "wordcount.wasm").read_bytes(), b"one two three\n", fuel=10**6)
        assert (tmp_path / "out").read_bytes() == want.output == b"1 3 14\n"  # as a direct run of it
        assert f"result   ok, exit code 0, fuel {want.fuel_used:,}" in said, said
        assert "slot 0 taken by" in said and "provisional: " in said  # the live progress, from the SSE stream
        job_id = bytes.fromhex(next(w for w in said.split() if w.startswith("0x") and len(w) == 66)[2:])
        deadline = time.monotonic() + 120
        while market.job(job_id).status in (JobStatus.NONE, JobStatus.OPEN):  # relayed, then run
            assert time.monotonic() < deadline, (tmp_path / "logs" / "worker1.log").read_text()
            time.sleep(0.2)
        assert market.job(job_id).status == JobStatus.PROVISIONAL
        market.accept(job_id)  # the requester takes the result: final at once
        assert market.job(job_id).status == JobStatus.SETTLED
        # the revealed output is in the store, under the CID the reveal names
        revealed = market.contract.events.ResultRevealed().get_logs(from_block=deployment.block)
        event = next(e for e in revealed if bytes(e["args"]["jobId"]) == job_id)

        record = RunRecord.from_bytes(store.get(cid_from_digest(bytes(event["args"]["resultCid"]))))
        assert record.digest == bytes(event["args"]["digest"]) and store.get(record.output) == b"1 3 14\n"
        store.close()
        # the API indexed it: settled, the worker paid, every step with its transaction
        deadline = time.monotonic() + 30
        while (job := requests.get(f"{api}/v1/jobs/0x{job_id.hex()}", timeout=5)).status_code == 404 or job.json()[
            "status"
        ] != "settled":
            assert time.monotonic() < deadline, job.text
            time.sleep(0.5)
        assert sorted(s["worker"] for s in job.json()["slots"]) == sorted(dev_account(i).address for i in (2, 3, 4))
        for slot in job.json()["slots"]:  # each worker paid the price it locked at (the ask rose 1 -> 2 AGR)
            assert market.balance_of(slot["worker"]) == parse_tokens(slot["price"]) >= AGR
        result = requests.get(f"{api}/v1/jobs/0x{job_id.hex()}/result", timeout=30)
        assert result.status_code == 200 and result.content == b"1 3 14\n"
        assert result.headers["x-agora-result-digest"] == job.json()["result_digest"]
        assert result.headers["x-agora-run-status"] == "ok" and result.headers["x-agora-exit-code"] == "0"
        assert int(result.headers["x-agora-fuel-used"]) == record.fuel_used
        assert {"JobPosted", "JobLocked", "ResultRevealed", "JobSettled"} <= {
            e["event"] for e in job.json()["timeline"]
        }
        audited(tmp_path, f"job 0x{job_id.hex()}")  # from the chain alone: the job, every balance, the code
        height = w3.eth.block_number
    finally:
        assert stop_up(proc) == 0
    proc, banner = start_up(tmp_path, *args)
    try:
        assert "contracts  already deployed" in banner
        w3 = connect(f"http://127.0.0.1:{port}")
        assert market.job(job_id).status == JobStatus.SETTLED  # the history kept
        # nothing redone on restart: no contract created again (the workers may activate stake that
        # matured meanwhile, which is a call like any other)
        for number in range(height + 1, w3.eth.block_number + 1):
            assert all(tx["to"] for tx in w3.eth.get_block(number, full_transactions=True)["transactions"])
    finally:
        assert stop_up(proc) == 0


class Lines:
    """Collects a process's output lines in the background."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert time.monotonic() < deadline, f"never printed {text!r}:\n" + "".join(self.lines)
            time.sleep(0.1)


@pytest.mark.slow
def test_up_restarts_what_dies_keeps_ray_on_loopback_and_files_in_the_home(tmp_path: Path) -> None:
    _, store_port, args = small_up()
    proc, _ = start_up(tmp_path, *args)
    tree = psutil.Process(proc.pid)
    lines = Lines(proc)
    started = [p.pid for p in tree.children(recursive=True)]
    try:
        sockets = listening(tree)
        assert {name for name, _, _ in sockets} >= {"gcs_server", "raylet"}
        assert all(ip in LOOPBACK for _, ip, _ in sockets), sockets
        assert list((tmp_path / "ray").glob("session_*/logs")), "Ray's session is not under the home"

        def child(name: str) -> psutil.Process:
            (found,) = [p for p in tree.children() if name in " ".join(p.cmdline())]
            return found

        node = child(f"--port {store_port + 1}")
        node.kill()
        lines.wait_for("store2 exited with code -9; restarting in 1s")
        lines.wait_for("store2 restarted (restart 1)")
        deadline = time.monotonic() + 30
        while not http_ok(f"http://127.0.0.1:{store_port + 1}/info"):
            assert time.monotonic() < deadline, "the store node did not come back"
            time.sleep(0.2)

        worker = child("--name worker1")
        worker.kill()
        lines.wait_for("worker1 exited with code -9")
        lines.wait_for("worker1 restarted (restart 1)")
        log = tmp_path / "logs" / "worker1.log"
        deadline = time.monotonic() + 180
        while log.read_text().count("ready:") < 2:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        assert all(ip in LOOPBACK for _, ip, _ in listening(tree))
        survivors = [p.pid for p in tree.children(recursive=True)]
        # what runs from this home, part by part; a second market on it, or on its ports, refused
        # before anything starts
        status = agora("up", "status", "--home", str(tmp_path))
        assert status.returncode == 0 and f"store2     http://127.0.0.1:{store_port + 1}  ok" in status.stdout
        parts = [line.split() for line in status.stdout.splitlines()]
        running = {p[0]: int(p[2]) for p in parts if p[1:2] == ["pid"] and p[2].isdigit()}
        assert running.keys() >= {"ray", "worker1", "verifier"}, status.stdout
        assert running["worker1"] == child("--name worker1").pid  # the restarted one
        assert all(psutil.pid_exists(pid) for pid in running.values())
        again = agora("up", "--home", str(tmp_path), *args)
        assert again.returncode == 1 and f"a market is already running from {tmp_path} (pid {proc.pid}" in again.stderr
        elsewhere = agora("up", "--home", str(tmp_path / "other"), *args)
        assert elsewhere.returncode == 1 and "in use: the chain's port" in elsewhere.stderr, elsewhere.stderr
        assert not (tmp_path / "other" / "logs").exists()  # nothing was started
        # commands find the market from its home: no AGORA_RPC_URL or AGORA_STORE_NODES
        (tmp_path / "blob").write_bytes(b"found from the home\n")
        put = agora(
            "store", "put", str(tmp_path / "blob"), "--home", str(tmp_path), "--from", "dev:2"
        )  # a worker: staked
        assert put.returncode == 0, put.stderr
        cid = put.stdout.split()[0]
        stat = agora("store", "stat", cid, "--home", str(tmp_path))  # leads with what `get` takes
        assert stat.returncode == 0 and stat.stdout.startswith(f"manifest  {cid}"), stat.stdout + stat.stderr
        got = agora("store", "get", cid, "--home", str(tmp_path))
        assert got.returncode == 0 and got.stdout == "found from the home\n", got.stderr
        listed = agora("job", "list", "--home", str(tmp_path))  # the API, found from the home too
        assert listed.returncode == 0, listed.stderr
        stopped = agora("up", "down", "--home", str(tmp_path))
        assert stopped.returncode == 0 and "stopped the market" in stopped.stdout, stopped.stderr
        assert proc.wait(timeout=5) == 0 and not (tmp_path / "up.json").exists()
    finally:
        if proc.poll() is None:
            assert stop_up(proc) == 0
    assert not [pid for pid in started + survivors if psutil.pid_exists(pid) and _alive(pid)]


@pytest.mark.slow
@pytest.mark.parametrize("how", ["agora up down", "Ctrl-C to the process group"])
def test_up_stopped_while_it_starts_stops_what_started_and_says_so(tmp_path: Path, how: str) -> None:
    """Stopped before `ready` (by `agora up down`, which sends SIGTERM, or by Ctrl-C, which a
    terminal sends to the whole foreground group): every part started so far is stopped, not one
    process of the home is left, it says `stopped` and exits 0 (make then reports no error)."""
    _, _, args = small_up()
    proc = up_process(tmp_path, *args, start_new_session=True)  # a group of its own, as a terminal's job
    lines = Lines(proc)
    try:
        lines.wait_for("store ")  # the chain and the store nodes run; the API, Ray and the worker start
        status = agora("up", "status", "--home", str(tmp_path))
        assert status.stdout.startswith(f"starting   pid {proc.pid}"), status.stdout + status.stderr
        started = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
        assert len(started) >= 5, started  # the chain, three store nodes, the API (and perhaps Ray's head)
        if how == "agora up down":
            stopped = agora("up", "down", "--home", str(tmp_path))
            assert stopped.returncode == 0, stopped.stderr
        else:
            os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=90) == 0, "".join(lines.lines)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    time.sleep(0.5)  # the reader thread takes the last lines
    said = "".join(lines.lines)
    assert "ready" not in said and said.rstrip().endswith("stopped") and "Aborted" not in said, said
    assert not [pid for pid in started if _alive(pid)]
    home = str(tmp_path)
    left = [p.pid for p in psutil.process_iter(["cmdline"]) if any(home in a for a in p.info["cmdline"] or [])]
    assert not [pid for pid in left if _alive(pid)], left
    assert not (tmp_path / "up.json").exists()


@pytest.mark.slow
def test_up_whose_part_fails_to_start_names_it_and_leaves_nothing_running(tmp_path: Path) -> None:
    """Store node 2's directory is a file: it cannot start. `agora up` says which part failed and
    where its log is, stops what it had started and exits 1."""
    (tmp_path / "store").mkdir(parents=True)
    (tmp_path / "store" / "node2").write_text("not a directory\n")
    _, _, args = small_up()
    failed = agora("up", "--home", str(tmp_path), *args)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "store node 2 exited with code" in failed.stderr and "store2.log" in failed.stderr, failed.stderr
    assert "ready" not in failed.stdout
    home = str(tmp_path)
    left = [p.pid for p in psutil.process_iter(["cmdline"]) if any(home in a for a in p.info["cmdline"] or [])]
    assert not [pid for pid in left if _alive(pid)], left
    assert not (tmp_path / "up.json").exists()


def audited(home: Path, *checks: str) -> dict[str, str]:
    """`agora audit conservation` and `agora audit verify-code` (and any ``checks``, such as
    ("job", ID)), each of which must pass; what each printed."""
    said = {}
    for check in (("conservation",), ("verify-code",), *[tuple(c.split()) for c in checks]):
        done = agora("audit", *check, "--home", str(home))
        assert done.returncode == 0, f"agora audit {' '.join(check)}:\n{done.stdout}\n{done.stderr}"
        said[check[0]] = done.stdout
    return said


def agora(*args: str) -> subprocess.CompletedProcess[str]:
    """An `agora` command with none of the variables that point at a market: it finds it from the home."""
    env = {k: v for k, v in os.environ.items() if k not in ("AGORA_RPC_URL", "AGORA_STORE_NODES", "AGORA_API_URL")}
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env
    )


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.anvil
def test_up_on_anvil_keeps_its_state_across_a_restart(tmp_path: Path) -> None:
    """`--chain anvil`: the same market on anvil, its state in a file (`--state`) that a restart
    loads: the contracts are not deployed again and what was done is still there."""
    args = ["--chain", "anvil", "--state", str(tmp_path / "anvil.json"), "--rpc-port", str(free_port())]
    args += ["--store-nodes", "0", "--workers", "0", "--api-port", "0"]
    proc, banner = start_up(tmp_path, *args)
    try:
        assert "(anvil, chain id 31337, state in " in banner and "contracts  deployed" in banner
        port = args[args.index("--rpc-port") + 1]
        w3 = connect(f"http://127.0.0.1:{port}")
        deployment = load_deployment(w3, tmp_path)
        Token(w3, deployment, Transactor(w3, dev_account(0))).faucet(dev_account(1).address, 7 * AGR)
    finally:
        assert agora("up", "down", "--home", str(tmp_path)).returncode == 0
        assert proc.wait(timeout=30) == 0
    proc, banner = start_up(tmp_path, *args)
    try:
        assert "contracts  already deployed" in banner
        w3 = connect(f"http://127.0.0.1:{port}")
        assert Token(w3, load_deployment(w3, tmp_path)).balance_of(dev_account(1).address) == 7 * AGR
    finally:
        assert stop_up(proc) == 0
