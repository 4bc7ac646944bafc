"""`agora up` (what `make run` starts): a whole local marketplace — chain, store nodes, a Ray head
and a worker — that runs a job, stops cleanly and restarts where it stopped."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
import requests
from web3 import Web3

import compute
from cli.up import FIRST_WORKER_ACCOUNT, http_ok
from compute import RunRecord
from ledger import (
    CasePhase,
    Court,
    Deployment,
    JobMarket,
    JobStatus,
    SlashReason,
    StakeManager,
    Token,
    Transactor,
    connect,
    dev_account,
    load_deployment,
    parse_tokens,
)
from store import StoreClient, cid_from_digest, digest_of

from ..conftest import LOOPBACK, ROOT, free_port, listening
from ..integration.market_helpers import chain_now
from .marketplace import outcomes

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


def start_up(home: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    """`agora up` until it prints ready; returns the process and what it printed. It starts with
    SIGINT ignored, as a background job of a script does: Ctrl-C (SIGINT) must stop it anyway."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "up", "--home", str(home), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
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
        height = w3.eth.block_number
    finally:
        assert stop_up(proc) == 0
    proc, banner = start_up(tmp_path, *args)
    try:
        assert "contracts  already deployed" in banner
        assert connect(f"http://127.0.0.1:{port}").eth.block_number == height  # nothing redone on restart
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
        stopped = agora("up", "down", "--home", str(tmp_path))
        assert stopped.returncode == 0 and "stopped the market" in stopped.stdout, stopped.stderr
        assert proc.wait(timeout=5) == 0 and not (tmp_path / "up.json").exists()
    finally:
        if proc.poll() is None:
            assert stop_up(proc) == 0
    assert not [pid for pid in started + survivors if psutil.pid_exists(pid) and _alive(pid)]


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


# -- a market in use: misconduct, faults, a restart, and the auditor after each ----------------

MALLORY, DAVE, ERIN = 5, 6, 7  # dev accounts: a dishonest worker, and two that only serve the court
UNBONDING = 60  # the dev chain's: stake counts in the juror pool once this old


def audited(home: Path, *checks: str) -> dict[str, str]:
    """`agora audit conservation` and `agora audit verify-code` (and any ``checks``, such as
    ("job", ID)), each of which must pass; what each printed."""
    said = {}
    for check in (("conservation",), ("verify-code",), *[tuple(c.split()) for c in checks]):
        done = agora("audit", *check, "--home", str(home))
        assert done.returncode == 0, f"agora audit {' '.join(check)}:\n{done.stdout}\n{done.stderr}"
        said[check[0]] = done.stdout
    return said


