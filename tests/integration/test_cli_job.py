"""`agora job …` against a live API over a served chain and real store nodes: submit (uploading
through the API), cancel before the relayer posts, status, list, explain, quote, result, and the
one-line errors a requester meets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger import JobMarket, JobStatus, Token, Transactor, dev_account

from ..conftest import ROOT
from .api_market import RELAYER, api_market, job_id_in
from .market_helpers import AGR

REQUESTER = 1
PROGRAM = ROOT / "examples" / "programs" / "build" / "wordcount.wasm"


@pytest.fixture(scope="module")
def market(served_chain: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """An API over the served chain whose relayer is stepped by the test (so requests wait)."""
    home, store_root = tmp_path_factory.mktemp("home"), tmp_path_factory.mktemp("store")
    with api_market(served_chain, home, store_root, writers=dev_account(RELAYER).address) as market:
        w3, deployment = market["w3"], market["deployment"]
        Token(w3, deployment, Transactor(w3, dev_account(0))).faucet(dev_account(REQUESTER).address, 100 * AGR)
        JobMarket(w3, deployment, Transactor(w3, dev_account(REQUESTER))).deposit(50 * AGR)
        yield market


def test_a_requester_submits_cancels_and_follows_jobs(agora, market: dict[str, Any], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "input").write_bytes(b"one two three\n")
    said = agora("job", "submit", str(PROGRAM), "--input", str(tmp_path / "input"), "-k", "1", "--from", "dev:1")
    assert "program  bafk" in said and "input    bafk" in said and "(accepted; escrow 10 AGR)" in said
    kept = job_id_in(said)
    dropped = job_id_in(
        agora("job", "submit", str(PROGRAM), "--input", str(tmp_path / "input"), "-k", "1", "--from", "dev:1")
    )
    assert "only a request not yet posted" not in agora("job", "cancel", dropped, "--from", "dev:1")
    assert market["relayer"].step() == 2
    market["indexer"].catch_up()
    assert market["market"].job(bytes.fromhex(kept[2:])).status == JobStatus.OPEN
    assert market["market"].job(bytes.fromhex(dropped[2:])).status == JobStatus.NONE
    status = agora("job", "status", kept)
    assert "status   open" in status and "posted   block" in status
    assert "status   failed" in agora("job", "status", dropped) and "NonceUsed" in agora("job", "status", dropped)
    listed = agora("job", "list", "--mine", "--from", "dev:1")
    assert kept in listed and "open" in listed
    assert agora("job", "status", kept[:12]).startswith(f"job      {kept}")  # a prefix is enough
    explained = agora("job", "explain", kept)
    assert "no lock" in explained.lower() or "no worker" in explained.lower(), explained
    quoted = agora("job", "quote", str(PROGRAM), "-k", "1", "--from", "dev:1")
    assert "program  bafk" in quoted and "No worker is registered: nobody would take it yet." in quoted, quoted
    assert "is on no store node" not in quoted  # uploaded: what a job would name
    refused = agora("job", "result", kept, "-o", str(tmp_path / "out"), ok=False)
    assert refused.startswith("Error: ") and "no result has been agreed" in refused
    again = agora("job", "cancel", kept, "--from", "dev:1", ok=False)
    assert "only a request not yet posted can be cancelled" in again


def test_bad_input_is_one_clear_line(agora, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "input").write_bytes(b"x")
    for args, says in [
        (
            ["job", "submit", "nothing.wasm", "--input", str(tmp_path / "input")],
            "neither a program file nor a store CID",
        ),
        (
            ["job", "submit", str(PROGRAM), "--input", str(tmp_path / "input"), "--min-price", "5", "--max-price", "1"],
            "--min-price 5 is above --max-price 1",
        ),
        (["job", "submit", str(PROGRAM), "--input", str(tmp_path / "input"), "--max-price", "ten"], "not an amount"),
        (["job", "status", "0x1234"], "is not a job id"),
        (["job", "status", "0x" + "ab" * 32], "no job 0x" + "ab" * 32),
        (["job", "submit", str(PROGRAM), "--input", str(tmp_path / "input"), "--from", "dev:7"], "0 AGR deposited"),
        (["job", "list", "--api", "http://127.0.0.1:9"], "does not answer"),
    ]:
        said = (
            agora(*args, "--from", "dev:1", ok=False)
            if args[1] == "submit" and "--from" not in args
            else agora(*args, ok=False)
        )
        assert said.startswith("Error: ") and says in said and "Traceback" not in said, (args, said)
