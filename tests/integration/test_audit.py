"""The auditor's tools (`agora audit …`) on the embedded chain.

Real scenarios, driven by hand, pass every audit: an honest k=3 job accepted early, a k=3 job with
one slot silent after committing and one that never committed (slashed, the rest paid and
refunded), a job nobody locked and one whose only worker vanished (expired, refunded), a dispute
whose first drawn round stays silent and whose second rules (slashes, juror fees, the pot, a bond
claimed), and a job given a drawn auditor and accepted early. Then each check is shown to fail when it should: a
doctored history (a payment's amount, a missing slash, a slash's reason, a drawn juror, an
auditor), a doctored token transfer, and code deployed from other source or a record pointing at
the wrong contract: each named in one line, and the command exits 1.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner
from web3 import Web3

from cli.main import app
from ledger import (
    AUDIT_DECIDED,
    AlreadyReleased,
    Court,
    Deployment,
    Dispatcher,
    EmbeddedChain,
    JobMarket,
    JobStatus,
    RPCApp,
    SlashReason,
    StakeManager,
    Token,
    Transactor,
    artifact,
    connect,
    deploy,
    dev_account,
    get_settings,
)
from ledger import events as ev
from ledger._rpc_limits import RPCLimits
from verifier import (
    AuditReport,
    ChainReader,
    Compiled,
    check_conservation,
    check_settlements,
    compile_contracts,
    scan_events,
    verify_code,
)
from verifier._audit_chain import creation_block

from ..conftest import ROOT, free_port
from .market_helpers import AGR, fund_actors, make_request, post

TRUTH, LIE, SALT, CID = b"\x11" * 32, b"\x66" * 32, b"\x01" * 32, b"\x02" * 32
CHECKPOINT, VOTE_SALT = b"\x07" * 32, b"\x08" * 32
JURORS = (5, 6, 7)
BONDER = 8


@dataclass
class Market:
    w3: Web3
    deployment: Deployment
    home: Path
    url: str
    jobs: dict[str, bytes]
    events: list[ev.Event]
    reader: ChainReader
    token_block: int
    compiling: Future[dict[str, Compiled]]  # the sources compiled again, while the scenarios run


def _mine(w3: Web3, seconds: int = 0) -> None:
    if seconds:
        w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


@contextmanager
def _served(chain: EmbeddedChain) -> Iterator[str]:
    """The in-process chain as a JSON-RPC endpoint on a free port, for the CLI to audit over HTTP;
    it returns at most 60 logs per `eth_getLogs`, so the audit's scans must split their pages."""
    port = free_port()
    app = RPCApp(Dispatcher(chain, replace(RPCLimits.from_settings(), log_results=60)))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "the test's chain server did not start"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.close()


def _run_scenarios(w3: Web3, deployment: Deployment) -> dict[str, bytes]:
    actors = fund_actors(w3, deployment, workers=3)
    owner = Token(w3, deployment, Transactor(w3, dev_account(0)))
    for i in JURORS:
        owner.faucet(dev_account(i).address, 1_000 * AGR)
        StakeManager(w3, deployment, Transactor(w3, dev_account(i))).stake(1_000 * AGR, 0)
    _mine(w3, 61)  # stake matures into the juror pool
    anyone = StakeManager(w3, deployment, Transactor(w3, dev_account(0)))
    for i in (2, 3, 4, *JURORS):
        anyone.activate(dev_account(i).address)
    w, jobs = actors.workers, {}

    jobs["honest"] = job = post(actors, make_request(w3, k=3, q=2))  # the ask ramps: prices differ by when
    for m in w:
        m.lock(job)
    for i, m in enumerate(w):
        m.commit(job, i, TRUTH, SALT)
    for i, m in enumerate(w):
        m.reveal(job, i, TRUTH, SALT, CID)
    actors.requester.accept(job)

    jobs["silent"] = job = post(actors, make_request(w3, k=3, q=1, ramp=0))
    for m in w:
        m.lock(job)
    w[0].commit(job, 0, TRUTH, SALT)
    w[1].commit(job, 1, TRUTH, SALT)  # then never reveals; w[2] never commits
    jobs["unlocked"] = post(actors, make_request(w3, k=1, q=1))
    jobs["vanished"] = job = post(actors, make_request(w3, k=2, q=1, ramp=0))
    w[2].lock(job)

    jobs["disputed"] = _dispute(w3, deployment, actors)
    jobs["released"] = _released(w3, deployment, actors)

    _mine(w3, 2 * 3600 + 10)  # past the commit deadlines: the silent job's reveals open
    w[0].reveal(jobs["silent"], 0, TRUTH, SALT, CID)
    _mine(w3, 3600)  # past the reveal deadlines
    w[0].settle(jobs["silent"])
    w[0].settle(jobs["vanished"])
    w[0].expire(jobs["unlocked"])
    _mine(w3, 601)  # past the challenge windows
    w[0].finalize(jobs["silent"])
    jobs["audited"] = _audited(w3, deployment, actors)  # last: accepted within its challenge window
    return jobs


