"""`ZK` jobs through the CLI and the REST API: `agora program register --zok` names the example
wordcount program, `agora job submit --zk wordcount --input FILE` stores the block and the job's
spec and submits a request pinning the program's verifier; the relayer posts it, a proving worker
takes and proves it, and `agora job status` shows the word count the proof committed to. The intake
refuses a ZK request whose pin, input commitment or spec is not what it names, changing nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import zk
from cli.main import app
from duties.zkjobs import find_program
from ledger import (
    JobMarket,
    JobStatus,
    Mode,
    StakeManager,
    Token,
    Transactor,
    dev_account,
    get_settings,
    new_request,
)
from marketplace.client import ApiClient, ApiError
from store import StoreClient, digest_of
from worker import BidPolicy, Worker, WorkerConfig
from zk.jobs import ZkJob

from ..conftest import ROOT
from .api_market import api_market
from .market_helpers import AGR

pytestmark = pytest.mark.slow

REQUESTER, PROVER = 1, 6
PROGRAM = ROOT / "examples" / "programs" / "zk" / "wordcount.zok"
TEXT = b"zero knowledge, one count"


@pytest.fixture(scope="module")
def market(served_chain: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home, store_root = tmp_path_factory.mktemp("home"), tmp_path_factory.mktemp("store")
    with api_market(served_chain, home, store_root, writers="any") as market:
        w3, deployment = market["w3"], market["deployment"]
        owner = Token(w3, deployment, Transactor(w3, dev_account(0)))
        owner.faucet(dev_account(REQUESTER).address, 100 * AGR)
        JobMarket(w3, deployment, Transactor(w3, dev_account(REQUESTER))).deposit(50 * AGR)
        owner.faucet(dev_account(PROVER).address, 1_000 * AGR)
        StakeManager(w3, deployment, Transactor(w3, dev_account(PROVER))).stake(1_000 * AGR, 0)
        yield market


@pytest.fixture
def agora(market: dict[str, Any], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
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


def _job_id(said: str) -> str:
    return next(w for w in said.split() if w.startswith("0x") and len(w) == 66)


def test_register_submit_prove_and_read_the_count(agora, market: dict[str, Any], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    said = agora("program", "register", "--zok", str(PROGRAM), "--name", "wordcount", "--from", "dev:0")
    assert "registered wordcount.programs.agora" in said and "the result program" in said, said
    (tmp_path / "text").write_bytes(TEXT)
    submitted = agora("job", "submit", "--zk", "wordcount", "--input", str(tmp_path / "text"), "--from", "dev:1")
    assert "(accepted; escrow 10 AGR)" in submitted, submitted
    job_id = _job_id(submitted.split("job      ")[1])
    assert market["relayer"].step() == 1
    config = WorkerConfig(
        name="prover",
        state_dir=tmp_path / "worker",
        store_nodes=market["nodes"],
        policy=BidPolicy(),
        poll_interval=0.01,
    )
    store = StoreClient(market["nodes"], k=2, m=1)
    daemon = Worker(market["w3"], market["deployment"], dev_account(PROVER), config, store=store, executor=None)  # type: ignore[arg-type]
    chain = JobMarket(market["w3"], market["deployment"])
    try:
        deadline = time.monotonic() + 240
        while chain.job(bytes.fromhex(job_id[2:])).status == JobStatus.OPEN:
            assert time.monotonic() < deadline, "the worker did not prove the job in time"
            daemon.tick()
    finally:
        daemon.close()
    market["indexer"].catch_up()
    status = agora("job", "status", job_id)
    assert "status   settled" in status, status
    assert f"result   {len(TEXT.split())}  (proven: commitment 0x" in status, status
    audited = agora("audit", "proof", job_id)
    assert (
        audited.startswith("ok   wordcount.programs.agora: proof by 0x")
        and "proof court valid, Python valid" in audited
    )
    assert "no proof of job" in agora("audit", "proof", "0x" + "ab" * 32, ok=False)


def test_the_intake_refuses_a_zk_request_that_is_not_what_it_names(agora, market: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    agora("program", "register", "--zok", str(PROGRAM), "--name", "counts", "--from", "dev:0")
    program, manifest = find_program(market["w3"], market["deployment"], market["store"], "counts")
    block = TEXT.ljust(64, b"\0")
    spec = ZkJob(program=manifest, input=market["store"].put(block))
    client = ApiClient(market["url"])
    client.signer = dev_account(REQUESTER)
    good = new_request(
        client.chain_time(),
        requester=dev_account(REQUESTER).address,
        program_id=digest_of(market["store"].put(spec.to_bytes())),
        input_digest=zk.commitment(block),
        verifier_pin=program.pin,
        mode=Mode.ZK,
        redundancy=1,
        quorum=1,
    )
    not_a_spec = digest_of(market["store"].put(b'{"format": "agora.zk.job.v0"}'))
    cases = {
        "verifier-not-pinned": {"verifier_pin": b"\x11" * 32},
        "input-commitment-mismatch": {"input_digest": zk.commitment(b"other".ljust(64, b"\0"))},
        "blob-not-found": {"program_id": b"\x22" * 32},
        "invalid-zk-job": {"program_id": not_a_spec},
    }
    for kind, change in cases.items():
        with pytest.raises(ApiError) as refused:
            client.submit(replace(good, **change))  # type: ignore[arg-type]
        assert refused.value.status == 422 and refused.value.kind == kind, (kind, refused.value.problem)
    assert client.submit(good)["status"] == "accepted"
    assert market["relayer"].step() == 1  # only the good request was acknowledged


def test_registering_bad_input_is_one_clear_line_and_spends_nothing(
    agora, market: dict[str, Any], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "broken.zok").write_text("def main(field a) {\n    assert(a == b);\n    return;\n}\n")
    (tmp_path / "free.zok").write_text("def main(field a, private field b) {\n    assert(a == b);\n    return;\n}\n")
    (tmp_path / "vk.json").write_text("{}")
    before = market["w3"].eth.get_transaction_count(dev_account(0).address)
    for args, says in [
        (["--zok", str(tmp_path / "broken.zok"), "--name", "broken"], 'Identifier "b" is undefined'),
        (["--zok", str(tmp_path / "free.zok"), "--name", "free"], "public inputs"),
        (["--zok", str(PROGRAM), "--name", "Not_A_Label"], "invalid name"),
        (["--zok", str(PROGRAM), "--name", "x", "--verification-key", str(tmp_path / "vk.json")], "give both"),
    ]:
        said = agora("program", "register", *args, "--from", "dev:0", ok=False)
        error = [line for line in said.splitlines() if line.startswith("Error: ")]
        assert len(error) == 1 and says in error[0] and "Traceback" not in said, (args, said)
    assert market["w3"].eth.get_transaction_count(dev_account(0).address) == before  # no transaction sent
