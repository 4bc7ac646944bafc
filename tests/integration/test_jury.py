"""A worker daemon's part in the court, in-process on the embedded chain: it keeps a case moving
(draws, counts, makes the ruling final), appeals a round that ruled against its result, and
claims what its appeal won. The juror is driven by hand, so a round can be captured on purpose."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from web3 import Web3

from ledger import (
    UNAVAILABLE,
    CasePhase,
    Court,
    Deployment,
    JobMarket,
    JobStatus,
    StakeManager,
    Token,
    Transactor,
    dev_account,
)
from store import StoreClient
from worker import BidPolicy, Phase, Worker, WorkerConfig

from .market_helpers import make_request
from .store_cluster import start_cluster, stop_all

AGR = 10**18
NODES = ["http://127.0.0.1:7001", "http://127.0.0.1:7002"]
TRUTH, LIE = b"\x11" * 32, b"\x66" * 32
WORKER, LIAR, JUROR, REQUESTER = 5, 6, 7, 1


def ticks_until(daemon: Worker, done: object, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not done():  # type: ignore[operator]
        assert time.monotonic() < deadline
        daemon.tick()


def test_a_worker_appeals_a_captured_round_and_wins_at_the_larger_one(
    deployed: tuple[Web3, Deployment], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    w3, deployment = deployed
    owner = Token(w3, deployment, Transactor(w3, dev_account(0)))
    clients = {}
    for index in (WORKER, LIAR, JUROR):
        account = dev_account(index)
        owner.faucet(account.address, 1_000 * AGR)
        StakeManager(w3, deployment, Transactor(w3, account)).stake(1_000 * AGR, 0)
        clients[index] = JobMarket(w3, deployment, Transactor(w3, account))
    owner.faucet(dev_account(WORKER).address, 200 * AGR)  # its wallet: what it can bond
    owner.faucet(dev_account(REQUESTER).address, 1_000 * AGR)
    JobMarket(w3, deployment, Transactor(w3, dev_account(REQUESTER))).deposit(1_000 * AGR)
    w3.provider.make_request("evm_increaseTime", [61])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    StakeManager(w3, deployment, Transactor(w3, dev_account(0))).activate(dev_account(JUROR).address)

    config = WorkerConfig(
        name="appellant",
        state_dir=tmp_path / "worker",
        store_nodes=NODES,
        policy=BidPolicy(min_price=10**24),  # bids for nothing: its slot is taken by hand
        poll_interval=0.01,
    )
    daemon = Worker(w3, deployment, dev_account(WORKER), config, store=StoreClient(NODES), executor=None)  # type: ignore[arg-type]
    caplog.set_level(logging.INFO, logger="agora.worker")
    try:
        request = make_request(w3, k=2, q=2, ramp=0, min_price=10 * AGR)
        signature = request.sign(dev_account(REQUESTER), chain_id=deployment.chain_id, market=clients[LIAR].address)
        job_id = JobMarket(w3, deployment, Transactor(w3, dev_account(REQUESTER))).post_job(request, signature)
        answers = {WORKER: TRUTH, LIAR: LIE}
        slots = {who: clients[who].lock(job_id)[0] for who in (WORKER, LIAR)}
        for who in (WORKER, LIAR):
            clients[who].commit(job_id, slots[who], answers[who], b"\x01" * 32)
        for who in (WORKER, LIAR):
            clients[who].reveal(job_id, slots[who], answers[who], b"\x01" * 32, b"\x02" * 32)
        market = JobMarket(w3, deployment)
        assert market.job(job_id).status == JobStatus.DISPUTED
        daemon.tick()  # the posting (skipped: it bids for nothing) and the escalation
        record = daemon.state.get(job_id)
        assert record is not None
        daemon.state.save(record.evolve(phase=Phase.DISPUTED, slot=slots[WORKER], digest=TRUTH))

        court = Court(w3, deployment)
        juror = Court(w3, deployment, Transactor(w3, dev_account(JUROR)))

        def vote(digest: bytes) -> None:
            ticks_until(daemon, lambda: court.case(job_id).phase == CasePhase.VOTING)  # the daemon draws
            round_ = court.case(job_id).round
            assert court.jurors(job_id, round_) == [dev_account(JUROR).address]
            juror.commit_vote(job_id, digest, b"\x07" * 32, b"\x08" * 32)
            juror.reveal_vote(job_id, digest, b"\x07" * 32, b"\x08" * 32)
            ticks_until(daemon, lambda: court.case(job_id).phase != CasePhase.VOTING)  # the daemon counts

        vote(LIE)  # a captured first round
        assert court.case(job_id).ruling == LIE
        wallet = Token(w3, deployment).balance_of(dev_account(WORKER).address)
        ticks_until(daemon, lambda: court.case(job_id).round == 1)  # it appeals
        bond = court.bond_of(job_id, dev_account(WORKER).address, TRUTH)
        assert bond == (7 + 2) * 10 * AGR
        vote(TRUTH)  # the larger round rules for the truth
        assert court.case(job_id).phase == CasePhase.RULED
        w3.provider.make_request("evm_increaseTime", [court.vote_window() + 1])  # type: ignore[arg-type]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        ticks_until(daemon, lambda: "appeal was upheld" in caplog.text)  # final, then claimed
        assert market.job(job_id).status == JobStatus.SETTLED
        assert court.case(job_id).phase == CasePhase.DECIDED
        assert market.balance_of(dev_account(WORKER).address) == 10 * AGR  # its price
        assert sum(StakeManager(w3, deployment).stake_of(dev_account(WORKER).address)) == 1_000 * AGR
        # its bond back with a share of the pot on top, and its slot's share of the pot
        assert Token(w3, deployment).balance_of(dev_account(WORKER).address) > wallet
        assert f"job {job_id.hex()[:10]}: appealed round 0's ruling with a bond of 90 AGR" in caplog.text
    finally:
        daemon.close()


def test_a_worker_whose_input_is_gone_claims_unavailable_and_is_paid_the_small_fee(
    deployed: tuple[Web3, Deployment], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A k=1 job whose program is on no store node by the time the locked worker fetches it, after
    the two minutes in which it could have given the slot back (tests/integration/
    test_slot_release.py): the worker tries a few times, then reveals the "unavailable" digest (the
    contract's own), which is never slashed: the job is void, the worker paid minPrice / 4 and its
    stake whole."""
    w3, deployment = deployed
    assert JobMarket(w3, deployment).contract.functions.UNAVAILABLE().call() == UNAVAILABLE
    owner = Token(w3, deployment, Transactor(w3, dev_account(0)))
    account = dev_account(WORKER)
    owner.faucet(account.address, 1_000 * AGR)
    StakeManager(w3, deployment, Transactor(w3, account)).stake(1_000 * AGR, 0)
    owner.faucet(dev_account(REQUESTER).address, 1_000 * AGR)
    requester = JobMarket(w3, deployment, Transactor(w3, dev_account(REQUESTER)))
    requester.deposit(1_000 * AGR)
    nodes = start_cluster(tmp_path / "store", ["eu", "eu", "us"], writers="any")
    caplog.set_level(logging.INFO, logger="agora.worker")
    daemon = None
    try:
        store = StoreClient([n.url for n in nodes], k=2, m=1)
        config = WorkerConfig(
            name="unlucky",
            state_dir=tmp_path / "worker",
            store_nodes=[n.url for n in nodes],
            policy=BidPolicy(min_price=10**24),  # bids for nothing: its slot is taken by hand
            poll_interval=0.01,
        )
        daemon = Worker(w3, deployment, account, config, store=store, executor=None)  # type: ignore[arg-type]
        request = make_request(w3, k=1, q=1, ramp=0, min_price=8 * AGR, max_price=10 * AGR)
        signature = request.sign(dev_account(REQUESTER), chain_id=deployment.chain_id, market=requester.address)
        job_id = requester.post_job(request, signature)
        daemon.tick()  # sees the posting (and skips it)
        slot, price = JobMarket(w3, deployment, Transactor(w3, account)).lock(job_id)
        record = daemon.state.get(job_id)
        assert record is not None
        daemon.state.save(record.evolve(phase=Phase.LOCKED, slot=slot, price=price))
        w3.provider.make_request("evm_increaseTime", [121])  # type: ignore[arg-type]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        market = JobMarket(w3, deployment)
        ticks_until(daemon, lambda: market.job(job_id).status != JobStatus.OPEN)
        assert market.job(job_id).status == JobStatus.VOID
        assert market.slot(job_id, slot).sealed == UNAVAILABLE
        assert market.balance_of(account.address) == 2 * AGR  # minPrice / 4
        assert sum(StakeManager(w3, deployment).stake_of(account.address)) == 1_000 * AGR
        assert f"job {job_id.hex()[:10]}: unavailable:" in caplog.text
    finally:
        if daemon is not None:
            daemon.close()
        stop_all(nodes)