def _dispute(w3: Web3, deployment: Deployment, actors) -> bytes:  # type: ignore[no-untyped-def]
    """Two slots disagree; a third party bonds on the truth; round 0's jurors stay silent (slashed),
    round 1 rules for the truth (one juror, if it can be spared, votes the lie and loses)."""
    w = actors.workers
    job = post(actors, make_request(w3, k=2, q=2, ramp=0))
    w[0].lock(job)
    w[1].lock(job)
    w[0].commit(job, 0, TRUTH, SALT)
    w[1].commit(job, 1, LIE, SALT)
    w[0].reveal(job, 0, TRUTH, SALT, CID)
    w[1].reveal(job, 1, LIE, SALT, CID)
    court = Court(w3, deployment, Transactor(w3, dev_account(0)))
    Token(w3, deployment, Transactor(w3, dev_account(0))).faucet(dev_account(BONDER).address, 100 * AGR)
    bonder = Court(w3, deployment, Transactor(w3, dev_account(BONDER)))
    bonder.dispute(job, TRUTH, court.min_bond(job, 0))
    by_address = {dev_account(i).address: i for i in range(10)}

    def draw() -> dict[str, int]:
        while int(w3.eth.block_number) <= court.case(job).seed_block:
            _mine(w3)
        court.draw(job)
        r = court.case(job).round
        return {j: court.vote(job, r, j).seats for j in court.jurors(job, r)}

    draw()
    _mine(w3, 2 * court.vote_window() + 1)
    court.resolve(job)  # nobody voted: slashed, no majority, a larger round
    seats = draw()
    fewest = min(seats, key=seats.get)  # type: ignore[arg-type]
    liar = fewest if sum(seats.values()) - seats[fewest] >= 4 else None
    jurors = {j: Court(w3, deployment, Transactor(w3, dev_account(by_address[j]))) for j in seats}
    for j, juror in jurors.items():
        juror.commit_vote(job, LIE if j == liar else TRUTH, CHECKPOINT, VOTE_SALT)
    for j, juror in jurors.items():
        juror.reveal_vote(job, LIE if j == liar else TRUTH, CHECKPOINT, VOTE_SALT)
    court.resolve(job)
    _mine(w3, court.vote_window() + 1)
    court.finalize(job)
    bonder.claim_bond(job)
    return job


def _audited(w3: Web3, deployment: Deployment, actors) -> bytes:  # type: ignore[no-untyped-def]
    """A k=1 job posted and decided while every audited job gets an auditor: one is drawn, both
    reveal alike, and the requester makes it final at once (an early accept counts the auditor's
    slot among all slots taken)."""
    owner = JobMarket(w3, deployment, Transactor(w3, dev_account(0)))
    owner.set_audit_rate(10_000)
    job = post(actors, make_request(w3, k=1, q=1, ramp=0))
    w = actors.workers[0]
    w.lock(job)
    _mine(w3)
    _mine(w3)  # the seed block
    w.commit(job, 0, TRUTH, SALT)  # decides the audit
    owner.set_audit_rate(0)
    auditor = JobMarket(w3, deployment).slot(job, 1).worker
    index = next(i for i in range(10) if dev_account(i).address == auditor)
    drawn = JobMarket(w3, deployment, Transactor(w3, dev_account(index)))
    drawn.commit(job, 1, TRUTH, SALT)
    drawn.reveal(job, 1, TRUTH, SALT, CID)
    w.reveal(job, 0, TRUTH, SALT, CID)
    actors.requester.accept(job)  # early: its k = 1 and the auditor agree (two slots of one)
    return job


