"""Building blocks for market tests on any backend: funded actors and requests."""

from __future__ import annotations

import os
from dataclasses import dataclass

from web3 import Web3

from ledger import (
    ChainClock,
    Deployment,
    JobMarket,
    JobRequest,
    StakeManager,
    Token,
    Transactor,
    dev_account,
    new_request,
)

AGR = 10**18
STAKE = 1_000 * AGR


@dataclass
class Actors:
    requester: JobMarket
    workers: list[JobMarket]
    stakes: list[StakeManager]
    token: Token


def fund_actors(w3: Web3, deployment: Deployment, *, workers: int = 3) -> Actors:
    """Requester = dev account 1 (10k AGR deposited); workers = dev accounts 2.. (1k AGR staked)."""
    owner = Transactor(w3, dev_account(0))
    token = Token(w3, deployment, owner)
    requester = JobMarket(w3, deployment, Transactor(w3, dev_account(1)))
    token.faucet(dev_account(1).address, 20_000 * AGR)
    requester.deposit(10_000 * AGR)
    markets, stakes = [], []
    for i in range(workers):
        account = dev_account(2 + i)
        token.faucet(account.address, STAKE)
        transactor = Transactor(w3, account)
        stake = StakeManager(w3, deployment, transactor)
        stake.stake(STAKE, i)
        markets.append(JobMarket(w3, deployment, transactor))
        stakes.append(stake)
    return Actors(requester, markets, stakes, token)


def chain_now(w3: Web3) -> int:
    return ChainClock(w3).now()


def make_request(w3: Web3, *, k: int = 3, q: int = 2, nonce: int | None = None, **overrides: object) -> JobRequest:
    """`ledger.new_request` for dev account 1, naming random (absent) program and input by default."""
    terms: dict[str, object] = {"program_id": os.urandom(32), "input_digest": os.urandom(32)}
    terms.update(overrides)
    requester = str(terms.pop("requester", dev_account(1).address))
    k, q = int(terms.pop("redundancy", k)), int(terms.pop("quorum", q))  # type: ignore[call-overload]
    return new_request(chain_now(w3), requester=requester, redundancy=k, quorum=q, nonce=nonce, **terms)  # type: ignore[arg-type]


def post(actors: Actors, request: JobRequest) -> bytes:
    market = actors.requester
    signature = request.sign(dev_account(1), chain_id=market.w3.eth.chain_id, market=market.address)
    return market.post_job(request, signature)
