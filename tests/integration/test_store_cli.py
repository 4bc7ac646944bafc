"""`agora store …` end to end against node processes: the commands, who signs a write, and the
writers a node accepts (listed, any, or the chain's stakers and depositors)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from eth_account import Account
from typer.testing import CliRunner

from cli.main import app
from ledger import (
    ChainReader,
    JobMarket,
    Keystore,
    StakeManager,
    Token,
    Transactor,
    connect,
    deploy,
    dev_account,
    load_deployment,
)
from ledger import get_settings as ledger_settings
from store import get_settings

from ..conftest import ROOT, free_port, start_chain_server, stop
from .store_cluster import WRITER, Node, signed_put, start_cluster, start_node, stop_all

AGR = 10**18
OTHER = Account.from_key(hashlib.sha256(b"a key the test nodes do not accept").digest())


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Node]]:
    cluster = start_cluster(tmp_path_factory.mktemp("cli-store"), ["eu", "eu", "us"])
    yield cluster
    stop_all(cluster)


@pytest.fixture
def agora(nodes: list[Node], monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The CLI with the nodes' writer as the only key in its keystore (so puts are signed by it)."""
    Keystore(tmp_path / "home", kdf_iterations=2).import_key(WRITER.key.hex(), "pw")
    monkeypatch.setenv("AGORA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AGORA_PASSWORD", "pw")
    monkeypatch.setenv("AGORA_STORE_NODES", ",".join(n.url for n in nodes))
    monkeypatch.setenv("AGORA_STORE_K", "2")
    monkeypatch.setenv("AGORA_STORE_M", "1")
    monkeypatch.setenv("AGORA_STORE_SEGMENT_SIZE", str(256 * 1024))
    get_settings.cache_clear()
    ledger_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str, ok: bool = True) -> str:
        result = runner.invoke(app, list(args))
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    yield run
    get_settings.cache_clear()
    ledger_settings.cache_clear()