def _released(w3: Web3, deployment: Deployment, actors) -> bytes:  # type: ignore[no-untyped-def]
    """An audited k=2 job whose first slot is given back once both are taken, before the audit's
    seed block is mined: the second slot (committed) moves into the first, the audit waits for
    locking again, the giver may not come back, a third worker fills the job and all are paid."""
    owner = JobMarket(w3, deployment, Transactor(w3, dev_account(0)))
    owner.set_audit_rate(10_000)
    job = post(actors, make_request(w3, k=2, q=2, ramp=0))
    owner.set_audit_rate(0)  # audited (its fee escrowed), but no auditor will be drawn
    w = actors.workers
    w[0].lock(job)
    w[1].lock(job)
    w[1].commit(job, 1, TRUTH, SALT)
    assert JobMarket(w3, deployment).job(job).audit > AUDIT_DECIDED  # full: the seed block is fixed
    assert w[0].release(job, 0) == 1  # the last slot (w[1]'s) moved into slot 0
    market = JobMarket(w3, deployment)
    assert market.slot(job, 0).worker == w[1].transactor.address and market.job(job).committed_mask == 0b1
    assert market.job(job).audit == 1  # awaiting locking again
    with pytest.raises(AlreadyReleased):
        w[0].lock(job)
    w[2].lock(job)
    w[2].commit(job, 1, TRUTH, SALT)
    _mine(w3)
    _mine(w3)  # the new seed block
    Court(w3, deployment, Transactor(w3, dev_account(0))).audit(job)  # decided: nobody drawn
    w[1].reveal(job, 0, TRUTH, SALT, CID)
    w[2].reveal(job, 1, TRUTH, SALT, CID)
    actors.requester.accept(job)
    return job


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Market]:
    home = tmp_path_factory.mktemp("audit")
    background = ThreadPoolExecutor(max_workers=1)
    compiling = background.submit(compile_contracts)  # forge runs beside the scenarios (cached per sources)
    chain = EmbeddedChain()
    w3 = connect(chain=chain)
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), home, audit_bps=0)
    try:
        jobs = _run_scenarios(w3, deployment)
        reader = ChainReader(w3, deployment)
        events = scan_events(w3, deployment, start=0, end=reader.at)
        token_block = creation_block(w3, deployment.address("AgoraToken"), before=deployment.block)
        with _served(chain) as url:
            yield Market(w3, deployment, home, url, jobs, events, reader, token_block, compiling)
    finally:
        chain.close()
        background.shutdown(wait=True)


@pytest.fixture
def agora(market: Market, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """`agora …` in-process against the market's chain served over HTTP; returns (exit code, output)."""
    monkeypatch.setenv("AGORA_HOME", str(market.home))
    monkeypatch.setenv("AGORA_RPC_URL", market.url)
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["audit", *args, "--quiet"])
        return result.exit_code, result.output

    yield run
    get_settings.cache_clear()


def _failures(report: AuditReport) -> str:
    return "\n".join(f.line() for f in report.findings)


def _one(events: list[ev.Event], cls: type[ev.Event], job_id: bytes, **where: object) -> ev.Event:
    return next(
        e
        for e in events
        if isinstance(e, cls)
        and getattr(e, "job_id", None) == job_id
        and all(getattr(e, k) == v for k, v in where.items())
    )


def _swap(events: list[ev.Event], old: ev.Event, new: ev.Event | None) -> list[ev.Event]:
    return [new if e is old else e for e in events if not (e is old and new is None)]


# -- the scenarios pass ------------------------------------------------------------------------------


