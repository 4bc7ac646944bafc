"""`ZK` jobs on the embedded chain, through the proof court, with a real Groth16 program (the
preimage example), its lean verifier deployed and pinned by the requests: a valid proof pays; a
proof replayed on another job, a tampered proof and a verifier without code are each handled as the
protocol says; the auditor re-runs every verdict from the chain alone and finds them right, tokens
conserved, and flags a doctored verdict."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from eth_utils import keccak
from web3 import Web3

import zk
from ledger import (
    Deployment,
    EmbeddedChain,
    JobMarket,
    JobRequest,
    JobStatus,
    Mode,
    StakeManager,
    Transactor,
    Verdict,
    connect,
    deploy,
    dev_account,
    pin_of,
)
from ledger import events as ev
from ledger.proofs import VERIFY_TX, court_inputs
from verifier import ChainReader, check_conservation, check_settlements, scan_events
from verifier._audit_chain import creation_block

from .market_helpers import STAKE, Actors, fund_actors, make_request, post
from .zk_world import Examples

pytestmark = pytest.mark.slow

Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583
CID = b"\x02" * 32
NO_RESULT = b"\x00" * 32  # the preimage program proves knowledge: its result commitment is 0


@dataclass
class World:
    w3: Web3
    deployment: Deployment
    actors: Actors
    program: zk.Program
    keys: zk.Keys
    secret: bytes
    pin: bytes
    jobs: dict[str, bytes]
    requests: dict[str, JobRequest]


def words(block: bytes) -> list[str]:
    return [f"0x{int.from_bytes(block[i : i + 4], 'big'):08x}" for i in range(0, len(block), 4)]


def zk_request(w3: Web3, pin: bytes, secret: bytes) -> JobRequest:
    return make_request(
        w3,
        k=1,
        q=1,
        mode=Mode.ZK,
        program_id=keccak(text="preimage"),
        input_digest=zk.commitment(secret),
        verifier_pin=pin,
    )


def prove(world: World, job_id: bytes, prover: str) -> zk.Proof:
    statement = zk.JobStatement.from_public_inputs(court_inputs(job_id, prover, zk.commitment(world.secret), NO_RESULT))
    return zk.prove_job(world.program, world.keys.proving_key, statement, [words(world.secret)])


def _scenarios(world: World) -> None:
    w3, actors = world.w3, world.actors
    w, me = actors.workers, [dev_account(2 + i).address for i in range(3)]

    def take(name: str, worker: int, pin: bytes | None = None) -> bytes:
        world.requests[name] = request = zk_request(w3, pin or world.pin, world.secret)
        world.jobs[name] = job = post(actors, request)
        w[worker].lock(job)
        return job

    valid = prove(world, take("valid", 0), me[0])
    w[0].submit_proof(world.requests["valid"], NO_RESULT, CID, valid.encoded())
    # the same program and input, another job, another worker: the valid proof, replayed
    take("replayed", 1)
    w[1].submit_proof(world.requests["replayed"], NO_RESULT, CID, valid.encoded())
    own = prove(world, take("tampered", 2), me[2])
    negated = replace(own, a=(own.a[0], Q - own.a[1]))
    w[2].submit_proof(world.requests["tampered"], NO_RESULT, CID, negated.encoded())
    nowhere = "0x" + os.urandom(20).hex()
    take("no code", 0, pin_of(nowhere, keccak(b"")))
    w[0].submit_proof(world.requests["no code"], NO_RESULT, CID, valid.encoded())


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, zk_examples: Examples) -> Iterator[World]:
    chain = EmbeddedChain()
    w3 = connect(chain=chain)
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), tmp_path_factory.mktemp("zk"), audit_bps=0)
    try:
        built = zk_examples["preimage"]  # compiled, set up and its lean verifier compiled once a session
        program, keys, contract = built.program, built.keys, built.lean
        sent = w3.eth.send_transaction({"from": dev_account(0).address, "data": contract.bytecode, "gas": 6_000_000})
        verifier = w3.eth.wait_for_transaction_receipt(sent)["contractAddress"]
        actors = fund_actors(w3, deployment, workers=3)
        pin = actors.requester.verifier_pin(verifier)
        assert pin == pin_of(verifier, keccak(bytes(w3.eth.get_code(verifier))))
        selector = w3.eth.contract(abi=contract.abi).get_function_by_name("verifyTx").signature
        assert keccak(text=selector)[:4] == VERIFY_TX, selector  # what the audit calls is the verifier's ABI
        world = World(w3, deployment, actors, program, keys, os.urandom(64), pin, {}, {})
        _scenarios(world)
        yield world
    finally:
        chain.close()


def _events(world: World) -> tuple[list[ev.Event], ChainReader]:
    reader = ChainReader(world.w3, world.deployment)
    return scan_events(world.w3, world.deployment, start=0, end=reader.at), reader


def test_each_proof_is_settled_as_the_protocol_says(world: World) -> None:
    market = JobMarket(world.w3, world.deployment)
    statuses = {name: market.job(job).status for name, job in world.jobs.items()}
    assert statuses == {
        "valid": JobStatus.SETTLED,
        "replayed": JobStatus.EXPIRED,
        "tampered": JobStatus.EXPIRED,
        "no code": JobStatus.VOID,
    }
    stakes = StakeManager(world.w3, world.deployment)
    staked = [sum(stakes.stake_of(dev_account(2 + i).address)) for i in range(3)]
    collateral = world.requests["valid"].collateral
    assert staked == [STAKE, STAKE - collateral, STAKE - collateral]  # worker 0 never slashed
    prices = {name: market.slot(job, 0).price for name, job in world.jobs.items()}
    # worker 0: paid for the valid proof, and for the job whose pinned verifier has no code
    assert market.balance_of(dev_account(2).address) == prices["valid"] + prices["no code"]
    assert market.balance_of(dev_account(3).address) == market.balance_of(dev_account(4).address) == 0


def test_the_python_verifier_agrees_with_the_chain(world: World) -> None:
    key = world.keys.verification_key
    events, _ = _events(world)
    for e in events:
        if not isinstance(e, ev.ProofChecked) or e.verdict == Verdict.UNVERIFIABLE:
            continue
        name = next(n for n, j in world.jobs.items() if j == e.job_id)
        proof_valid = name == "valid"
        assert (e.verdict == Verdict.VALID) == proof_valid, name
    statement = zk.JobStatement.from_public_inputs(
        court_inputs(world.jobs["replayed"], dev_account(3).address, zk.commitment(world.secret), NO_RESULT)
    )
    valid = prove(world, world.jobs["valid"], dev_account(2).address)
    assert not zk.verify_job(key, valid, statement)  # the replay, refused in Python as on chain


def test_the_audit_rederives_every_verdict_and_conserves_tokens(world: World) -> None:
    events, reader = _events(world)
    report = check_settlements(events, reader)
    assert report.ok, "\n".join(f.line() for f in report.findings)
    moves = {(m.job_id, m.kind, m.why.split(":")[0]) for m in report.movements}
    assert (world.jobs["replayed"], "slashed", "invalid proof") in moves
    assert (world.jobs["tampered"], "slashed", "invalid proof") in moves
    assert (world.jobs["no code"], "paid", "job void") in moves
    token_block = creation_block(world.w3, world.deployment.address("AgoraToken"), before=world.deployment.block)
    conservation = check_conservation(events, reader, token_block=token_block)
    assert conservation.ok, "\n".join(f.line() for f in conservation.findings)


def test_the_audit_flags_a_doctored_verdict(world: World) -> None:
    events, reader = _events(world)
    job = world.jobs["replayed"]
    checked = next(e for e in events if isinstance(e, ev.ProofChecked) and e.job_id == job)
    doctored = [replace(e, verdict=Verdict.VALID) if e is checked else e for e in events]
    report = check_settlements(doctored, reader, job_ids=[job])
    assert not report.ok
    assert any("re-run, the rules say invalid" in f.message for f in report.findings), [
        f.line() for f in report.findings
    ]
