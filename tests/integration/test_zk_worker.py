"""A proving worker, in-process on the embedded chain with real store nodes: the example wordcount
program registered as `wordcount.programs.agora` (compiled, set up, its lean verifier deployed, its
artifacts stored, named), a `ZK` job posted for a text, and a worker daemon that checks the job,
proves it before locking, locks, submits, and is paid; the requester reads the word count back
from the result block. A job whose request pins another verifier, or whose input is not the block
its commitment names, is never locked (nothing spent). Proving runs in the daemon's execution pool
here (no Ray in the test process: see tests/integration/ray_driver.py); `agora up` runs it on Ray."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from eth_utils import keccak
from web3 import Web3

import zk
from duties.zkjobs import Prepared, Prover, find_program, register_program
from ledger import (
    Deployment,
    EmbeddedChain,
    JobMarket,
    JobRequest,
    JobStatus,
    Mode,
    Names,
    StakeManager,
    Token,
    Transactor,
    Verdict,
    connect,
    deploy,
    dev_account,
    new_request,
)
from ledger.clock import ChainClock
from store import StoreClient, digest_of
from verifier import check_proofs
from worker import BidPolicy, Phase, Worker, WorkerConfig
from zk.jobs import ZkJob, ZkProgram

from .store_cluster import Node, start_cluster, stop_all
from .test_jury import ticks_until

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "programs" / "zk"
AGR = 10**18
WORKER, REQUESTER = 5, 1
TEXT = b"a proof of a count\nof words, bound to its job"


@dataclass
class World:
    w3: Web3
    deployment: Deployment
    nodes: list[Node]
    store: StoreClient
    program: ZkProgram
    manifest: str
    requester: JobMarket


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("zkworker")
    chain = EmbeddedChain()
    w3 = connect(chain=chain)
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), root, audit_bps=0)
    nodes = start_cluster(root / "store", ["eu", "eu", "us"], writers="any")
    store = StoreClient([n.url for n in nodes], k=2, m=1)
    try:
        program, manifest = register_program(
            (EXAMPLES / "wordcount.zok").read_text(),
            name="wordcount",
            location="wordcount.zok",
            result_source=(EXAMPLES / "wordcount.result.zok").read_text(),
            w3=w3,
            deployment=deployment,
            transactor=Transactor(w3, dev_account(0)),
            store=store,
        )
        owner = Token(w3, deployment, Transactor(w3, dev_account(0)))
        owner.faucet(dev_account(WORKER).address, 1_000 * AGR)
        StakeManager(w3, deployment, Transactor(w3, dev_account(WORKER))).stake(1_000 * AGR, 0)
        owner.faucet(dev_account(REQUESTER).address, 1_000 * AGR)
        requester = JobMarket(w3, deployment, Transactor(w3, dev_account(REQUESTER)))
        requester.deposit(1_000 * AGR)
        yield World(w3, deployment, nodes, store, program, manifest, requester)
    finally:
        store.close()
        stop_all(nodes)
        chain.close()


def _job(world: World, text: bytes, manifest: str | None = None, **terms: object) -> tuple[JobRequest, bytes]:
    """A ZK request for ``text`` (its spec and input block stored), posted."""
    block = text.ljust(64, b"\0")
    spec = ZkJob(program=manifest or world.manifest, input=world.store.put(block))
    values: dict[str, object] = {
        "program_id": digest_of(world.store.put(spec.to_bytes())),
        "input_digest": zk.commitment(block),
        "verifier_pin": world.program.pin,
    }
    values |= terms
    request = new_request(
        ChainClock(world.w3).now(),
        requester=dev_account(REQUESTER).address,
        redundancy=1,
        quorum=1,
        mode=Mode.ZK,
        ramp=0,
        **values,  # type: ignore[arg-type]
    )
    signature = request.sign(dev_account(REQUESTER), chain_id=world.deployment.chain_id, market=world.requester.address)
    return request, world.requester.post_job(request, signature)


def _daemon(world: World, tmp_path: Path) -> Worker:
    config = WorkerConfig(
        name="prover",
        state_dir=tmp_path / "worker",
        store_nodes=[n.url for n in world.nodes],
        policy=BidPolicy(),
        poll_interval=0.01,
    )
    store = StoreClient([n.url for n in world.nodes], k=2, m=1)
    return Worker(world.w3, world.deployment, dev_account(WORKER), config, store=store, executor=None)  # type: ignore[arg-type]


def test_the_program_is_registered_under_its_name(world: World) -> None:
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
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="agora.worker")
    daemon = _daemon(world, tmp_path)
    market = JobMarket(world.w3, world.deployment)
    try:
        request, job_id = _job(world, TEXT)
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
    world: World, tmp_path: Path
) -> None:
    """A requester publishes a manifest pairing the program's keys with a verifier of other keys
    (it refuses every proof made with them): the worker compiles the key's lean verifier, finds
    other code at the pinned address and walks away before locking; a worker that does not check
    is slashed, and `check_proofs` says the court's verdict is not what the program's key gives."""
    program = zk.Program.from_bytes(world.store.get(world.program.program))
    other_keys = zk.setup(program)  # another setup of the same program: its verifier refuses our proofs
    contract = zk.compile_verifier(zk.lean_verifier(other_keys.verification_key))
    deployer = Transactor(world.w3, dev_account(0))
    address = deployer.send(to=None, data=contract.bytecode)["contractAddress"]
    code_hash = keccak(bytes(world.w3.eth.get_code(address)))
    rogue = replace(world.program, verifier=str(address), code_hash=code_hash)
    manifest = world.store.put(rogue.to_bytes())
    daemon = _daemon(world, tmp_path)
    market = JobMarket(world.w3, world.deployment)
    stakes = StakeManager(world.w3, world.deployment)
    staked = sum(stakes.stake_of(dev_account(WORKER).address))
    try:
        request, job_id = _job(world, TEXT, manifest=manifest, verifier_pin=rogue.pin)
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


def test_a_job_that_cannot_be_proven_as_posted_is_never_locked(world: World, tmp_path: Path) -> None:
    daemon = _daemon(world, tmp_path)
    market = JobMarket(world.w3, world.deployment)
    stake = sum(StakeManager(world.w3, world.deployment).stake_of(dev_account(WORKER).address))
    try:
        other_pin = replace(world.program, code_hash=os.urandom(32)).pin
        _, wrong_pin = _job(world, TEXT, verifier_pin=other_pin)
        _, wrong_input = _job(world, TEXT, input_digest=zk.commitment(b"another text".ljust(64, b"\0")))
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
