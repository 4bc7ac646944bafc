"""The `agora` command against a served chain: deploy, accounts, names, errors by name."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from ledger import dev_account, get_settings


@pytest.fixture
def agora(served_chain: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AGORA_HOME", str(tmp_path))
    monkeypatch.setenv("AGORA_RPC_URL", served_chain)
    monkeypatch.setenv("AGORA_PASSWORD", "correct horse")
    monkeypatch.delenv("AGORA_ACCOUNT", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str, ok: bool = True) -> str:
        result = runner.invoke(app, list(args))
        output = result.output + (result.stderr if result.stderr_bytes is not None else "")
        assert (result.exit_code == 0) == ok, output
        return output

    yield run
    get_settings.cache_clear()


def test_deploy_is_idempotent_and_info_checks_code(agora) -> None:  # type: ignore[no-untyped-def]
    first = agora("chain", "deploy")
    assert "deployed on chain 31337" in first and "AgoraToken" in first
    assert "already deployed" in agora("chain", "deploy")
    info = agora("chain", "info")
    assert "matches the sources" in info and "31337" in info


def test_account_name_lifecycle(agora) -> None:  # type: ignore[no-untyped-def]
    agora("chain", "deploy")
    address = agora("account", "new").strip().splitlines()[-1]
    assert agora("account", "list").strip() == address
    assert f"{address}: 10 ETH, 1000 AGR" in agora("account", "fund", address)
    out = agora("name", "register", "cli-user", "--from", address)
    assert f"registered cli-user.agora to {address}" in out
    resolved = agora("name", "resolve", "cli-user")
    assert resolved.splitlines()[0] == address and f"owner {address}" in resolved  # as its help promises
    agora("name", "set-text", "cli-user", "store", "http://127.0.0.1:7001", "--from", address)
    assert agora("name", "text", "cli-user", "store").strip() == "http://127.0.0.1:7001"
    assert agora("name", "reverse", address).strip() == "cli-user.agora"

    taken = agora("name", "register", "cli-user", "--from", "dev:1", ok=False)
    assert "not available" in taken and address in taken
    refused = agora("name", "set-text", "cli-user", "store", "evil", "--from", "dev:2", ok=False)
    assert "Unauthorized(node=0x" in refused and dev_account(2).address.lower() in refused.lower()
    # a worker under another key's name is refused before it makes a key or spends anything
    before = agora("account", "list")
    for extra in ([], ["--from", "dev:3"]):
        out = agora("worker", "run", "--name", "cli-user", "--store-nodes", "http://127.0.0.1:1", *extra, ok=False)
        assert f"cli-user.agora belongs to {address}" in out and "choose another --name" in out
    assert agora("account", "list") == before


def test_errors_are_one_line_not_tracebacks(agora, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    out = agora("name", "resolve", "nobody", ok=False)
    assert "no contracts deployed" in out and "Traceback" not in out
    agora("chain", "deploy")
    assert "not registered" in agora("name", "resolve", "nobody", ok=False)
    assert "invalid name" in agora("name", "register", "Bad_Name", "--from", "dev:1", ok=False)
    assert "no verified reverse name" in agora("name", "reverse", dev_account(5).address, ok=False)
    # an address with no key here is refused before any password is asked for
    monkeypatch.delenv("AGORA_PASSWORD")
    get_settings.cache_clear()
    missing = agora("deposit", "1", "--from", "0x00000000000000000000000000000000deadbeef", ok=False)
    assert "no key for 0x00000000000000000000000000000000deadbeef" in missing and "password" not in missing.lower()
    assert "dev:100 is not a development account" in agora("balance", "--from", "dev:100", ok=False)


def test_unreachable_rpc_url_is_reported(agora, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AGORA_RPC_URL", "http://127.0.0.1:9")
    get_settings.cache_clear()
    assert "no Ethereum JSON-RPC node answers at http://127.0.0.1:9" in agora("chain", "info", ok=False)


def test_worker_run_refuses_bad_options_before_touching_anything(
    agora, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from store import get_settings as store_settings

    monkeypatch.delenv("AGORA_STORE_NODES", raising=False)
    store_settings.cache_clear()
    try:
        out = agora("worker", "run", "--name", "w", ok=False)
        assert "no store nodes: pass --store-nodes or set AGORA_STORE_NODES" in out
        out = agora(
            "worker", "run", "--name", "w", "--store-nodes", "http://127.0.0.1:1", "--region", "atlantis", ok=False
        )
        assert "unknown region 'atlantis'" in out
        out = agora(
            "worker", "run", "--name", "w", "--store-nodes", "http://127.0.0.1:1", "--min-price", "1e18", ok=False
        )
        assert "not an amount: '1e18'" in out
        out = agora("worker", "run", "--name", "Bad Name!", "--store-nodes", "http://127.0.0.1:1", ok=False)
        assert "Error:" in out and "Traceback" not in out
        assert not (tmp_path / "workers").exists()
    finally:
        store_settings.cache_clear()


def test_worker_status_reads_the_chain(agora) -> None:  # type: ignore[no-untyped-def]
    agora("chain", "deploy")
    out = agora("worker", "status", dev_account(2).address)
    assert "stake      0 AGR free, 0 locked, 0 unbonding" in out
    assert "jobs       0 taken, 0 in flight" in out
    assert '"inFlight": 0' in agora("worker", "status", dev_account(2).address, "--json")


def test_deposit_withdraw_and_balance_in_agr(agora) -> None:  # type: ignore[no-untyped-def]
    """A requester's money: wallet to deposit and back, shown in AGR; what would fail is refused
    before anything is sent (a wallet too small) or by the contract's error by name (a withdrawal
    above the deposit), and a malformed amount is an error, not a traceback."""
    agora("chain", "deploy")
    address = agora("account", "new").strip().splitlines()[-1]
    agora("account", "fund", address, "--agr", "100")
    out = agora("deposit", "25.5", "--from", address)
    assert f"deposited 25.5 AGR: {address} has 25.5 AGR to pay jobs" in out
    shown = agora("balance", "--from", address)
    assert "wallet   74.5 AGR" in shown and "deposit  25.5 AGR" in shown and "gas      " in shown
    assert "stake    0 AGR free, 0 locked, 0 unbonding" in shown
    refused = agora("deposit", "1000", "--from", address, ok=False)
    assert "holds 74.5 AGR in its wallet, less than 1000 AGR to deposit" in refused
    over = agora("withdraw", "30", "--from", address, ok=False)
    assert "InsufficientBalance(account=" in over and "balance=25.5 AGR, needed=30 AGR)" in over
    out = agora("withdraw", "5.5", "--from", address)
    assert f"withdrew 5.5 AGR: {address} has 20 AGR deposited and 80 AGR in its wallet" in out
    for bad in ("abc", "0", "1e5", "0.0000000000000000001"):
        assert "Error:" in agora("deposit", bad, "--from", address, ok=False)
    agora("deposit", "-3", "--from", address, ok=False)  # an option to the parser: a usage error
    assert address in agora("balance", address)  # anyone's balance, no key needed


def test_index_rebuild_builds_the_database_from_events(agora, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    agora("chain", "deploy")
    database = f"sqlite:///{tmp_path / 'index.sqlite'}"
    first = agora("index", "rebuild", "--database", database)
    assert "rebuilt: 0 events of 0 jobs, up to block" in first
    assert agora("index", "rebuild", "--database", database).splitlines()[-1] == first.splitlines()[-1]
    assert (tmp_path / "index.sqlite").exists()
