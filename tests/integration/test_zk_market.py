"""`ZK` jobs in a market: an API over the served chain with real store nodes, the example wordcount
program registered as `wordcount.programs.agora` (compiled, set up, its lean verifier deployed, its
artifacts stored, named) once for the module.

A worker daemon checks a posted job, proves it before locking, locks, submits and is paid, and the
requester reads the word count back from the result block; a job whose request pins another
verifier, or whose input is not the block its commitment names, is never locked (nothing spent).
Proving runs in the daemon's execution pool (no Ray in the test process: ray_driver.py); `agora up`
runs it on Ray. Through the CLI and the REST API: `agora program register --zok` names a program,
`agora job submit --zk NAME --input FILE` stores the block and the job's spec and submits a request
pinning the program's verifier, a proving worker takes it, and `agora job status` shows the count
the proof committed to; the API serves no result block but the one the proof committed to; the
intake refuses a ZK request whose pin, input commitment or spec is not what it names.

The tests share the market and run in file order: every job a test leaves open is one no worker
can prove, but the intake test's, so that one comes last.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import orjson
import pytest
from eth_utils import keccak

import zk
from duties.zkjobs import Prepared, Prover
from ledger import JobMarket, JobStatus, Mode, Names, StakeManager, Transactor, Verdict, dev_account, new_request
from marketplace.client import ApiClient, ApiError
from store import digest_of
from verifier import check_proofs
from worker import Phase
from zk.jobs import ZkJob

from ..conftest import ROOT
from .api_market import job_id_in
from .test_jury import ticks_until
from .zk_world import Examples, ZkMarket, find_program, post_zk_job, prover_daemon, zk_market

pytestmark = pytest.mark.slow

REQUESTER, WORKER, PROVER = 1, 5, 6
PROGRAM = ROOT / "examples" / "programs" / "zk" / "wordcount.zok"
TEXT = b"a proof of a count\nof words, bound to its job"


@pytest.fixture(scope="module")
def world(served_chain: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZkMarket]:
    with zk_market(served_chain, tmp_path_factory, requester=REQUESTER, provers=[WORKER, PROVER]) as world:
        yield world


@pytest.fixture(scope="module")
def market(world: ZkMarket) -> dict[str, object]:
    """What the `agora` fixture runs the CLI against."""
    return world.api


# -- a worker daemon ---------------------------------------------------------------------------


def test_the_program_is_registered_under_its_name(world: ZkMarket) -> None:
    names = Names(world.w3, world.deployment)
    assert names.resolve("wordcount.programs.agora") == world.program.verifier
    assert names.text("wordcount.programs.agora", "zk.program") == world.manifest
    found, cid = find_program(world.w3, world.deployment, world.store, "wordcount")
    assert (found, cid) == (world.program, world.manifest)
    assert world.program.pin == world.requester.verifier_pin(world.program.verifier)
    key = zk.VerificationKey.from_bytes(world.store.get(world.program.verification_key))
    code = bytes(world.w3.eth.get_code(world.program.verifier))
    assert keccak(code) == world.program.code_hash
    assert key.inputs == len(zk.PUBLIC_INPUTS) == 3  # the binding and the two commitments


def test_a_worker_proves_locks_submits_and_is_paid(
    world: ZkMarket, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="agora.worker")
    daemon = prover_daemon(world, tmp_path / "worker", WORKER)
    market = JobMarket(world.w3, world.deployment)
    try:
        request, job_id = post_zk_job(world, TEXT, requester=REQUESTER)
        ticks_until(daemon, lambda: market.job(job_id).status != JobStatus.OPEN, limit=240)
        assert market.job(job_id).status == JobStatus.SETTLED
        record = daemon.state.get(job_id)
        assert record is not None
        ticks_until(daemon, lambda: daemon.state.get(job_id).phase == Phase.DONE)  # type: ignore[union-attr]
        assert market.balance_of(dev_account(WORKER).address) == request.max_price
        block = world.store.get(record.result_cid)
        assert int.from_bytes(block[:32], "big") == len(TEXT.split())  # the word count
        assert zk.commitment(block) == market.slot(job_id, 0).sealed  # the commitment the proof bound
        assert f"job {job_id.hex()[:10]}: proving it before locking" in caplog.text
        # the auditor's second opinion: the proof checked in Python with the program's key
        (check,) = check_proofs(world.w3, world.deployment, world.store, job_id)
        assert (check.on_chain, check.in_python, check.agrees) == (Verdict.VALID, True, True)
        assert check.program == "wordcount.programs.agora" and check.prover == dev_account(WORKER).address
    finally:
        daemon.close()


def test_a_verifier_that_is_not_the_programs_costs_the_worker_nothing_and_the_auditor_sees_it(
    world: ZkMarket, tmp_path: Path, zk_examples: Examples
) -> None:
    """A requester publishes a manifest pairing the program's keys with a verifier of other keys
    (it refuses every proof made with them): the worker compiles the key's lean verifier, finds
    other code at the pinned address and walks away before locking; a worker that does not check
    is slashed, and `check_proofs` says the court's verdict is not what the program's key gives."""
    other = zk_examples["wordcount"]  # another setup of the same program: its verifier refuses our proofs
    assert other.keys.verification_key.to_bytes() != world.store.get(world.program.verification_key)
    deployer = Transactor(world.w3, dev_account(0))
    address = deployer.send(to=None, data=other.lean.bytecode)["contractAddress"]
    code_hash = keccak(bytes(world.w3.eth.get_code(address)))
    rogue = replace(world.program, verifier=str(address), code_hash=code_hash)
    manifest = world.store.put(rogue.to_bytes())
    daemon = prover_daemon(world, tmp_path / "worker", WORKER)
    market = JobMarket(world.w3, world.deployment)
    stakes = StakeManager(world.w3, world.deployment)
    staked = sum(stakes.stake_of(dev_account(WORKER).address))
    try:
        request, job_id = post_zk_job(world, TEXT, requester=REQUESTER, manifest=manifest, verifier_pin=rogue.pin)
        ticks_until(daemon, lambda: getattr(daemon.state.get(job_id), "phase", None) == Phase.SKIPPED, limit=240)
        note = daemon.state.get(job_id).note  # type: ignore[union-attr]
        assert "is not the lean verifier of wordcount.programs.agora's key" in note, note
        assert market.job(job_id).locked == 0 and sum(stakes.stake_of(dev_account(WORKER).address)) == staked
    finally:
        daemon.close()
    naive = JobMarket(world.w3, world.deployment, Transactor(world.w3, dev_account(WORKER)))
    naive.lock(job_id)
    block = TEXT.ljust(64, b"\0")
    proven = Prover(world.store, max_blob=1 << 30).prove(
        job_id, request, dev_account(WORKER).address, prepared=Prepared(rogue, block)
    )
    naive.submit_proof(request, proven.digest, digest_of(proven.result_cid), proven.proof)
    assert market.job(job_id).status == JobStatus.EXPIRED  # slashed InvalidProof
    (check,) = check_proofs(world.w3, world.deployment, world.store, job_id)
    assert (check.on_chain, check.in_python, check.agrees) == (Verdict.INVALID, True, False)


def test_a_job_that_cannot_be_proven_as_posted_is_never_locked(world: ZkMarket, tmp_path: Path) -> None:
    daemon = prover_daemon(world, tmp_path / "worker", WORKER)
    market = JobMarket(world.w3, world.deployment)
    stake = sum(StakeManager(world.w3, world.deployment).stake_of(dev_account(WORKER).address))
    try:
        other_pin = replace(world.program, code_hash=os.urandom(32)).pin
        _, wrong_pin = post_zk_job(world, TEXT, requester=REQUESTER, verifier_pin=other_pin)
        other_input = zk.commitment(b"another text".ljust(64, b"\0"))
        _, wrong_input = post_zk_job(world, TEXT, requester=REQUESTER, input_digest=other_input)
        for job_id in (wrong_pin, wrong_input):
            ticks_until(
                daemon, lambda j=job_id: daemon.state.get(j) is not None and daemon.state.get(j).phase == Phase.SKIPPED
            )  # type: ignore[union-attr,misc]
            assert market.job(job_id).locked == 0
        assert "pins verifier" in daemon.state.get(wrong_pin).note  # type: ignore[union-attr]
        assert "input block is not the one" in daemon.state.get(wrong_input).note  # type: ignore[union-attr]
        assert sum(StakeManager(world.w3, world.deployment).stake_of(dev_account(WORKER).address)) == stake
    finally:
        daemon.close()


# -- the CLI and the API -----------------------------------------------------------------------


def test_register_submit_prove_and_read_the_count(agora, world: ZkMarket, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    said = agora("program", "register", "--zok", str(PROGRAM), "--name", "counts", "--from", "dev:0")
    assert "registered counts.programs.agora" in said and "the result program" in said, said
    (tmp_path / "text").write_bytes(TEXT)
    submitted = agora("job", "submit", "--zk", "counts", "--input", str(tmp_path / "text"), "--from", "dev:1")
    assert "(accepted; escrow 10 AGR)" in submitted, submitted
    job_id = job_id_in(submitted.split("job      ")[1])
    assert world.api["relayer"].step() == 1
    daemon = prover_daemon(world, tmp_path / "worker", PROVER)
    chain = JobMarket(world.w3, world.deployment)
    try:
        deadline = time.monotonic() + 240
        while chain.job(bytes.fromhex(job_id[2:])).status == JobStatus.OPEN:
            assert time.monotonic() < deadline, "the worker did not prove the job in time"
            daemon.tick()
    finally:
        daemon.close()
    world.api["indexer"].catch_up()
    status = agora("job", "status", job_id)
    assert "status   settled" in status, status
    assert f"result   {len(TEXT.split())}  (proven: commitment 0x" in status, status
    audited = agora("audit", "proof", job_id)
    assert (
        audited.startswith("ok   counts.programs.agora: proof by 0x") and "proof court valid, Python valid" in audited
    )
    assert "no proof of job" in agora("audit", "proof", "0x" + "ab" * 32, ok=False)


def test_the_api_serves_no_result_block_but_the_one_the_proof_committed_to(world: ZkMarket) -> None:
    """A prover proves the true count, then names a block it stored with another count (the same
    salt) as the result: the proof binds the commitment, so the court finds it valid and the job
    settles, but the API refuses to serve the block (404 result-not-stored)."""
    request, job_id = post_zk_job(world, TEXT, requester=REQUESTER)
    prover = JobMarket(world.w3, world.deployment, Transactor(world.w3, dev_account(PROVER)))
    prover.lock(job_id)
    block = TEXT.ljust(64, b"\0")
    proven = Prover(world.store, max_blob=1 << 30).prove(
        job_id, request, dev_account(PROVER).address, prepared=Prepared(world.program, block)
    )
    honest = world.store.get(proven.result_cid)
    forged = (int.from_bytes(honest[:32], "big") + 1).to_bytes(32, "big") + honest[32:]
    assert zk.commitment(forged) != proven.digest == zk.commitment(honest)
    prover.submit_proof(request, proven.digest, digest_of(world.store.put(forged)), proven.proof)
    assert JobMarket(world.w3, world.deployment).job(job_id).status == JobStatus.SETTLED
    world.api["indexer"].catch_up()
    with ApiClient(world.api["url"]) as client:
        with pytest.raises(ApiError) as refused:
            client.result("0x" + job_id.hex())
    assert refused.value.status == 404 and refused.value.kind == "result-not-stored", refused.value.problem
    assert "is not the result block" in str(refused.value), refused.value.problem


def test_registering_bad_input_is_one_clear_line_and_spends_nothing(agora, world: ZkMarket, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "broken.zok").write_text("def main(field a) {\n    assert(a == b);\n    return;\n}\n")
    (tmp_path / "free.zok").write_text("def main(field a, private field b) {\n    assert(a == b);\n    return;\n}\n")
    (tmp_path / "vk.json").write_text("{}")
    before = world.w3.eth.get_transaction_count(dev_account(0).address)
    for args, says in [
        (["--zok", str(tmp_path / "broken.zok"), "--name", "broken"], 'Identifier "b" is undefined'),
        (["--zok", str(tmp_path / "free.zok"), "--name", "free"], "public inputs"),
        (["--zok", str(PROGRAM), "--name", "Not_A_Label"], "invalid name"),
        (["--zok", str(PROGRAM), "--name", "x", "--verification-key", str(tmp_path / "vk.json")], "give both"),
        (
            ["--zok", str(PROGRAM), "--name", "x", "--verification-key", str(tmp_path / "vk.json")]
            + ["--proving-key", str(tmp_path / "vk.json")],
            "is not a ZoKrates verification key",
        ),
    ]:
        said = agora("program", "register", *args, "--from", "dev:0", ok=False)
        error = [line for line in said.splitlines() if line.startswith("Error: ")]
        assert len(error) == 1 and says in error[0] and "Traceback" not in said, (args, said)
    assert world.w3.eth.get_transaction_count(dev_account(0).address) == before  # no transaction sent


def test_registering_with_an_outside_ceremonys_keys_stores_and_verifies_with_them(  # type: ignore[no-untyped-def]
    agora, world: ZkMarket, tmp_path: Path, zk_examples: Examples
) -> None:
    """`--proving-key/--verification-key`: no setup of its own; the name's keys are the ceremony's,
    and its verifier is the lean verifier of that verification key."""
    ceremony = zk_examples["wordcount"].keys  # another setup of the same program
    (tmp_path / "ceremony.pk").write_bytes(ceremony.proving_key)
    (tmp_path / "ceremony.vk.json").write_bytes(orjson.dumps(ceremony.verification_key.to_json()))
    said = agora(
        "program", "register", "--zok", str(PROGRAM), "--name", "ceremony", "--from", "dev:0",
        "--proving-key", str(tmp_path / "ceremony.pk"), "--verification-key", str(tmp_path / "ceremony.vk.json"),
    )  # fmt: skip
    assert "registered ceremony.programs.agora" in said, said
    program, _ = find_program(world.w3, world.deployment, world.store, "ceremony")
    assert world.store.get(program.proving_key) == ceremony.proving_key
    assert world.store.get(program.verification_key) == ceremony.verification_key.to_bytes()
    assert program.verification_key != world.program.verification_key  # not the module's own setup
    lean = zk.compile_verifier(zk.lean_verifier(ceremony.verification_key))
    reference = Transactor(world.w3, dev_account(0)).send(to=None, data=lean.bytecode)["contractAddress"]
    deployed = bytes(world.w3.eth.get_code(program.verifier))
    assert deployed and deployed == bytes(world.w3.eth.get_code(reference))


def test_the_intake_refuses_a_zk_request_that_is_not_what_it_names(world: ZkMarket) -> None:
    """Last: the good request it posts stays open, and a proving daemon would take it."""
    block = TEXT.ljust(64, b"\0")
    spec = ZkJob(program=world.manifest, input=world.store.put(block))
    client = ApiClient(world.api["url"])
    client.signer = dev_account(REQUESTER)
    good = new_request(
        client.chain_time(),
        requester=dev_account(REQUESTER).address,
        program_id=digest_of(world.store.put(spec.to_bytes())),
        input_digest=zk.commitment(block),
        verifier_pin=world.program.pin,
        mode=Mode.ZK,
        redundancy=1,
        quorum=1,
    )
    not_a_spec = digest_of(world.store.put(b'{"format": "agora.zk.job.v0"}'))
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
    assert world.api["relayer"].step() == 1  # only the good request was acknowledged