def test_put_get_stat_audit_repair(agora, nodes: list[Node], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    blob = tmp_path / "blob.bin"
    blob.write_bytes(os.urandom(700_000))
    cid = agora("store", "put", str(blob)).strip().splitlines()[-1]
    assert cid.startswith("bafkrei")
    out = tmp_path / "out.bin"
    agora("store", "get", cid, "-o", str(out))
    assert out.read_bytes() == blob.read_bytes()
    stat = agora("store", "stat", cid)
    assert "k=2 m=1" in stat and "readable" in stat and "[eu]" in stat
    assert "audit passed" in agora("store", "audit", cid)
    assert "0 shards restored" in agora("store", "repair", cid)


def test_regions_and_errors_are_reported(agora, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    blob = tmp_path / "small.bin"
    blob.write_bytes(b"sovereign data")
    assert "regions ch" in agora("store", "put", str(blob), "--regions", "ch", ok=False)
    assert "not a CID" in agora("store", "get", "nonsense", ok=False)
    missing = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
    assert "no node has manifest" in agora("store", "get", missing, ok=False)


def test_put_signs_with_from_and_says_when_it_cannot_sign(agora, nodes: list[Node], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    blob = tmp_path / "signed.bin"
    blob.write_bytes(b"who wrote this")
    Keystore(tmp_path / "home", kdf_iterations=2).import_key(OTHER.key.hex(), "pw")  # now two keys
    assert "several keys" in agora("store", "put", str(blob), ok=False)
    assert agora("store", "put", str(blob), "--from", WRITER.address).splitlines()[-1].startswith("bafkrei")
    refused = agora("store", "put", str(blob), "--from", OTHER.address, ok=False)
    assert "HTTP 403" in refused and f"{OTHER.address} may not write" in refused


def test_put_without_any_key_is_refused_with_a_hint(nodes: list[Node], tmp_path: Path) -> None:
    blob = tmp_path / "unsigned.bin"
    blob.write_bytes(b"nobody's")
    env = {**os.environ, "AGORA_HOME": str(tmp_path / "empty"), "AGORA_STORE_K": "2", "AGORA_STORE_M": "1"}
    cmd = [sys.executable, "-m", "cli", "store", "put", str(blob), "--nodes", ",".join(n.url for n in nodes)]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "HTTP 401" in done.stderr and "--from" in done.stderr


def _serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "cli", "store", "serve", "--port", str(free_port()), *args]
    return subprocess.run(cmd, cwd=ROOT, env=env or dict(os.environ), capture_output=True, text=True, timeout=120)


def test_serve_refuses_writers_it_cannot_use_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "AGORA_RPC_URL": "http://127.0.0.1:1"}
    done = _serve("--dir", str(tmp_path / "n"), "--writers", "chain", "--home", str(tmp_path), env=env)
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1
    assert "--writers ADDRESS,..." in done.stderr and "--writers any" in done.stderr
    done = _serve("--dir", str(tmp_path / "n"), "--writers", "0x12,alice")
    assert done.returncode == 1 and "0x12, alice is not an address" in done.stderr


def test_open_writers_take_unsigned_writes_and_say_so(tmp_path: Path) -> None:
    node = start_node(tmp_path / "open", writers="any")
    try:
        data = b"anyone's"
        assert requests.put(f"{node.url}/shards/{hashlib.sha256(data).hexdigest()}", data=data).status_code == 201
        assert "anyone may write to this node" in node.log()
    finally:
        stop_all([node])


def test_chain_writers_are_accounts_with_stake_or_a_deposit(tmp_path: Path) -> None:
    port = free_port()
    chain = start_chain_server(tmp_path / "chain", port)
    url = f"http://127.0.0.1:{port}"
    try:
        w3 = connect(url)
        deployer = Transactor(w3, dev_account(0))
        deploy(w3, deployer, tmp_path / "home", audit_bps=0)
        deployment = load_deployment(w3, tmp_path / "home")
        depositor, staker, stranger, latecomer = (Account.create() for _ in range(4))
        for account in (depositor, staker):
            deployer.send(to=account.address, value=10**18)
            Token(w3, deployment, deployer).faucet(account.address, 200 * AGR)
        JobMarket(w3, deployment, Transactor(w3, depositor)).deposit(1 * AGR)
        StakeManager(w3, deployment, Transactor(w3, staker)).stake(150 * AGR, 0)
        reader = ChainReader(url)  # what the node asks with: the same answers as web3's clients
        assert reader.deployment(tmp_path / "home") == deployment
        assert reader.current_deployment(tmp_path / "home") == deployment  # what a warm `agora up` keeps
        assert reader.current_deployment(tmp_path / "elsewhere") is None
        assert reader.code(deployment.address("JobMarket")) == bytes(w3.eth.get_code(deployment.address("JobMarket")))
        for account in (depositor, staker, stranger):
            stakes = reader.call(deployment.address("StakeManager"), "stakeOf(address)", account.address, words=3)
            assert tuple(stakes) == StakeManager(w3, deployment).stake_of(account.address)
            deposit = reader.call(deployment.address("JobMarket"), "balanceOf(address)", account.address, words=1)
            assert deposit == [JobMarket(w3, deployment).balance_of(account.address)]
        env = {**os.environ, "AGORA_RPC_URL": url}
        node = start_node(tmp_path / "n", writers="chain", extra=["--home", str(tmp_path / "home")], env=env)
        try:
            for account, status in ((depositor, 201), (staker, 201), (stranger, 403)):
                data = os.urandom(100)
                assert (
                    signed_put(
                        node.url, f"/shards/{hashlib.sha256(data).hexdigest()}", data, account=account
                    ).status_code
                    == status
                )
            stop(chain)  # the chain goes away: known writers still write, others fail closed
            data = os.urandom(100)
            path = f"/shards/{hashlib.sha256(data).hexdigest()}"
            assert signed_put(node.url, path, data, account=depositor).status_code == 201
            reply = signed_put(node.url, path, data, account=latecomer)
            assert reply.status_code == 503 and "retry shortly" in reply.json()["detail"]
            assert "127.0.0.1" not in reply.text  # the node's own view of the chain stays in its log
            assert reply.headers["retry-after"] == "5"
        finally:
            stop_all([node])
    finally:
        stop(chain)
