"""Worker daemons end to end: real chain (served), store nodes and a Ray cluster, each daemon a
process of its own. Honest workers are paid; a dishonest one (driven through the Python API) is
slashed with the matching reason; disagreeing reveals go to the court, whose round is drawn from
the workers' stake and decided by a juror daemon that re-executes (two colluding addresses and a
decoy dispute lose to it); an all-colluding quorum is caught by a drawn auditor; a false dispute
loses its bond; a requester breaking unanimity pays for its result; too little stake to draw a
round voids the job; a worker SIGKILLed between commit and reveal recovers; and every scenario
conserves tokens exactly."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from web3 import Web3

from compute import run
from ledger import (
    Court,
    JobMarket,
    JobStatus,
    SlashReason,
    StakeManager,
    Token,
    Transactor,
    artifact,
    dev_account,
    region_index,
    regions_mask,
)
from worker import Conduct, worker_report

from ..conftest import ROOT
from .marketplace import (
    AGR,
    PROGRAMS,
    REQUESTER,
    Daemon,
    Marketplace,
    chain_now,
    outcomes,
    stake_manually,
    start_marketplace,
)

pytestmark = pytest.mark.slow

HONEST = {"alice": 2, "bob": 3, "carol": 4}  # dev account of each honest daemon
DISHONEST = 5
MANUAL = 6
JUROR = 7  # dave: never bids (its least price is above every job's), serves the court in region sg
COLLUDER = 8  # driven by hand: reveals mallory's junk beside it
BURN_SHARE = 0.2
UNBONDING = 60  # the dev chain's: stake counts in the juror pool once this old


CONDUCTS = ("wrong_output", "no_reveal", "miss_deadline")
UNRESOLVED = "unresolved"  # an input mallory answers wrongly in a k=2 job nobody can judge
COLLUSION = "collusion"  # an input mallory and the colluder answer alike, wrongly
AUDITED = "audited"  # an input two colluders answer alike, wrongly, holding every slot of its job
SECOND_COLLUDER = 9  # driven by hand with MANUAL (both jp), outside the juror pool


@dataclass
class World:
    m: Marketplace
    honest: dict[str, Daemon]
    dishonest: Daemon
    juror: Daemon
    inputs: dict[str, bytes]  # conduct -> the input of the job mallory fails that way


def scenario_input(conduct: str) -> bytes:
    return f"{conduct} scenario\nsecond line\n".encode()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    m = start_marketplace(tmp_path_factory.mktemp("market"))
    try:
        honest = {
            name: m.start_worker(name, "--from", f"dev:{index}", "--region", region, "--max-concurrent", "3")
            for (name, index), region in zip(HONEST.items(), ("eu", "eu", "us"), strict=True)
        }
        # Inputs name their jobs: mallory is told, per input, how to fail.
        inputs = {conduct: m.upload(scenario_input(conduct)) for conduct in (*CONDUCTS, UNRESOLVED, COLLUSION, AUDITED)}
        conducts = {data.hex(): conduct for conduct, data in inputs.items() if conduct in CONDUCTS}
        conducts[inputs[UNRESOLVED].hex()] = "wrong_output"
        conducts[inputs[COLLUSION].hex()] = "wrong_output"
        spec = {"account": DISHONEST, "region": region_index("ch"), "stake": 500, "conducts": conducts}
        dishonest = m.start_worker("mallory", driver=spec)
        juror = m.start_worker(
            "dave", "--from", f"dev:{JUROR}", "--region", "sg", "--min-price", "1000", "--stake", "500"
        )
        for daemon in [*honest.values(), dishonest, juror]:
            daemon.wait_for("ready:", timeout=180)
        # Let the stakes mature into the juror pool (the chain's clock moved on), and the daemons
        # activate their own.
        m.w3.provider.make_request("evm_increaseTime", [UNBONDING + 1])  # type: ignore[arg-type]
        m.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        juror.wait_for("matured stake joined the juror pool", timeout=60)
        yield World(m, honest, dishonest, juror, inputs)
    finally:
        m.close()


# -- accounting ----------------------------------------------------------------------------------


def holders(m: Marketplace) -> set[str]:
    """Every address that ever held AGR (from Transfer events)."""
    token = m.w3.eth.contract(address=m.deployment.address("AgoraToken"), abi=artifact("AgoraToken")["abi"])
    event = token.events.Transfer()
    logs = m.w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest", "address": token.address, "topics": [event.topic]})
    out = set()
    for entry in logs:
        args = event.process_log(entry)["args"]
        out |= {args["from"], args["to"]}
    out.discard("0x" + "00" * 20)
    return out


@dataclass(frozen=True)
class Books:
    token: dict[str, int]
    market: dict[str, int]
    stake: dict[str, int]
    supply: int

    def value(self, who: str) -> int:
        """Everything ``who`` owns: tokens, its market balance, its stake."""
        return self.token.get(who, 0) + self.market.get(who, 0) + self.stake.get(who, 0)


def books(m: Marketplace) -> Books:
    """The books, checked for internal consistency: balances add up to the supply, the market
    holds exactly its depositors' balances (no job is open in between scenarios), the stake
    manager exactly the stakes."""
    token, market, stakes = Token(m.w3, m.deployment), JobMarket(m.w3, m.deployment), StakeManager(m.w3, m.deployment)
    accounts = holders(m)
    t = {a: token.balance_of(a) for a in accounts}
    b = {a: market.balance_of(a) for a in accounts}
    s = {a: sum(stakes.stake_of(a)) for a in accounts}
    supply = token.total_supply()
    assert sum(t.values()) == supply
    assert t.get(m.deployment.address("Court"), 0) == 0  # no case open in between scenarios, no bond unclaimed
    assert t[m.deployment.address("JobMarket")] == sum(b.values())
    assert t[m.deployment.address("StakeManager")] == sum(s.values()) == stakes.total_staked()
    return Books(t, b, s, supply)


def assert_conserved(m: Marketplace, before: Books, after: Books, burned: int) -> None:
    """What everyone owns (tokens, market balance, stake) fell by exactly what was burned."""
    contracts = {m.deployment.address(name) for name in ("JobMarket", "StakeManager", "Court")}
    people = (set(before.token) | set(after.token)) - contracts
    owned_before = sum(before.value(a) for a in people)
    owned_after = sum(after.value(a) for a in people)
    assert owned_before - owned_after == burned == before.supply - after.supply


def address(index: int) -> str:
    return str(dev_account(index).address)


# -- scenarios -----------------------------------------------------------------------------------


def test_three_honest_workers_settle_a_job_and_are_paid(world: World) -> None:
    m = world.m
    before = books(m)
    program, data = m.program("sha256"), m.upload(b"the quick brown fox\n" * 100)
    request = m.request(program, data, regions=regions_mask(["eu", "us"]))
    job_id = m.post(request)
    job = m.wait_final(job_id)
    assert job.status == JobStatus.SETTLED
    paid, slashed = outcomes(m.w3, m.deployment, job_id)
    assert paid == {address(i): 10 * AGR for i in HONEST.values()}
    assert slashed == {}
    after = books(m)
    assert_conserved(m, before, after, burned=0)
    requester = address(REQUESTER)
    assert after.market[requester] == before.market[requester] - 30 * AGR
    for index in HONEST.values():
        assert after.market[address(index)] == before.market.get(address(index), 0) + 10 * AGR
        assert after.stake[address(index)] == before.stake[address(index)]
    for daemon in world.honest.values():
        daemon.wait_for(f"job {job_id.hex()[:10]}: paid 10 AGR")
        log = daemon.log()
        for step in ("locked at 10 AGR", "executed: ok", "committed", "revealed"):
            assert f"job {job_id.hex()[:10]}: {step}" in log
    # mallory (region ch) was not allowed in, and said so
    world.dishonest.wait_for(f"job {job_id.hex()[:10]}: skipped: region ch not allowed (the job allows eu, us)")
    # the operator's view, from the chain
    report = worker_report(m.w3, m.deployment, address(HONEST["alice"]))
    assert report.earned >= 10 * AGR and report.slashed == 0 and report.region == region_index("eu")
    shown = subprocess.run(
        [sys.executable, "-m", "cli", "worker", "status", "alice"],
        cwd=ROOT,
        env=m.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert "region eu" in shown.stdout
    assert "200 AGR free, 0 locked" in shown.stdout
    assert f"{report.earned // AGR} AGR earned" in shown.stdout
    assert "slashes    0 AGR (none)" in shown.stdout


def test_dishonest_workers_are_slashed_and_the_honest_two_are_paid(world: World) -> None:
    """Three jobs at once, one for each way mallory fails (a wrong result, no reveal, a missed
    deadline). alice and bob (eu) and mallory (ch) take each (dave, in sg, never bids). A wrong
    result disagrees with the others: that job goes to the court, whose round (dave, the only
    staker in the job's regions without a slot) re-executes and decides."""
    m = world.m
    before = books(m)
    program = m.program("wordcount")
    reasons = dict(
        zip(CONDUCTS, (SlashReason.LOST_DISPUTE, SlashReason.NO_REVEAL, SlashReason.DEADLINE_MISSED), strict=True)
    )
    for conduct in CONDUCTS:
        assert m.upload(scenario_input(conduct)) == world.inputs[conduct]
    now = chain_now(m.w3)
    jobs = {
        conduct: m.post(
            m.request(
                program,
                world.inputs[conduct],
                regions=regions_mask(["eu", "ch", "sg"]),
                lock_deadline=now + 15,
                commit_deadline=now + 25,
                reveal_deadline=now + 35,
            )
        )
        for conduct in CONDUCTS
    }
    for job_id in jobs.values():
        m.wait_closed(job_id)
    # The court's round runs in real time; the provisional ones then wait out their challenge
    # window on a clock moved forward, which must not cut the round short.
    finals = {conduct: m.wait_final(jobs[conduct]) for conduct in CONDUCTS}
    alice, bob = address(HONEST["alice"]), address(HONEST["bob"])
    for conduct, job in finals.items():
        assert job.status == JobStatus.SETTLED, conduct
        paid, slashed = outcomes(m.w3, m.deployment, jobs[conduct])
        assert paid == {alice: 10 * AGR, bob: 10 * AGR}, conduct
        assert slashed == {address(DISHONEST): reasons[conduct]}, conduct
    burned = 3 * int(50 * AGR * BURN_SHARE)
    after = books(m)
    assert_conserved(m, before, after, burned=burned)
    requester, cheat, dave = address(REQUESTER), address(DISHONEST), address(JUROR)
    assert after.market[requester] == before.market[requester] - 3 * 20 * AGR
    assert after.stake[cheat] == before.stake[cheat] - 3 * 50 * AGR
    # the lost dispute: the 40 AGR left after the burn pay dave's three seats (10 AGR each, the
    # job's price), and the rest goes to the winning claims: alice's and bob's collateral, 5 AGR
    # each; the other two slashes (50 AGR less the burn each) go to the requester
    assert after.token[dave] == before.token.get(dave, 0) + 30 * AGR
    assert after.stake[dave] == before.stake[dave]
    for honest in (alice, bob):
        assert after.token[honest] == before.token.get(honest, 0) + 5 * AGR
    assert after.token[requester] == before.token[requester] + 2 * (50 * AGR - int(50 * AGR * BURN_SHARE))
    world.juror.wait_for(f"job {jobs['wrong_output'].hex()[:10]}: revealed its vote in round 0")
    for conduct, job_id in jobs.items():
        world.dishonest.wait_for(f"job {job_id.hex()[:10]}: slashed 50 AGR ({reasons[conduct].describe()})")


def test_two_colluding_addresses_and_a_decoy_lose_to_the_drawn_round(world: World) -> None:
    """carol (us) is honest; mallory and a colluder (both ch) reveal the same junk, a quorum of two
    against one. The reveals disagree, so the job goes to the court by itself; the colluder also
    bonds a decoy dispute naming a third digest. The drawn round (dave, in sg) re-executes and
    decides for carol's digest, for everyone: both colluders slashed LostDispute, the decoy's
    bond lost, carol paid her price and the pot's rest."""
    m = world.m
    wasm = (PROGRAMS / "wordcount.wasm").read_bytes()
    program, data = m.upload(wasm), world.inputs[COLLUSION]
    account = dev_account(COLLUDER)
    Token(m.w3, m.deployment, Transactor(m.w3, dev_account(0))).faucet(account.address, 60 * AGR)
    colluder, _ = stake_manually(m, COLLUDER, region_index("ch"))
    before = books(m)
    now = chain_now(m.w3)
    request = m.request(
        program,
        data,
        regions=regions_mask(["us", "ch", "sg"]),
        lock_deadline=now + 15,
        commit_deadline=now + 25,
        reveal_deadline=now + 35,
    )
    junk = Conduct.WRONG_OUTPUT.result(run(wasm, scenario_input(COLLUSION), fuel=request.fuel_limit)).digest
    job_id = m.post(request)
    slot, _ = colluder.lock(job_id)
    salt = b"\x22" * 32
    colluder.commit(job_id, slot, junk, salt)
    market = JobMarket(m.w3, m.deployment)
    court = Court(m.w3, m.deployment, Transactor(m.w3, account))
    bond = court.min_bond(job_id, 0)
    assert bond == 60 * AGR  # 3 seats and 3 slots at the job's price
    others = 0b111 & ~(1 << slot)
    deadline = time.monotonic() + 60
    while market.job(job_id).revealed_mask != others:  # carol and mallory first
        assert time.monotonic() < deadline, world.honest["carol"].log()
        time.sleep(0.1)
    colluder.reveal(job_id, slot, junk, salt, b"\x00" * 32)  # the last reveal: the case opens
    assert market.job(job_id).status == JobStatus.DISPUTED
    # at once, while no vote of the round is revealed (the juror must still re-execute)
    court.dispute(job_id, b"\xde" * 32, bond)
    job = m.wait_final(job_id)
    assert job.status == JobStatus.SETTLED
    assert court.case(job_id).round == 0
    carol, mallory, dave = address(HONEST["carol"]), address(DISHONEST), address(JUROR)
    paid, slashed = outcomes(m.w3, m.deployment, job_id)
    assert paid == {carol: 10 * AGR}
    assert slashed == {mallory: SlashReason.LOST_DISPUTE, account.address: SlashReason.LOST_DISPUTE}
    after = books(m)
    assert_conserved(m, before, after, burned=2 * 10 * AGR)
    # the pot: 2 x 40 AGR from the colluders and the decoy's 60; dave's three seats take 30, and
    # carol's claim, the only one on the ruling, the other 110
    assert after.token[dave] == before.token[dave] + 30 * AGR
    assert after.token[carol] == before.token.get(carol, 0) + 110 * AGR
    assert after.stake[carol] == before.stake[carol]
    assert after.token[account.address] == before.token[account.address] - bond
    for cheat in (mallory, account.address):
        assert after.stake[cheat] == before.stake[cheat] - 50 * AGR
    requester = address(REQUESTER)
    assert after.market[requester] == before.market[requester] - 10 * AGR  # junk is not paid for
    assert after.token[requester] == before.token[requester]


def test_an_all_colluding_quorum_is_caught_by_a_drawn_auditor(world: World) -> None:
    """Two colluding addresses (both jp, driven by hand) take both slots of a k=2 job and commit
    the same junk: a unanimous quorum, which no dispute would ever see. With audits on, the last
    lock fixed a seed block; the workers decide the audit once it is mined and draw an auditor by
    stake from the pool, passing over the slot holders and whoever cannot back the job's 250 AGR
    collateral: dave (sg). dave's daemon takes the third slot, re-executes, commits before any
    digest is revealed and reveals the truth. The reveals disagree, so the job goes to the court;
    alice and bob (eu) are drawn and decide for dave: both colluders slashed LostDispute, dave
    paid the job's price and the pot's rest, the requester pays for the truth only."""
    m = world.m
    owner = JobMarket(m.w3, m.deployment, Transactor(m.w3, dev_account(0)))
    program, data = m.program("wordcount"), world.inputs[AUDITED]
    for index in (MANUAL, SECOND_COLLUDER):
        stake_manually(m, index, region_index("jp"))
    before = books(m)
    owner.set_audit_rate(10_000)  # every audited job gets an auditor (the default is one in ten)
    try:
        _catch_the_quorum(world, program, data, before)
    finally:
        owner.set_audit_rate(0)


def _catch_the_quorum(world: World, program: bytes, data: bytes, before: Books) -> None:
    m = world.m
    colluders = [JobMarket(m.w3, m.deployment, Transactor(m.w3, dev_account(i))) for i in (MANUAL, SECOND_COLLUDER)]
    wasm = (PROGRAMS / "wordcount.wasm").read_bytes()
    now = chain_now(m.w3)
    request = m.request(
        program,
        data,
        redundancy=2,
        quorum=2,
        collateral=250 * AGR,  # above alice's and bob's 200 AGR of stake: they can sit as jurors only
        regions=regions_mask(["jp", "sg", "eu"]),
        lock_deadline=now + 15,
        commit_deadline=now + 35,
        reveal_deadline=now + 45,
    )
    job_id = m.post(request)
    market = JobMarket(m.w3, m.deployment)
    assert market.escrow_of(job_id) == 3 * 10 * AGR  # k slots and the audit fee
    junk = Conduct.WRONG_OUTPUT.result(run(wasm, scenario_input(AUDITED), fuel=request.fuel_limit)).digest
    salt = b"\x33" * 32
    slots = [colluder.lock(job_id)[0] for colluder in colluders]
    for colluder, slot in zip(colluders, slots, strict=True):
        colluder.commit(job_id, slot, junk, salt)
    dave, alice, bob = (address(i) for i in (JUROR, HONEST["alice"], HONEST["bob"]))
    cheats = [address(MANUAL), address(SECOND_COLLUDER)]
    deadline = time.monotonic() + 60
    while not market.job(job_id).reveals_open(chain_now(m.w3)):
        assert time.monotonic() < deadline, world.juror.log()
        time.sleep(0.1)
    job = market.job(job_id)
    assert job.locked == 3 and market.slot(job_id, 2).worker == dave
    world.juror.wait_for(f"job {job_id.hex()[:10]}: drawn as its auditor (slot 2, paid 10 AGR)")
    for colluder, slot in zip(colluders, slots, strict=True):
        colluder.reveal(job_id, slot, junk, salt, b"\x00" * 32)
    job = m.wait_final(job_id)
    assert job.status == JobStatus.SETTLED
    paid, slashed = outcomes(m.w3, m.deployment, job_id)
    assert paid == {dave: 10 * AGR}
    assert slashed == dict.fromkeys(cheats, SlashReason.LOST_DISPUTE)
    after = books(m)
    assert_conserved(m, before, after, burned=2 * 50 * AGR)
    jurors = Court(m.w3, m.deployment).jurors(job_id, 0)
    assert set(jurors) <= {alice, bob}
    # the pot: 2 x 200 AGR from the colluders; three seats take 30, dave's claim the other 370
    assert sum(after.token[j] - before.token[j] for j in {alice, bob}) == 30 * AGR
    assert after.token[dave] == before.token[dave] + 370 * AGR
    assert after.market[dave] == before.market.get(dave, 0) + 10 * AGR
    assert after.stake[dave] == before.stake[dave]
    for cheat in cheats:
        assert after.stake[cheat] == before.stake[cheat] - 250 * AGR
    requester = address(REQUESTER)
    assert after.market[requester] == before.market[requester] - 10 * AGR  # only the truth is paid for


def test_a_false_dispute_loses_its_bond_and_no_honest_worker_loses_anything(world: World) -> None:
    """alice, bob (eu) and carol (us) settle a k=3 job unanimously; within its challenge window a
    disputer bonds the least bond on a digest nobody revealed. dave (sg), the only staker in the
    job's regions outside it, is drawn into every seat, re-executes and votes the truth: the
    bond pays his three seats and, pro rata to their collateral, the three honest slots, each
    also paid its price; nobody is slashed, nothing is burned."""
    m = world.m
    program, data = m.program("sha256"), m.upload(b"a false dispute\n" * 50)
    disputer = dev_account(SECOND_COLLUDER)
    Token(m.w3, m.deployment, Transactor(m.w3, dev_account(0))).faucet(disputer.address, 100 * AGR)
    before = books(m)
    request = m.request(program, data, regions=regions_mask(["eu", "us", "sg"]))
    job_id = m.post(request)
    assert m.wait_closed(job_id).status == JobStatus.PROVISIONAL
    court = Court(m.w3, m.deployment, Transactor(m.w3, disputer))
    bond = court.min_bond(job_id, 0)
    assert bond == 60 * AGR  # three seats and three slots at the job's price
    court.dispute(job_id, b"\xfa" * 32, bond)
    job = m.wait_final(job_id)
    assert job.status == JobStatus.SETTLED
    honest = [address(HONEST[name]) for name in ("alice", "bob", "carol")]
    dave = address(JUROR)
    assert set(court.jurors(job_id, 0)) == {dave}
    paid, slashed = outcomes(m.w3, m.deployment, job_id)
    assert paid == dict.fromkeys(honest, 10 * AGR)
    assert slashed == {}
    after = books(m)
    assert_conserved(m, before, after, burned=0)
    assert after.token[disputer.address] == before.token[disputer.address] - bond
    assert after.token[dave] == before.token[dave] + 30 * AGR  # three seats at the job's price
    for who in honest:  # the bond's other 30 AGR, a third each
        assert after.token[who] == before.token.get(who, 0) + 10 * AGR
        assert after.market[who] == before.market.get(who, 0) + 10 * AGR
        assert after.stake[who] == before.stake[who]
    requester = address(REQUESTER)
    assert after.market[requester] == before.market[requester] - 30 * AGR


def test_a_requester_breaking_unanimity_gets_no_free_result(world: World) -> None:
    """The requester stakes, takes one slot of its own k=2 job beside carol, waits for carol's
    reveal and reveals junk, so no quorum forms. Before the court a job like this was refunded
    whole after a window; now the disagreement goes to the court, dave decides for carol: the
    requester's slot is slashed LostDispute, carol is paid her price and the pot's rest, and the
    requester pays for the result it got."""
    m = world.m
    program, data = m.program("sha256"), m.upload(b"a free result?\n" * 50)
    own_market, _ = stake_manually(m, REQUESTER, region_index("jp"))
    before = books(m)
    now = chain_now(m.w3)
    request = m.request(
        program,
        data,
        redundancy=2,
        quorum=2,
        regions=regions_mask(["us", "jp", "sg"]),
        lock_deadline=now + 15,
        commit_deadline=now + 25,
        reveal_deadline=now + 35,
    )
    job_id = m.post(request)
    slot, _ = own_market.lock(job_id)
    junk, salt = b"\x0b" * 32, b"\x44" * 32
    own_market.commit(job_id, slot, junk, salt)
    market = JobMarket(m.w3, m.deployment)
    deadline = time.monotonic() + 60
    while not market.job(job_id).revealed_mask & (1 << (1 - slot)):  # carol reveals first
        assert time.monotonic() < deadline, world.honest["carol"].log()
        time.sleep(0.1)
    own_market.reveal(job_id, slot, junk, salt, b"\x00" * 32)
    assert market.job(job_id).status == JobStatus.DISPUTED
    job = m.wait_final(job_id)
    assert job.status == JobStatus.SETTLED
    carol, dave, requester = address(HONEST["carol"]), address(JUROR), address(REQUESTER)
    assert outcomes(m.w3, m.deployment, job_id) == ({carol: 10 * AGR}, {requester: SlashReason.LOST_DISPUTE})
    after = books(m)
    assert_conserved(m, before, after, burned=10 * AGR)
    # the pot: the requester's 40 AGR after the burn; dave's three seats take 30, carol the rest
    assert after.token[dave] == before.token[dave] + 30 * AGR
    assert after.token[carol] == before.token.get(carol, 0) + 10 * AGR
    assert after.stake[carol] == before.stake[carol]
    assert after.stake[requester] == before.stake[requester] - 50 * AGR
    assert after.market[requester] == before.market[requester] - 10 * AGR  # the result is paid for


def test_a_worker_killed_between_commit_and_reveal_reveals_after_restart(world: World) -> None:
    """A k=2 job in region jp: the victim daemon (a key of its own, created on first start) and a
    worker driven by hand. The victim is SIGKILLed right after its commitment lands, while the
    reveal window is still shut; restarted, it reveals with the salt it saved and is paid."""
    m = world.m
    victim = m.start_worker("victor", "--region", "jp", "--max-concurrent", "1")
    victim.wait_for("ready:", timeout=180)
    manual_market, _ = stake_manually(m, MANUAL, region_index("jp"))
    before = books(m)
    wasm = (PROGRAMS / "primes.wasm").read_bytes()
    stdin = b"20000\n"
    program, data = m.upload(wasm), m.upload(stdin)
    now = chain_now(m.w3)
    request = m.request(
        program,
        data,
        redundancy=2,
        quorum=2,
        regions=regions_mask(["jp"]),
        lock_deadline=now + 20,
        commit_deadline=now + 60,
        reveal_deadline=now + 80,
    )
    job_id = m.post(request)
    slot, _ = manual_market.lock(job_id)
    market = JobMarket(m.w3, m.deployment)
    deadline = time.monotonic() + 60
    victim_slot = 1 - slot
    while not market.job(job_id).committed_mask >> victim_slot & 1:
        assert time.monotonic() < deadline, victim.log()
        time.sleep(0.05)
    victim.kill()
    assert market.job(job_id).revealed_mask == 0
    # the hand-driven worker computes the same result and commits: the reveal window opens
    result = run(wasm, stdin, fuel=request.fuel_limit)
    salt = b"\x11" * 32
    manual_market.commit(job_id, slot, result.digest, salt)
    m.restart(victim)
    deadline = time.monotonic() + 90
    while not market.job(job_id).revealed_mask >> victim_slot & 1:
        assert time.monotonic() < deadline, victim.log()
        time.sleep(0.1)
    manual_market.reveal(job_id, slot, result.digest, salt, b"\x00" * 32)
    job = m.wait_final(job_id)
    assert job.status == JobStatus.SETTLED
    victor = Web3.to_checksum_address(market.slot(job_id, victim_slot).worker)
    paid, slashed = outcomes(m.w3, m.deployment, job_id)
    assert slashed == {}
    assert set(paid) == {victor, address(MANUAL)}
    after_restart = victim.log().split("--- restarted ---")[1]
    assert f"job {job_id.hex()[:10]}: revealed" in after_restart
    assert "executed" not in after_restart  # the saved result was revealed, not a new one
    assert_conserved(m, before, books(m), burned=0)


def test_status_of_an_unknown_name_says_so(world: World) -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "cli", "worker", "status", "nobody"],
        cwd=ROOT,
        env=world.m.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 1
    assert "nobody.agora has no address record" in shown.stderr