def test_every_settlement_of_the_scenarios_is_what_the_rules_give(market: Market) -> None:
    report = check_settlements(market.events, market.reader)
    assert report.ok, _failures(report)
    statuses = {name: JobMarket(market.w3, market.deployment).job(j).status for name, j in market.jobs.items()}
    assert statuses == {
        "honest": JobStatus.SETTLED,
        "silent": JobStatus.SETTLED,
        "unlocked": JobStatus.EXPIRED,
        "vanished": JobStatus.EXPIRED,
        "disputed": JobStatus.SETTLED,
        "audited": JobStatus.SETTLED,
        "released": JobStatus.SETTLED,
    }
    moves = {(m.job_id, m.kind, m.why.split(":")[0]) for m in report.movements}
    jobs = market.jobs
    assert (jobs["silent"], "slashed", "no reveal") in moves
    assert (jobs["silent"], "slashed", "deadline missed") in moves
    assert (jobs["vanished"], "slashed", "deadline missed") in moves
    assert (jobs["disputed"], "slashed", "lost dispute") in moves  # the lying slot
    assert (jobs["disputed"], "slashed", "no reveal") in moves  # round 0's silent jurors
    kinds = {(m.job_id, m.kind) for m in report.movements}
    assert {(jobs["disputed"], k) for k in ("juror fee", "pot share", "bond claim")} <= kinds
    assert (jobs["unlocked"], "refunded") in kinds
    assert sum(1 for m in report.movements if m.job_id == jobs["audited"] and m.kind == "paid") == 2  # with the auditor
    assert all(m.verified for m in report.movements)


def test_tokens_are_conserved_and_every_contract_holds_what_it_owes(market: Market) -> None:
    report = check_conservation(market.events, market.reader, token_block=market.token_block)
    assert report.ok, _failures(report)
    assert report.checks > 50


def test_the_audit_commands_pass_over_json_rpc(market: Market, agora) -> None:  # type: ignore[no-untyped-def]
    code, out = agora("settlements", "--page", "10000")  # more logs than the server sends at once
    assert code == 0, out
    assert "no discrepancies" in out and "lost dispute" in out and "juror fee" in out
    code, out = agora("job", "0x" + market.jobs["silent"].hex())
    assert code == 0, out
    assert "redundant k=3 q=1, 3 slot(s) taken, settled on 0x1111111111" in out
    assert "no reveal: committed, never revealed" in out and market.jobs["honest"].hex()[:10] not in out
    last = max(m.block for m in check_settlements(market.events, market.reader).movements)
    code, out = agora("settlements", "--from-block", str(last))
    assert code == 0 and market.jobs["audited"].hex()[:10] in out and market.jobs["honest"].hex()[:10] not in out
    code, out = agora("conservation", "--json")
    assert code == 0 and json.loads(out)["ok"] is True
    code, out = agora("job", "0x" + "ab" * 32)
    assert code == 1 and "no such job" in out


# -- a doctored history fails -------------------------------------------------------------------------


def test_a_slot_given_back_is_checked_against_the_rules(market: Market) -> None:
    job = market.jobs["released"]
    report = check_settlements(market.events, market.reader, job_ids=[job])
    assert report.ok, _failures(report)
    giver = dev_account(2).address
    assert not any(m.account == giver for m in report.movements if m.job_id == job)  # nothing paid, nothing slashed
    assert sum(1 for m in report.movements if m.job_id == job and m.kind == "paid") == 2
    # a history in which another slot moved into the gap is reported
    released = _one(market.events, ev.SlotReleased, job)
    doctored = _swap(market.events, released, replace(released, moved_from=0))  # type: ignore[call-arg]
    failures = _failures(check_settlements(doctored, market.reader, job_ids=[job]))
    assert "SlotReleased(worker=" in failures and "moved_from" in failures, failures


def test_a_payment_with_a_changed_amount_is_reported(market: Market) -> None:
    paid = _one(market.events, ev.WorkerPaid, market.jobs["honest"])
    doctored = _swap(market.events, paid, replace(paid, amount=paid.amount + 1))  # type: ignore[attr-defined]
    report = check_settlements(doctored, market.reader, job_ids=[market.jobs["honest"]])
    assert not report.ok
    assert "WorkerPaid(worker=" in _failures(report) and "where the rule gives" in _failures(report)
    assert f"tx 0x{paid.tx_hash.hex()}" in _failures(report)


