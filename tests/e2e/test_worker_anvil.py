"""The worker daemon on another EVM node (anvil) with a Ray of its own (`--ray local`)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from compute import RunRecord, Status
from ledger import JobMarket, JobStatus, StakeManager, Token, Transactor, connect, deploy, dev_account
from store import StoreClient, cid_from_digest, digest_of

from ..conftest import LOOPBACK, ROOT, listening
from ..integration.market_helpers import make_request
from ..integration.store_cluster import start_cluster, stop_all

AGR = 10**18
WORKER, REQUESTER = 8, 9  # accounts the anvil conformance tests leave alone


@pytest.mark.slow
def test_a_worker_with_a_local_ray_earns_on_anvil(anvil_url: str, tmp_path: Path) -> None:
    w3 = connect(anvil_url)
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), tmp_path, audit_bps=0)
    writers = f"{dev_account(WORKER).address},{dev_account(REQUESTER).address}"
    nodes = start_cluster(tmp_path / "store", ["eu", "eu", "eu"], writers=writers)
    urls = [n.url for n in nodes]
    env = {
        **os.environ,
        "AGORA_RPC_URL": anvil_url,
        "AGORA_STORE_NODES": ",".join(urls),
        "AGORA_STORE_K": "2",
        "AGORA_STORE_M": "1",
    }
    log = tmp_path / "worker.log"
    cmd = [sys.executable, "-m", "cli", "worker", "run", "--name", "anvil-worker", "--from", f"dev:{WORKER}"]
    cmd += ["--home", str(tmp_path), "--min-price", "1.5", "--max-blob", "4KiB"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    store = StoreClient(urls, k=2, m=1, signer=dev_account(REQUESTER))
    try:
        deadline = time.monotonic() + 180
        while "ready:" not in log.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        sockets = listening(psutil.Process(proc.pid))  # the daemon and the Ray it started
        assert {name for name, _, _ in sockets} >= {"gcs_server", "raylet"}
        assert all(ip in LOOPBACK for _, ip, _ in sockets), sockets
        assert list((tmp_path / "workers" / "anvil-worker" / "ray").glob("session_*/logs")), "Ray's files left the home"
        assert "region global, Ray local" in log.read_text()
        program = digest_of(store.put((ROOT / "examples" / "programs" / "build" / "sha256.wasm").read_bytes()))
        data = digest_of(store.put(b"abc"))
        me = dev_account(REQUESTER)
        Token(w3, deployment, Transactor(w3, dev_account(0))).faucet(me.address, 100 * AGR)
        market = JobMarket(w3, deployment, Transactor(w3, me))
        market.deposit(100 * AGR)

        def post(max_price: int, nonce: int, input_digest: bytes = data) -> bytes:
            request = make_request(
                w3, k=1, q=1, requester=me.address, program_id=program, input_digest=input_digest,
                max_price=max_price, ramp=0, collateral=10 * AGR, nonce=nonce,
            )  # fmt: skip
            return market.post_job(request, request.sign(me, chain_id=deployment.chain_id, market=market.address))

        cheap = post(AGR, 1)  # pays at most 1 AGR: below the worker's minimum
        big = post(2 * AGR, 3, digest_of(store.put(os.urandom(8192))))  # above the worker's --max-blob
        missing = post(2 * AGR, 4, os.urandom(32))  # an input no store node has
        hollow_cid = store.put(os.urandom(3000))  # a manifest whose shards are gone
        for ref in store.manifest(hollow_cid).segments[0].shards:
            next(n for n in nodes if n.url == ref.node).shard_path(ref.hash).unlink()
        hollow = post(2 * AGR, 5, digest_of(hollow_cid))
        job_id = post(2 * AGR, 2)
        deadline = time.monotonic() + 90
        while market.job(job_id).status == JobStatus.OPEN:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        assert market.job(job_id).status == JobStatus.PROVISIONAL
        market.accept(job_id)  # the requester takes the result: final at once
        assert market.job(job_id).status == JobStatus.SETTLED
        assert market.job(cheap).status == JobStatus.OPEN and market.job(cheap).locked == 0
        assert market.balance_of(dev_account(WORKER).address) == 2 * AGR
        event = next(
            e
            for e in market.contract.events.ResultRevealed().get_logs(from_block=deployment.block)
            if bytes(e["args"]["jobId"]) == job_id
        )
        record = RunRecord.from_bytes(store.get(cid_from_digest(bytes(event["args"]["resultCid"]))))
        assert record.status == Status.OK and record.exit_code == 0 and record.fuel_used > 0
        assert record.digest == bytes(event["args"]["digest"])  # the record is what the slot revealed
        assert store.get(record.output) == b"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
        text = log.read_text()
        assert (
            f"job {cheap.hex()[:10]}: skipped: price below minimum (pays at most 1 AGR, this worker takes 1.5 AGR)"
            in text
        )
        deadline = time.monotonic() + 30  # the daemon logs the payment once it has seen the settlement
        while f"job {job_id.hex()[:10]}: paid 2 AGR" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        # jobs whose blobs it cannot run are skipped before any collateral is locked
        assert f"job {big.hex()[:10]}: skipped: its input has 8,192 bytes, above this worker's limit of 4,096" in text
        assert f"job {missing.hex()[:10]}: skipped: its input" in text and "is on no store node" in text
        assert f"job {hollow.hex()[:10]}: cannot fetch its input" in text  # and it tries again until too late
        assert market.job(big).locked == 0 and market.job(missing).locked == 0 and market.job(hollow).locked == 0
        assert StakeManager(w3, deployment).stake_of(dev_account(WORKER).address)[1] == 0  # nothing left locked
    finally:
        try:
            proc.send_signal(signal.SIGTERM)  # the daemon stops its own Ray
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=60)
            with contextlib.suppress(ProcessLookupError):  # anything its Ray left behind
                os.killpg(proc.pid, signal.SIGKILL)
        finally:
            store.close()
            stop_all(nodes)
    assert "stopped" in log.read_text()
