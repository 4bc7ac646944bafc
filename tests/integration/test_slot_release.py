"""Giving a slot back (`JobMarket.release`) through a worker daemon, in-process on the embedded
chain: a worker that cannot run a job it just locked gives the slot back without fault (nothing
paid, nothing slashed, and it may not lock that job again); a worker whose slot moves because
another gave its own back carries on under the new index and is paid."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from web3 import Web3

from ledger import AlreadyReleased, Deployment, JobMarket, JobStatus, StakeManager, Token, Transactor, dev_account
from store import StoreClient
from worker import BidPolicy, Phase, Worker, WorkerConfig

from .market_helpers import make_request
from .store_cluster import start_cluster, stop_all
from .test_jury import ticks_until

AGR = 10**18
TRUTH, SALT = b"\x11" * 32, b"\x01" * 32
WORKER, OTHER, THIRD, REQUESTER = 5, 6, 7, 1


def _actors(w3: Web3, deployment: Deployment) -> tuple[dict[int, JobMarket], JobMarket]:
    owner = Token(w3, deployment, Transactor(w3, dev_account(0)))
    clients = {}
    for index in (WORKER, OTHER, THIRD):
        account = dev_account(index)
        owner.faucet(account.address, 1_000 * AGR)
        StakeManager(w3, deployment, Transactor(w3, account)).stake(1_000 * AGR, 0)
        clients[index] = JobMarket(w3, deployment, Transactor(w3, account))
    owner.faucet(dev_account(REQUESTER).address, 1_000 * AGR)
    requester = JobMarket(w3, deployment, Transactor(w3, dev_account(REQUESTER)))
    requester.deposit(1_000 * AGR)
    return clients, requester


def _daemon(w3: Web3, deployment: Deployment, tmp_path: Path, nodes: list[str]) -> Worker:
    config = WorkerConfig(
        name="giver",
        state_dir=tmp_path / "worker",
        store_nodes=nodes,
        policy=BidPolicy(min_price=10**24),  # bids for nothing: its slots are taken by hand
        poll_interval=0.01,
    )
    return Worker(w3, deployment, dev_account(WORKER), config, store=StoreClient(nodes, k=2, m=1), executor=None)  # type: ignore[arg-type]


def _post(w3: Web3, deployment: Deployment, requester: JobMarket, k: int) -> bytes:
    request = make_request(w3, k=k, q=k, ramp=0, min_price=10 * AGR)
    return requester.post_job(
        request, request.sign(dev_account(REQUESTER), chain_id=deployment.chain_id, market=requester.address)
    )


def test_a_worker_gives_back_a_slot_it_cannot_run_without_fault(
    deployed: tuple[Web3, Deployment], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Its program is on no store node by the time the worker fetches it, a moment after locking."""
    w3, deployment = deployed
    clients, requester = _actors(w3, deployment)
    nodes = start_cluster(tmp_path / "store", ["eu", "eu", "us"], writers="any")
    caplog.set_level(logging.INFO, logger="agora.worker")
    daemon = _daemon(w3, deployment, tmp_path, [n.url for n in nodes])
    try:
        job_id = _post(w3, deployment, requester, 1)
        daemon.tick()  # sees the posting (and skips it)
        slot, price = clients[WORKER].lock(job_id)
        record = daemon.state.get(job_id)
        assert record is not None
        daemon.state.save(record.evolve(phase=Phase.LOCKED, slot=slot, price=price))
        stake = sum(StakeManager(w3, deployment).stake_of(dev_account(WORKER).address))
        market = JobMarket(w3, deployment)
        ticks_until(daemon, lambda: market.job(job_id).locked == 0)
        ticks_until(daemon, lambda: daemon.state.get(job_id).phase == Phase.DONE)  # type: ignore[union-attr]
        assert market.job(job_id).status == JobStatus.OPEN  # for another to take
        assert sum(StakeManager(w3, deployment).stake_of(dev_account(WORKER).address)) == stake
        assert StakeManager(w3, deployment).stake_of(dev_account(WORKER).address)[1] == 0  # nothing locked
        assert market.balance_of(dev_account(WORKER).address) == 0
        assert f"job {job_id.hex()[:10]}: gave slot 0 back without fault: could not run it:" in caplog.text
        with pytest.raises(AlreadyReleased):
            clients[WORKER].lock(job_id)
        assert clients[OTHER].lock(job_id)[0] == 0
    finally:
        daemon.close()
        stop_all(nodes)


@pytest.mark.parametrize("told", [True, False], ids=["by-the-event", "found-on-chain"])
def test_a_worker_whose_slot_moved_commits_and_reveals_under_the_new_index(
    deployed: tuple[Web3, Deployment], tmp_path: Path, caplog: pytest.LogCaptureFixture, told: bool
) -> None:
    """OTHER takes slot 0, the worker slot 1 (its result ready); OTHER gives its slot back, so
    the worker's moves to 0. The `SlotReleased` event says so; without it (``told`` False: the
    record keeps the old index) the refused commit makes the worker find its slot on chain."""
    w3, deployment = deployed
    clients, requester = _actors(w3, deployment)
    caplog.set_level(logging.INFO, logger="agora.worker")
    daemon = _daemon(w3, deployment, tmp_path, ["http://127.0.0.1:7001"])
    try:
        job_id = _post(w3, deployment, requester, 2)
        daemon.tick()
        assert clients[OTHER].lock(job_id)[0] == 0
        slot, price = clients[WORKER].lock(job_id)
        assert slot == 1
        record = daemon.state.get(job_id)
        assert record is not None
        executed = record.evolve(phase=Phase.EXECUTED, slot=1, price=price, digest=TRUTH, salt=SALT)
        assert clients[OTHER].release(job_id, 0) == 1  # the worker's slot 1 moved into 0
        if told:
            daemon.state.save(executed)
        else:
            daemon.tick()  # the event is read (nothing held yet), then the stale record written
            daemon.state.save(executed)
        market = JobMarket(w3, deployment)
        ticks_until(daemon, lambda: market.job(job_id).committed_mask == 0b1)  # committed as slot 0
        assert daemon.state.get(job_id).slot == 0  # type: ignore[union-attr]
        assert clients[THIRD].lock(job_id)[0] == 1
        clients[THIRD].commit(job_id, 1, TRUTH, SALT)
        ticks_until(daemon, lambda: market.job(job_id).revealed_mask & 0b1 == 1)
        clients[THIRD].reveal(job_id, 1, TRUTH, SALT, b"\x02" * 32)
        assert market.job(job_id).status == JobStatus.PROVISIONAL
        requester.accept(job_id)
        assert market.balance_of(dev_account(WORKER).address) == price
        assert f"job {job_id.hex()[:10]}: now slot 0 (was 1)" in caplog.text
    finally:
        daemon.close()