def test_a_missing_slash_is_reported(market: Market) -> None:
    job = market.jobs["silent"]
    slash = _one(market.events, ev.WorkerSlashed, job, reason=SlashReason.NO_REVEAL)
    report = check_settlements(_swap(market.events, slash, None), market.reader, job_ids=[job])
    assert "missing WorkerSlashed(" in _failures(report) and "reason=no reveal" in _failures(report)


def test_a_slash_with_the_wrong_reason_is_reported(market: Market) -> None:
    job = market.jobs["vanished"]
    slash = _one(market.events, ev.WorkerSlashed, job)
    wrong = replace(slash, reason=SlashReason.WRONG_RESULT)  # type: ignore[call-arg]
    report = check_settlements(_swap(market.events, slash, wrong), market.reader, job_ids=[job])
    failures = _failures(report)
    assert "unexpected WorkerSlashed(" in failures and "reason=wrong result" in failures
    assert "missing WorkerSlashed(" in failures and "reason=deadline missed" in failures


def test_a_refund_short_of_escrow_less_payments_is_reported(market: Market) -> None:
    job = market.jobs["unlocked"]
    refund = _one(market.events, ev.Refunded, job)
    doctored = _swap(market.events, refund, replace(refund, amount=refund.amount - 1))  # type: ignore[attr-defined]
    assert "Refunded(requester=" in _failures(check_settlements(doctored, market.reader, job_ids=[job]))


def test_a_juror_the_seed_did_not_draw_is_reported(market: Market) -> None:
    job = market.jobs["disputed"]
    drawn = _one(market.events, ev.JurorDrawn, job)
    stranger = replace(drawn, juror=dev_account(9).address)  # type: ignore[call-arg]
    report = check_settlements(_swap(market.events, drawn, stranger), market.reader, job_ids=[job])
    assert f"unexpected JurorDrawn(juror={dev_account(9).address}" in _failures(report)
    assert "court draw: missing JurorDrawn(" in _failures(report)


def test_a_juror_fee_and_a_ruling_that_are_not_the_rules_are_reported(market: Market) -> None:
    job = market.jobs["disputed"]
    fee = _one(market.events, ev.JurorPaid, job)
    resolved = _one(market.events, ev.RoundResolved, job, round=1)
    doctored = _swap(market.events, fee, replace(fee, amount=fee.amount * 2))  # type: ignore[attr-defined]
    doctored = _swap(doctored, resolved, replace(resolved, digest=LIE))  # type: ignore[call-arg]
    failures = _failures(check_settlements(doctored, market.reader, job_ids=[job]))
    assert "JurorPaid(juror=" in failures and "RoundResolved(round=1" in failures


def test_an_auditor_the_seed_did_not_draw_is_reported(market: Market) -> None:
    job = market.jobs["audited"]
    drawn = _one(market.events, ev.AuditorDrawn, job)
    report = check_settlements(
        _swap(market.events, drawn, replace(drawn, auditor=dev_account(9).address)), market.reader, job_ids=[job]
    )  # type: ignore[call-arg]
    assert "AuditorDrawn(auditor=" in _failures(report) and "where the rule gives" in _failures(report)


