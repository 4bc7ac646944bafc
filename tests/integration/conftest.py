"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3

from ledger import Deployment, EmbeddedChain, Transactor, connect, deploy, dev_account


@pytest.fixture
def deployed(tmp_path: Path) -> Iterator[tuple[Web3, Deployment]]:
    """A fresh embedded chain with the contracts deployed (by development account 0)."""
    embedded = EmbeddedChain()
    w3 = connect(chain=embedded)
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), tmp_path, audit_bps=0)
    yield w3, deployment
    embedded.close()
