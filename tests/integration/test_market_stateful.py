"""Hypothesis drives whole jobs against the real embedded chain and checks the invariants from Python.

Honest and dishonest workers post, lock, commit, reveal (or not), and anyone settles or expires
at random times; after every step: tokens are conserved, the market holds exactly deposits plus
open escrow, the stake manager holds exactly the stakes, and no honest worker in a quorum lost stake.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from ledger import (
    ContractRevert,
    EmbeddedChain,
    JobStatus,
    Transactor,
    connect,
    deploy,
    dev_account,
)

from .market_helpers import Actors, fund_actors, make_request, post

WORKERS = 3
_SHARED: dict[str, Any] = {}


def _world() -> dict[str, Any]:
    """One chain and deployment for every example; each example reverts to a snapshot."""
    if not _SHARED:
        import tempfile
        from pathlib import Path

        w3 = connect(chain=EmbeddedChain())
        deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), Path(tempfile.mkdtemp()), audit_bps=0)
        _SHARED.update(w3=w3, deployment=deployment)
    return _SHARED


class MarketMachine(RuleBasedStateMachine):
    jobs = Bundle("jobs")

    @initialize()
    def setup(self) -> None:
        world = _world()
        self.w3 = world["w3"]
        self.snapshot = self.w3.provider.make_request("evm_snapshot", [])["result"]
        self.actors: Actors = fund_actors(self.w3, world["deployment"], workers=WORKERS)
        self.truth: dict[bytes, bytes] = {}
        self.committed: dict[tuple[bytes, int], bytes] = {}
        self.honest_slashed = 0

    def teardown(self) -> None:
        if hasattr(self, "snapshot"):
            self.w3.provider.make_request("evm_revert", [self.snapshot])

    # -- rules ----------------------------------------------------------------------------------
    @rule(target=jobs, k=st.integers(1, 3), q_seed=st.integers(0, 2))
    def post_job(self, k: int, q_seed: int) -> bytes:
        request = make_request(self.w3, k=k, q=1 + q_seed % k)
        job_id = post(self.actors, request)
        self.truth[job_id] = request.input_digest  # the "correct output" of this job
        return job_id

    @rule(job=jobs, worker=st.integers(0, WORKERS - 1))
    def lock(self, job: bytes, worker: int) -> None:
        try:
            self.actors.workers[worker].lock(job)
        except ContractRevert:
            pass

    def _slot_of(self, job: bytes, worker: int) -> int | None:
        address = dev_account(2 + worker).address
        for i in range(self.actors.requester.job(job).locked):
            if self.actors.requester.slot(job, i).worker == address:
                return i
        return None

    @rule(job=jobs, worker=st.integers(0, WORKERS - 1), honest=st.booleans())
    def commit(self, job: bytes, worker: int, honest: bool) -> None:
        slot = self._slot_of(job, worker)
        if slot is None:
            return
        digest = self.truth[job] if honest else bytes(32 - 1) + bytes([worker + 1])
        try:
            self.actors.workers[worker].commit(job, slot, digest, b"\x07" * 32)
            self.committed[(job, slot)] = digest
        except ContractRevert:
            pass

    @rule(job=jobs, worker=st.integers(0, WORKERS - 1))
    def reveal(self, job: bytes, worker: int) -> None:
        slot = self._slot_of(job, worker)
        if slot is None:
            return
        digest = self.committed.get((job, slot), self.truth[job])
        self._closing(job, lambda: self.actors.workers[worker].reveal(job, slot, digest, b"\x07" * 32, b"\x00" * 32))

    @rule(job=jobs)
    def settle(self, job: bytes) -> None:
        self._closing(job, lambda: self.actors.requester.settle(job))

    @rule(job=jobs)
    def expire(self, job: bytes) -> None:
        self._closing(job, lambda: self.actors.requester.expire(job))

    @rule(job=jobs)
    def finalize(self, job: bytes) -> None:
        self._closing(job, lambda: self.actors.requester.finalize(job))

    @rule(job=jobs)
    def accept(self, job: bytes) -> None:
        self._closing(job, lambda: self.actors.requester.accept(job))

    @rule(seconds=st.sampled_from([60, 3700, 7300, 11000, 90000]))
    def advance_time(self, seconds: int) -> None:
        self.w3.provider.make_request("evm_increaseTime", [seconds])
        self.w3.provider.make_request("evm_mine", [])

    def _closing(self, job: bytes, action: Any) -> None:
        stakes_before = [sum(s.stake_of(s.transactor.address)) for s in self.actors.stakes]  # type: ignore[union-attr]
        try:
            action()
        except ContractRevert:
            return
        state = self.actors.requester.job(job)
        if state.status is not JobStatus.SETTLED:
            return
        winners = {
            self.actors.requester.slot(job, i).worker
            for i in range(state.locked)
            if state.revealed_mask & (1 << i) and self.actors.requester.slot(job, i).sealed == self.truth[job]
        }
        for i, stake in enumerate(self.actors.stakes):
            address = stake.transactor.address  # type: ignore[union-attr]
            if address in winners and sum(stake.stake_of(address)) < stakes_before[i]:
                self.honest_slashed += 1

    # -- invariants -----------------------------------------------------------------------------
    def _holders(self) -> list[str]:
        d = self.actors.requester.deployment
        return [dev_account(i).address for i in range(10)] + [d.address("JobMarket"), d.address("StakeManager")]

    @invariant()
    def tokens_are_conserved(self) -> None:
        token = self.actors.token
        assert sum(token.balance_of(a) for a in self._holders()) == token.total_supply()

    @invariant()
    def supply_follows_from_the_events_alone(self) -> None:
        """minted (initial + faucet drips) - burned (by slashes) == total supply, read from logs."""
        token = self.actors.token
        stakes = self.actors.stakes[0].contract
        minted = sum(e["args"]["amount"] for e in token.contract.events.FaucetDripped().get_logs(from_block=0))
        burned = sum(e["args"]["burned"] for e in stakes.events.Slashed().get_logs(from_block=0))
        initial = int(self.actors.requester.deployment.params["initialSupply"])
        assert initial + minted - burned == token.total_supply()

    @invariant()
    def market_holds_deposits_plus_escrow(self) -> None:
        market = self.actors.requester
        deposits = sum(market.balance_of(dev_account(i).address) for i in range(10))
        escrow = sum(market.escrow_of(job) for job in self.truth)
        assert self.actors.token.balance_of(market.address) == deposits + escrow

    @invariant()
    def stake_manager_holds_the_stakes(self) -> None:
        stakes = self.actors.stakes[0]
        total = sum(sum(s.stake_of(s.transactor.address)) for s in self.actors.stakes)  # type: ignore[union-attr]
        assert stakes.total_staked() == total
        assert self.actors.token.balance_of(stakes.contract.address) == total

    @invariant()
    def honest_workers_in_quorum_keep_their_stake(self) -> None:
        assert self.honest_slashed == 0


TestMarketMachine = MarketMachine.TestCase
TestMarketMachine.settings = settings(
    max_examples=8,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
pytestmark = pytest.mark.slow