def test_the_command_exits_1_on_a_doctored_history(market: Market, agora, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import verifier.audit

    paid = _one(market.events, ev.WorkerPaid, market.jobs["silent"])
    doctored = _swap(market.events, paid, replace(paid, amount=1))  # type: ignore[call-arg]
    monkeypatch.setattr(verifier.audit, "scan_events", lambda *a, **k: doctored)
    code, out = agora("job", "0x" + market.jobs["silent"].hex())
    assert code == 1, out
    failures = [line for line in out.splitlines() if line.startswith("FAIL ")]
    assert len(failures) == 1 and "WorkerPaid(worker=" in failures[0] and f"block {paid.block}" in failures[0]
    assert "FAILED: 1 discrepancies in" in out


# -- a doctored transfer fails conservation ------------------------------------------------------------


def test_a_doctored_transfer_breaks_conservation(market: Market, agora, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import verifier.audit

    market_address = market.deployment.address("JobMarket")
    deposit = next(e for e in market.events if isinstance(e, ev.AgoraTokenTransfer) and e.to == market_address)
    doctored = _swap(market.events, deposit, replace(deposit, value=deposit.value - 1))  # type: ignore[attr-defined]
    report = check_conservation(doctored, market.reader, token_block=market.token_block)
    failures = _failures(report)
    assert "Deposited without its token transfer" in failures
    assert f"{deposit.from_} holds" in failures  # type: ignore[attr-defined]
    theft = replace(deposit, value=5, to=dev_account(9).address, from_=market_address, log_index=999)  # type: ignore[call-arg]
    report = check_conservation([*market.events, theft], market.reader, token_block=market.token_block)
    assert "AGR left JobMarket to" in _failures(report) and "with no event saying why" in _failures(report)
    monkeypatch.setattr(verifier.audit, "scan_events", lambda *a, **k: doctored)
    code, out = agora("conservation")
    assert code == 1 and "FAIL conservation: Deposited without its token transfer" in out, out


# -- code from other source fails verify-code --------------------------------------------------------


def _batcher_from_other_source(tmp: Path) -> dict[str, str]:
    """JobBatcher compiled from a copy of the sources with one comparison changed."""
    copy = tmp / "repo"
    (copy / "contracts").mkdir(parents=True)
    shutil.copytree(ROOT / "contracts" / "src", copy / "contracts" / "src")
    shutil.copy(ROOT / "contracts" / "foundry.toml", copy / "contracts" / "foundry.toml")
    for linked in ("node_modules", "tools"):
        (copy / linked).symlink_to(ROOT / linked)
    source = copy / "contracts" / "src" / "JobBatcher.sol"
    text = source.read_text()
    assert "requests.length != signatures.length" in text
    source.write_text(text.replace("requests.length != signatures.length", "requests.length > signatures.length"))
    forge = next(iter(sorted((ROOT / "node_modules" / "@foundry-rs").glob("forge-*/bin/forge"))))
    out = tmp / "out"
    subprocess.run(
        [str(forge), "build", "src/JobBatcher.sol", "--out", str(out), "--cache-path", str(tmp / "cache")],
        cwd=copy / "contracts",
        check=True,
        capture_output=True,
    )
    raw = json.loads((out / "JobBatcher.sol" / "JobBatcher.json").read_text())
    return {"abi": raw["abi"], "bytecode": raw["bytecode"]["object"]}


def test_verify_code_passes_then_fails_on_other_source_and_a_wrong_address(  # type: ignore[no-untyped-def]
    market: Market, agora, tmp_path: Path
) -> None:
    market.compiling.result()  # the command compiles through the same cached build
    code, out = agora("verify-code")
    assert code == 0, out
    assert "JobMarket: metadata solc 0.8.37; immutables " in out and "no discrepancies" in out
    assert "ProofCourt: metadata solc 0.8.37; immutables market=" in out

    other = _batcher_from_other_source(tmp_path)
    assert other["bytecode"] != artifact("JobBatcher")["bytecode"]
    contract = market.w3.eth.contract(abi=other["abi"], bytecode=other["bytecode"])
    data = contract.constructor(market.deployment.address("JobMarket")).data_in_transaction
    impostor = str(Transactor(market.w3, dev_account(0)).send(to=None, data=data)["contractAddress"])
    record = json.loads(market.deployment.to_json())
    record["contracts"]["JobBatcher"]["address"] = impostor
    record["contracts"]["JobMarket"]["address"] = market.deployment.address("Court")
    path = tmp_path / "doctored.json"
    path.write_text(json.dumps(record))
    code, out = agora("verify-code", "--deployment", str(path))
    assert code == 1, out
    failures = [line for line in out.splitlines() if line.startswith("FAIL ")]
    assert any(f"JobBatcher at {impostor}: the code differs from the sources from byte" in f for f in failures), out
    assert any(f"JobMarket at {market.deployment.address('Court')}: " in f and "bytes on chain" in f for f in failures)
    assert any("Court.market() is" in f and "the record's JobMarket is" in f for f in failures)

    report = AuditReport()  # the library's checker, on the build the command made (cached per sources)
    verify_code(
        market.w3, Deployment(**record), market.compiling.result(), at=int(market.w3.eth.block_number), report=report
    )
    assert {f.message.split(":")[0] for f in report.findings} >= {f"JobBatcher at {impostor}"}
