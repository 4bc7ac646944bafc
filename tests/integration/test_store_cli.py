"""`agora store …` end to end against three node processes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from ledger import Keystore
from ledger import get_settings as ledger_settings
from store import get_settings

from .store_cluster import WRITER, Node, start_cluster, stop_all


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