def test_a_dispute_nobody_can_judge_is_void_and_both_revealers_paid(world: World) -> None:
    """carol (us) and mallory (ch) disagree on a k=2 job allowed in us and ch only: it goes to the
    court, but no staker in those regions is outside the job, so no round can be drawn. The job
    is void: both revealers paid their price (a job with reveals is never refunded whole, so
    breaking unanimity buys the requester nothing), nobody slashed, both stakes free."""
    m = world.m
    before = books(m)
    program, data = m.program("wordcount"), world.inputs[UNRESOLVED]
    now = chain_now(m.w3)
    request = m.request(
        program,
        data,
        redundancy=2,
        quorum=2,
        regions=regions_mask(["us", "ch"]),
        lock_deadline=now + 15,
        commit_deadline=now + 25,
        reveal_deadline=now + 35,
    )
    job_id = m.post(request)
    market = JobMarket(m.w3, m.deployment)
    job = m.wait_closed(job_id)
    assert job.status == JobStatus.DISPUTED
    prices = {market.slot(job_id, i).worker: market.slot(job_id, i).price for i in range(2)}
    job = m.wait_closed_from(job_id, JobStatus.DISPUTED)
    assert job.status == JobStatus.VOID
    carol, mallory = address(HONEST["carol"]), address(DISHONEST)
    assert outcomes(m.w3, m.deployment, job_id) == ({carol: prices[carol], mallory: prices[mallory]}, {})
    after = books(m)
    assert_conserved(m, before, after, burned=0)
    requester = address(REQUESTER)
    assert after.market[requester] == before.market[requester] - prices[carol] - prices[mallory]
    for who in (carol, mallory):
        assert after.stake[who] == before.stake[who]
        assert after.market[who] == before.market.get(who, 0) + prices[who]
    assert StakeManager(m.w3, m.deployment).stake_of(carol)[1] == 0
    logs = "".join(daemon.log() for daemon in m.daemons)  # whichever worker drew first
    assert f"job {job_id.hex()[:10]}: round 0 could not be filled: drawn again with a new seed" in logs
    assert f"job {job_id.hex()[:10]}: no round could be drawn: the case ends void" in logs
