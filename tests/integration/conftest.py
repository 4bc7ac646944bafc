"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner
from web3 import Web3

from cli.main import app
from ledger import Deployment, EmbeddedChain, Transactor, connect, deploy, dev_account, get_settings

if TYPE_CHECKING:
    from .zk_world import Examples


@pytest.fixture
def deployed(tmp_path: Path) -> Iterator[tuple[Web3, Deployment]]:
    """A fresh embedded chain with the contracts deployed (by development account 0)."""
    embedded = EmbeddedChain()
    w3 = connect(chain=embedded)
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), tmp_path, audit_bps=0)
    yield w3, deployment
    embedded.close()


@pytest.fixture(scope="session")
def zk_examples(tmp_path_factory: pytest.TempPathFactory) -> Examples:
    """The example ZK programs, each compiled and set up once a session (tests/integration/zk_world.py)."""
    from .zk_world import Examples  # zk loads only for the tests that ask

    return Examples(tmp_path_factory.mktemp("zk-examples"))


@pytest.fixture
def agora(market: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., str]]:
    """``agora(*args, ok=True)``: runs `agora ARGS` in-process against the module's ``market`` (what
    tests/integration/api_market.py's `api_market` yields: its home, chain, API and store nodes),
    asserts it succeeded (or, ``ok=False``, failed) and returns what it said."""
    monkeypatch.setenv("AGORA_HOME", str(market["home"]))
    monkeypatch.setenv("AGORA_RPC_URL", market["rpc"])
    monkeypatch.setenv("AGORA_API_URL", market["url"])
    monkeypatch.setenv("AGORA_STORE_NODES", ",".join(market["nodes"]))
    monkeypatch.setenv("AGORA_STORE_K", "2")
    monkeypatch.setenv("AGORA_STORE_M", "1")
    monkeypatch.delenv("AGORA_ACCOUNT", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str, ok: bool = True) -> str:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        said = result.stdout + (result.stderr if result.stderr_bytes is not None else "")
        assert (result.exit_code == 0) is ok, said
        return said

    yield run
    get_settings.cache_clear()