class Extra:
    """Worker daemons beside the market's own, each a process of its own with a log."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home, self.env = home, env
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, cmd: list[str]) -> None:
        with (self.home / f"{name}.log").open("ab") as out:
            self.procs[name] = subprocess.Popen(
                cmd, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def log(self, name: str) -> str:
        return (self.home / f"{name}.log").read_text(errors="replace")

    def wait_for(self, name: str, text: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log(name):
            assert self.procs[name].poll() is None, f"{name} exited:\n{self.log(name)}"
            assert time.monotonic() < deadline, f"{name} never logged {text!r}:\n{self.log(name)}"
            time.sleep(0.2)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def submit(home: Path, api: str, data: Path, out: Path) -> tuple[subprocess.Popen[str], Lines]:
    """`agora job submit --wait` of a k=3 wordcount job on ``data``, running in the background."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "job", "submit", str(PROGRAMS / "wordcount.wasm"), "--input", str(data)]
        + ["-k", "3", "--max-price", "2", "--wait", "-o", str(out), "--from", "dev:1", "--api", api]
        + ["--home", str(home)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return proc, Lines(proc)


def job_id_of(lines: Lines, timeout: float = 120) -> bytes:
    """The job id `agora job submit` printed."""
    deadline = time.monotonic() + timeout
    while True:
        for line in list(lines.lines):
            if line.startswith("job ") and (word := line.split()[1]).startswith("0x") and len(word) == 66:
                return bytes.fromhex(word[2:])
        assert time.monotonic() < deadline, "".join(lines.lines)
        time.sleep(0.1)


def advance(w3: Web3, seconds: int) -> None:
    w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def finish(w3: Web3, deployment: Deployment, proc: subprocess.Popen[str], lines: Lines, job_id: bytes) -> str:
    """Waits for `agora job submit --wait` to exit; meanwhile, a ruling's appeal window is waited
    out by moving the chain's clock past it (the daemons make the ruling final)."""
    court, market = Court(w3, deployment), JobMarket(w3, deployment)
    deadline = time.monotonic() + 300
    while proc.poll() is None:
        assert time.monotonic() < deadline, "".join(lines.lines)
        if market.job(job_id).status == JobStatus.DISPUTED:
            case = court.case(job_id)
            ahead = case.appeal_deadline - chain_now(w3) + 1
            if case.phase == CasePhase.RULED and ahead > 0:
                advance(w3, ahead)
        time.sleep(0.25)
    lines._thread.join(timeout=10)
    said = "".join(lines.lines)
    assert proc.returncode == 0, said
    return said


@pytest.mark.slow
def test_a_market_in_use_survives_a_cheat_faults_and_a_restart(tmp_path: Path) -> None:
    """A running `agora up` (two workers) with three daemons beside it: mallory, who answers one
    input wrongly, and dave and erin, who never bid (their least price is above every job's) and
    only serve the court. A requester's k=3 job on that input, through the CLI: worker1, worker2
    and mallory take its slots, the reveals disagree, the drawn round decides, and mallory is
    slashed for a lost dispute; `agora job`, `agora audit` and the dashboard (in a real browser)
    all show it. A second job survives a store node and a worker killed while it runs. The market
    stopped and started again still has all of it. The auditor's conservation and code checks
    pass after each scenario."""
    port, store_port, args = small_up(workers=2)
    ray = f"127.0.0.1:{args[args.index('--ray-port') + 1]}"
    proc, banner = start_up(tmp_path, *args)
    lines = Lines(proc)
    tree = psutil.Process(proc.pid)
    url = f"http://127.0.0.1:{port}"
    w3 = connect(url)
    deployment = load_deployment(w3, tmp_path)
    api = next(line.split()[1] for line in banner.splitlines() if line.startswith("api "))
    nodes = [f"http://127.0.0.1:{store_port + i}" for i in range(3)]
    env = {**os.environ, "AGORA_RPC_URL": url, "AGORA_STORE_NODES": ",".join(nodes), "RAY_AUTH_MODE": "disabled"}
    env |= {"AGORA_STORE_K": "2", "AGORA_STORE_M": "1"}
    extra = Extra(tmp_path, env)
    requester = dev_account(1)
    Token(w3, deployment, Transactor(w3, dev_account(0))).faucet(requester.address, 1_000 * AGR)
    JobMarket(w3, deployment, Transactor(w3, requester)).deposit(1_000 * AGR)
    cheat, fault = tmp_path / "cheat.txt", tmp_path / "fault.txt"
    cheat.write_bytes(b"mallory answers this wrongly\n")
    fault.write_bytes(b"a store node and a worker die while this runs\n")
    store = StoreClient(nodes, k=2, m=1, signer=requester)
    wrong = digest_of(store.put(cheat.read_bytes()))  # the id the CLI's upload gives it too
    store.close()
    try:
        spec = {"name": "mallory", "ray": ray, "home": str(tmp_path), "account": MALLORY, "stake": 500}
        spec["conducts"] = {wrong.hex(): "wrong_output"}
        extra.start("mallory", [sys.executable, str(Path(__file__).with_name("worker_driver.py")), json.dumps(spec)])
        for name, index in (("dave", DAVE), ("erin", ERIN)):
            extra.start(
                name,
                [sys.executable, "-m", "cli", "worker", "run", "--name", name, "--from", f"dev:{index}"]
                + ["--min-price", "1000", "--stake", "500", "--ray", ray, "--home", str(tmp_path)],
            )
        for name in extra.procs:
            extra.wait_for(name, "ready:")
        advance(w3, UNBONDING + 1)  # the stakes mature into the juror pool
        for name in ("dave", "erin"):
            extra.wait_for(name, "matured stake joined the juror pool", timeout=60)

        # 1. a cheat: the round decides against it, and everyone can see it
        submitted, said_lines = submit(tmp_path, api, cheat, tmp_path / "cheat.out")
        job_id = job_id_of(said_lines)
        said = finish(w3, deployment, submitted, said_lines, job_id)
        want = compute.run((PROGRAMS / "wordcount.wasm").read_bytes(), cheat.read_bytes(), fuel=10**6)
        assert (tmp_path / "cheat.out").read_bytes() == want.output, said
        assert "status   settled" in said, said
        honest = {dev_account(FIRST_WORKER_ACCOUNT + i).address for i in range(2)}
        mallory = dev_account(MALLORY).address
        paid, slashed = outcomes(w3, deployment, job_id)
        assert slashed == {mallory: SlashReason.LOST_DISPUTE}, (paid, slashed)
        assert honest <= set(paid) and mallory not in paid
        assert has_line(said, "slashed", mallory, "lost dispute"), said
        movements = audited(tmp_path, f"job 0x{job_id.hex()}")["job"]
        assert has_line(movements, "ok ", mallory, "lost dispute"), movements
        assert all(has_line(movements, "ok ", who, "paid") for who in honest), movements
        shown_in_dashboard(api, job_id, "mallory")

        # 2. faults while a job runs: a worker and a store node killed once the worker holds a slot
        market = JobMarket(w3, deployment, Transactor(w3, requester))
        submitted, said_lines = submit(tmp_path, api, fault, tmp_path / "fault.out")
        second = job_id_of(said_lines)
        worker1 = dev_account(FIRST_WORKER_ACCOUNT).address
        deadline = time.monotonic() + 120
        while worker1 not in slot_holders(market, second):
            assert time.monotonic() < deadline, (tmp_path / "logs" / "worker1.log").read_text()
            time.sleep(0.05)
        (worker,) = [p for p in tree.children() if "--name worker1" in " ".join(p.cmdline())]
        (node,) = [p for p in tree.children() if f"--port {store_port + 2}" in " ".join(p.cmdline())]
        worker.kill()
        node.kill()
        slot = slot_holders(market, second).index(worker1)
        assert not market.job(second).revealed_mask & (1 << slot)  # killed mid-job: it had not revealed
        lines.wait_for("worker1 restarted (restart 1)")
        lines.wait_for("store3 restarted (restart 1)")
        said = finish(w3, deployment, submitted, said_lines, second)
        want = compute.run((PROGRAMS / "wordcount.wasm").read_bytes(), fault.read_bytes(), fuel=10**6)
        assert (tmp_path / "fault.out").read_bytes() == want.output, said
        assert market.job(second).status == JobStatus.PROVISIONAL  # every slot revealed the same digest
        market.accept(second)
        paid, slashed = outcomes(w3, deployment, second)
        assert worker1 in paid and slashed == {}, (paid, slashed)
        audited(tmp_path, f"job 0x{second.hex()}")
        height, stake = w3.eth.block_number, StakeManager(w3, deployment).stake_of(mallory)
    finally:
        extra.stop()
        assert stop_up(proc) == 0

    # 3. stopped and started again: every job, balance and slash is still there
    proc, banner = start_up(tmp_path, *args)
    try:
        assert "contracts  already deployed" in banner
        assert w3.eth.block_number >= height and StakeManager(w3, deployment).stake_of(mallory) == stake
        for job in (job_id, second):
            assert JobMarket(w3, deployment).job(job).status == JobStatus.SETTLED
            deadline = time.monotonic() + 60
            answer = f"{api}/v1/jobs/0x{job.hex()}"
            while (indexed := requests.get(answer, timeout=10)).json().get("status") != "settled":
                assert time.monotonic() < deadline, indexed.text
                time.sleep(0.5)
        audited(tmp_path, f"job 0x{job_id.hex()}", "settlements")
    finally:
        assert stop_up(proc) == 0


def has_line(text: str, start: str, *parts: str) -> bool:
    """Whether a line of ``text`` starts with ``start`` and holds every one of ``parts``."""
    return any(line.startswith(start) and all(p in line for p in parts) for line in text.splitlines())


def slot_holders(market: JobMarket, job_id: bytes) -> list[str]:
    return [market.slot(job_id, i).worker for i in range(market.job(job_id).locked)]


def shown_in_dashboard(api: str, job_id: bytes, slashed: str) -> None:
    """The job's page lists the slash with its reason and its timeline the event; the settlements
    page re-checks every settlement against the chain in the browser and confirms each."""
    from playwright.sync_api import expect, sync_playwright

    from .test_dashboard import BROWSER_ARGS, CHROMIUM

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(30_000)
        page.goto(f"{api}/ui/#/jobs/0x{job_id.hex()}")
        expect(page.locator('.timeline li[data-event="WorkerSlashed"]')).to_have_count(1)
        expect(page.locator("tr", has_text="lost dispute")).to_contain_text(slashed)
        page.goto(f"{api}/ui/#/settlements")
        slashes = page.locator('tr[data-kind="slashed"]', has_text="lost dispute")
        expect(slashes).to_have_count(1)
        expect(slashes).to_have_attribute("data-check", "confirmed")
        expect(page.locator("#check-summary")).to_have_class(re.compile(r"\bconfirmed\b"))
        browser.close()
