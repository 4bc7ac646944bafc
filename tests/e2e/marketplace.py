"""A whole local marketplace for end-to-end tests: a served chain, store nodes, a Ray cluster,
and worker daemons as processes of their own (each one a Ray driver, as in production)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from web3 import Web3

from ledger import (
    CasePhase,
    Court,
    Deployment,
    JobMarket,
    JobRequest,
    JobStatus,
    SlashReason,
    StakeManager,
    Token,
    Transactor,
    artifact,
    connect,
    deploy,
    dev_account,
)
from store import StoreClient, digest_of

from ..conftest import ROOT, free_port, start_chain_server, stop, stop_group
from ..integration.market_helpers import chain_now, make_request
from ..integration.store_cluster import Node, start_cluster, stop_all

AGR = 10**18
RAY_BIN = Path(sys.executable).parent / "ray"
PROGRAMS = ROOT / "examples" / "programs" / "build"
REQUESTER = 1


@dataclass
class Daemon:
    """A worker process and its log."""

    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    args: list[str]
    env: dict[str, str]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no chance to clean up (its Ray driver state dies with it)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM to the daemon (it finishes its tick and shuts its Ray driver down), then
        SIGKILL for anything left in its process group."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def wait_for(self, text: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"worker {self.name} exited ({self.proc.returncode}):\n{self.log()}")
            time.sleep(0.2)
        raise AssertionError(f"worker {self.name} never logged {text!r}:\n{self.log()}")


@dataclass
class Marketplace:
    home: Path
    url: str
    w3: Web3
    deployment: Deployment
    chain: subprocess.Popen[bytes]
    nodes: list[Node]
    ray_head: subprocess.Popen[bytes]
    ray_address: str
    store: StoreClient
    daemons: list[Daemon] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "AGORA_RPC_URL": self.url,
            "AGORA_HOME": str(self.home),
            "AGORA_STORE_NODES": ",".join(n.url for n in self.nodes),
            "AGORA_STORE_K": "2",
            "AGORA_STORE_M": "1",
            "AGORA_PASSWORD": "worker-password",
            "RAY_AUTH_MODE": "disabled",
        }

    def start_worker(self, name: str, *args: str, driver: dict[str, Any] | None = None) -> Daemon:
        """`agora worker run --name NAME ARGS` (or, with ``driver``, the Python API through
        `worker_driver.py`), joined to the shared Ray cluster."""
        if driver is None:
            cmd = [sys.executable, "-m", "cli", "worker", "run", "--name", name, "--ray", self.ray_address, *args]
        else:
            spec = {"name": name, "ray": self.ray_address, "home": str(self.home), **driver}
            cmd = [sys.executable, str(Path(__file__).with_name("worker_driver.py")), json.dumps(spec)]
        log_path = self.home / f"{name}.log"
        with log_path.open("ab") as out:
            proc = subprocess.Popen(
                cmd, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        daemon = Daemon(name, proc, log_path, cmd, self.env)
        self.daemons.append(daemon)
        return daemon

    def restart(self, daemon: Daemon) -> Daemon:
        with daemon.log_path.open("ab") as out:
            out.write(b"\n--- restarted ---\n")
            daemon.proc = subprocess.Popen(
                daemon.args, cwd=ROOT, env=daemon.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        return daemon

    def upload(self, data: bytes) -> bytes:
        """Stores ``data``; returns the 32-byte id a request names it by (its manifest CID's digest)."""
        return digest_of(self.store.put(data))

    def program(self, name: str) -> bytes:
        return self.upload((PROGRAMS / f"{name}.wasm").read_bytes())

    def requester(self) -> JobMarket:
        return JobMarket(self.w3, self.deployment, Transactor(self.w3, dev_account(REQUESTER)))

    def request(self, program_id: bytes, input_digest: bytes, **overrides: Any) -> JobRequest:
        """A k=3, q=2 job paying 10 AGR from the first second, with deadlines 20/30/40 s ahead."""
        now = chain_now(self.w3)
        values: dict[str, Any] = {
            "min_price": 5 * AGR,
            "ramp": 0,
            "fuel_limit": 10**9,
            "lock_deadline": now + 20,
            "commit_deadline": now + 30,
            "reveal_deadline": now + 40,
            "expiry": now + 600,
        }
        return make_request(self.w3, program_id=program_id, input_digest=input_digest, **{**values, **overrides})

    def post(self, request: JobRequest) -> bytes:
        market = self.requester()
        signature = request.sign(dev_account(REQUESTER), chain_id=self.deployment.chain_id, market=market.address)
        return market.post_job(request, signature)

    def wait_closed(self, job_id: bytes, timeout: float = 120.0) -> Any:
        """The job once it is no longer open."""
        return self.wait_closed_from(job_id, JobStatus.OPEN, timeout)

    def wait_final(self, job_id: bytes, timeout: float = 120.0) -> Any:
        """The job once final. A disputed one waits for the court's round (drawn, voted and made
        final by the workers' daemons). A provisional settlement waits out its challenge window:
        the chain's clock is moved past it, and the workers' daemons finalize it themselves."""
        job = self.wait_closed(job_id, timeout)
        if job.status == JobStatus.DISPUTED:
            # The workers' jury draws, votes and counts in real time; a ruling's appeal window is
            # waited out by moving the chain's clock past it (the workers make it final).
            court, market = Court(self.w3, self.deployment), JobMarket(self.w3, self.deployment)
            deadline = time.monotonic() + timeout
            while market.job(job_id).status == JobStatus.DISPUTED and time.monotonic() < deadline:
                case = court.case(job_id)
                ahead = case.appeal_deadline - chain_now(self.w3) + 1
                if case.phase == CasePhase.RULED and ahead > 0:
                    self.w3.provider.make_request("evm_increaseTime", [ahead])  # type: ignore[arg-type]
                    self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
                time.sleep(0.25)
            job = self.wait_closed_from(job_id, JobStatus.DISPUTED, 1)
        if job.status == JobStatus.PROVISIONAL:
            ahead = JobMarket(self.w3, self.deployment).final_after(job_id) - chain_now(self.w3) + 1
            if ahead > 0:
                self.w3.provider.make_request("evm_increaseTime", [ahead])  # type: ignore[arg-type]
                self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
            job = self.wait_closed_from(job_id, JobStatus.PROVISIONAL, timeout)
        return job

    def wait_closed_from(self, job_id: bytes, status: JobStatus, timeout: float = 120.0) -> Any:
        """The job once its status is no longer ``status``."""
        market = JobMarket(self.w3, self.deployment)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = market.job(job_id)
            if job.status != status:
                return job
            time.sleep(0.25)
        logs = "\n\n".join(f"== {d.name}\n{d.log()[-3000:]}" for d in self.daemons)
        raise AssertionError(f"job 0x{job_id.hex()} still open after {timeout}s\n{logs}")

    def close(self) -> None:
        for daemon in self.daemons:
            daemon.stop()
        self.store.close()
        stop_all(self.nodes)
        stop_group(self.ray_head)
        stop(self.chain)


def start_marketplace(home: Path) -> Marketplace:
    port = free_port()
    chain = start_chain_server(home / "chain", port)
    url = f"http://127.0.0.1:{port}"
    w3 = connect(url)
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), home, audit_bps=0)
    token = Token(w3, deployment, Transactor(w3, dev_account(0)))
    token.faucet(dev_account(REQUESTER).address, 10_000 * AGR)
    JobMarket(w3, deployment, Transactor(w3, dev_account(REQUESTER))).deposit(10_000 * AGR)
    # Store nodes take writes from the chain's stakers and depositors (the requester, the workers).
    nodes = start_cluster(
        home / "store",
        ["eu", "eu", "us"],
        writers="chain",
        env={**os.environ, "AGORA_RPC_URL": url},
        extra=["--home", str(home)],
    )
    ray_port = free_port()
    ray_head = subprocess.Popen(
        [
            str(RAY_BIN),
            "start",
            "--head",
            "--block",
            f"--port={ray_port}",
            "--node-ip-address=127.0.0.1",
            "--num-cpus=2",
            "--object-store-memory=100000000",
            "--include-dashboard=false",
        ],
        env={**os.environ, "RAY_AUTH_MODE": "disabled"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    store = StoreClient([n.url for n in nodes], k=2, m=1, signer=dev_account(REQUESTER))
    return Marketplace(home, url, w3, deployment, chain, nodes, ray_head, f"127.0.0.1:{ray_port}", store)


def stake_manually(m: Marketplace, index: int, region: int) -> tuple[JobMarket, StakeManager]:
    """A worker driven by hand from the test (dev account ``index``), staked in ``region``."""
    account = dev_account(index)
    Token(m.w3, m.deployment, Transactor(m.w3, dev_account(0))).faucet(account.address, 500 * AGR)
    transactor = Transactor(m.w3, account)
    stakes = StakeManager(m.w3, m.deployment, transactor)
    stakes.stake(500 * AGR, region)
    return JobMarket(m.w3, m.deployment, transactor), stakes


def outcomes(w3: Web3, deployment: Deployment, job_id: bytes) -> tuple[dict[str, int], dict[str, SlashReason]]:
    """Who was paid how much, and who was slashed why, in ``job_id`` (from its events)."""
    market = w3.eth.contract(address=deployment.address("JobMarket"), abi=artifact("JobMarket")["abi"])
    paid, slashed = {}, {}
    for name, into in (("WorkerPaid", paid), ("WorkerSlashed", slashed)):
        event = getattr(market.events, name)()
        logs = w3.eth.get_logs(
            {
                "fromBlock": deployment.block,
                "toBlock": "latest",
                "address": market.address,
                "topics": [event.topic, "0x" + job_id.hex()],
            }
        )
        for entry in logs:
            args = event.process_log(entry)["args"]
            into[args["worker"]] = args["amount"] if name == "WorkerPaid" else SlashReason(args["reason"])
    return paid, slashed
