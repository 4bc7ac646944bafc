"""A worker's start on the embedded chain: funding, name and records, stake and region — done
once, and refused clearly when it cannot be done."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from ledger import (
    Deployment,
    Names,
    StakeManager,
    dev_account,
    region_index,
)
from store import StoreClient
from worker import Worker, WorkerConfig, WorkerError

AGR = 10**18
NODES = ["http://127.0.0.1:7001", "http://127.0.0.1:7002"]


def worker(w3: Web3, deployment: Deployment, account: Any, tmp_path: Path, **config: Any) -> Worker:
    """A daemon for its set-up only: the store client is never used and no Ray is started."""
    values: dict[str, Any] = {"name": "setup", "state_dir": tmp_path / "w", "store_nodes": NODES, **config}
    store = StoreClient(NODES)
    return Worker(w3, deployment, account, WorkerConfig(**values), store=store, executor=None)  # type: ignore[arg-type]


def test_setup_funds_names_and_stakes_once(deployed: tuple[Web3, Deployment], tmp_path: Path) -> None:
    w3, deployment = deployed
    key = Account.create()
    daemon = worker(w3, deployment, key, tmp_path, stake=300 * AGR, region=region_index("ch"))
    said: list[str] = []
    daemon.setup(said.append)
    names = Names(w3, deployment)
    assert names.resolve("setup") == key.address
    assert names.reverse(key.address) == "setup.agora"
    assert names.text("setup", "store") == ",".join(NODES)
    assert names.text("setup", "region") == "ch"
    assert names.text("setup", "capacity") == "2"
    stakes = StakeManager(w3, deployment)
    assert stakes.stake_of(key.address) == (300 * AGR, 0, 0)
    assert stakes.region_of(key.address) == region_index("ch")
    assert any("registering setup.agora" in line for line in said)
    # a restart with the same options sends nothing
    height = w3.eth.block_number
    again: list[str] = []
    worker(w3, deployment, key, tmp_path).setup(again.append)  # no --region: keeps ch
    assert w3.eth.block_number == height and again == []
    assert stakes.region_of(key.address) == region_index("ch")
    # a higher stake is topped up
    worker(w3, deployment, key, tmp_path, stake=350 * AGR).setup(again.append)
    assert stakes.stake_of(key.address)[0] == 350 * AGR
    assert again == ["taking 50 AGR from the development faucet for the stake", "staking 50 AGR (to 350 AGR)"]


def test_setup_refuses_a_name_another_key_owns(deployed: tuple[Web3, Deployment], tmp_path: Path) -> None:
    w3, deployment = deployed
    worker(w3, deployment, dev_account(2), tmp_path).setup(lambda _m: None)
    with pytest.raises(WorkerError, match="setup.agora belongs to 0x3C44"):
        worker(w3, deployment, dev_account(3), tmp_path / "other").setup(lambda _m: None)


def test_setup_without_tokens_says_what_is_missing(deployed: tuple[Web3, Deployment], tmp_path: Path) -> None:
    w3, deployment = deployed
    account = dev_account(5)  # ETH for gas, no AGR; no faucet top-up asked for
    daemon = worker(w3, deployment, account, tmp_path, fund_on_dev_chain=False, setup_name=False)
    with pytest.raises(WorkerError, match="staking 200 AGR more needs AGR .* has 0 AGR"):
        daemon.setup(lambda _m: None)
    assert StakeManager(w3, deployment).stake_of(account.address) == (0, 0, 0)
