"""Gas of each step of a job, of whole jobs for k=1 and k=3, and of a job decided by the court
(escalated by a disagreeing reveal, or disputed with a bond), on the embedded chain.

Side by side with Boundless (submit 46,054 + lock 149,434 + fulfil 116,712 = 312,200 for one
request, mock verifier) and the EIP-1108 floor of a Groth16 pairing check (181,000). Figures are
for a second job of the same actors (steady state: balances already non-zero), as in production.
The last line is one JSON object with the figures.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ledger import (  # noqa: E402
    ChainClock,
    Court,
    EmbeddedChain,
    JobMarket,
    StakeManager,
    Token,
    Transactor,
    connect,
    deploy,
    dev_account,
    new_request,
)
from ledger.deployment import AUDIT_BPS  # noqa: E402
from tests.integration.market_helpers import fund_actors  # noqa: E402

BOUNDLESS = {"submit": 46_054, "lock": 149_434, "fulfil": 116_712}
PAIRING_FLOOR = 181_000


_nonce = iter(range(10**9))


def mine(w3, blocks: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(blocks):
        w3.provider.make_request("evm_mine", [])


def run_job(actors, w3, k: int, *, audited: bool = False) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    """One job of k slots, accepted once provisional. With audits on (the deployment's rate), the
    last lock fixes the seed block; the workers compute for a few blocks, so the first commit finds
    it mined and decides the audit (`commit #1 + audit`); a lone slot commits too. ``audited``:
    the rate is 100%, and the drawn auditor (a seventh worker) commits and reveals as slot k."""
    # Sequential nonces, as a requester's SDK issues them: they share a word of the nonce bitmap.
    request = new_request(
        ChainClock(w3).now(),
        requester=dev_account(1).address,
        program_id=b"\x01" * 32,
        input_digest=b"\x02" * 32,
        redundancy=k,
        quorum=max(1, k - 1),
        nonce=next(_nonce),
    )
    market = actors.requester
    signature = request.sign(dev_account(1), chain_id=w3.eth.chain_id, market=market.address)
    steps = [("post", market._send(market.contract, "postJob", request.as_tuple(), signature)["gasUsed"])]
    job_id = request.struct_hash()
    truth, salt = b"\x11" * 32, b"\x22" * 32
    slots = []
    for i, worker in enumerate(actors.workers[:k]):
        receipt = worker._send(worker.contract, "lock", job_id)
        slots.append(i)
        steps.append((f"lock #{i + 1}", receipt["gasUsed"]))
    holders = list(actors.workers[:k])
    if market.job(job_id).audited:
        mine(w3, 2)  # computing: the seed block is mined meanwhile
    if k > 1 or market.job(job_id).audited:
        for i, worker in enumerate(holders):
            receipt = worker.commit(job_id, slots[i], truth, salt)
            steps.append(
                (f"commit #{i + 1}" + (" + audit" if i == 0 and market.job(job_id).audited else ""), receipt["gasUsed"])
            )
        job = market.job(job_id)
        assert not job.audit_pending(job.lock_deadline), "the first commit decided the audit"
        if job.locked > k:
            if not audited:
                return []  # sampled at the default rate: the caller runs another job
            auditor = next(w for w in actors.workers if w.transactor.address == market.slot(job_id, k).worker)
            holders.append(auditor)
            slots.append(k)
            steps.append(("auditor commit", auditor.commit(job_id, k, truth, salt)["gasUsed"]))
    for i, worker in enumerate(holders):
        receipt = worker.reveal(job_id, slots[i], truth, salt, b"\x33" * 32)
        label = f"reveal #{i + 1}" + (" + settle" if i == len(holders) - 1 else "")
        steps.append((label, receipt["gasUsed"]))
    # Provisional until final: the requester accepts the unanimous result (the claim: payments,
    # refund); `finalize` after the challenge window costs the same.
    steps.append(("accept (final)", market.accept(job_id)["gasUsed"]))
    return steps


def pool_steps(w3, deployment, actors) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The juror pool: counting matured stake, unstaking from it, and one draw (a view)."""
    w3.provider.make_request("evm_increaseTime", [24 * 3600])  # past the unbonding delay: matured
    w3.provider.make_request("evm_mine", [])
    stakes = [StakeManager(w3, deployment, market.transactor) for market in actors.workers]
    activate = [s.activate(s.transactor.address)["gasUsed"] for s in stakes]
    unstake = stakes[0].request_unstake(10**18)["gasUsed"]
    head = int(w3.eth.block_number)
    call = stakes[0].contract.functions.drawJuror(0, head, 12345)
    draw = int(w3.eth.estimate_gas({"to": stakes[0].contract.address, "data": call._encode_transaction_data()}))
    return {"pool_activate_gas": max(activate), "pool_unstake_gas": unstake, "draw_juror_gas": draw}


def court_steps(w3, deployment, actors, *, escalate: bool) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    """A k=3 job decided by a round of 3 seats drawn from the pool (the three workers outside the
    job): by itself when one reveal disagrees (`escalate`), or after a bonded dispute of a
    unanimous provisional outcome. Every juror votes the truth; the ruling is made final after the
    appeal window."""
    request = new_request(
        ChainClock(w3).now(),
        requester=dev_account(1).address,
        program_id=b"\x01" * 32,
        input_digest=b"\x02" * 32,
        nonce=next(_nonce),
    )
    market = actors.requester
    signature = request.sign(dev_account(1), chain_id=w3.eth.chain_id, market=market.address)
    market._send(market.contract, "postJob", request.as_tuple(), signature)
    job_id = request.struct_hash()
    truth, lie, salt = b"\x11" * 32, b"\x44" * 32, b"\x22" * 32
    answers = [truth, truth, lie if escalate else truth]
    slots = actors.workers[:3]
    for worker in slots:
        worker._send(worker.contract, "lock", job_id)
    for i, worker in enumerate(slots):
        worker.commit(job_id, i, answers[i], salt)
    steps = []
    for i, worker in enumerate(slots):
        gas = worker.reveal(job_id, i, answers[i], salt, b"\x33" * 32)["gasUsed"]
        if i == 2:
            steps.append(("reveal #3 + settle" + (" + open case" if escalate else ""), gas))
    court = Court(w3, deployment, Transactor(w3, dev_account(0)))
    if not escalate:
        token = Token(w3, deployment, court.transactor)
        token.faucet(court.transactor.address, 10**24)
        token.approve(court.address, 2**256 - 1)  # once per disputer, not counted
        bond = court.dispute(job_id, lie, court.min_bond(job_id, 0))["gasUsed"]
        steps.append(("dispute (bond, opens)", bond))
    case = court.case(job_id)
    while int(w3.eth.block_number) <= case.seed_block:
        w3.provider.make_request("evm_mine", [])
    steps.append(("draw (3 seats)", court.draw(job_id)["gasUsed"]))
    case = court.case(job_id)
    checkpoint = b"\x55" * 32
    jurors = {a.transactor.address: Court(w3, deployment, a.transactor) for a in actors.workers[3:]}
    drawn = [jurors[j] for j in court.jurors(job_id, case.round)]
    for n, juror in enumerate(drawn):
        steps.append((f"commit vote #{n + 1}", juror.commit_vote(job_id, truth, checkpoint, salt)["gasUsed"]))
    for n, juror in enumerate(drawn):
        steps.append((f"reveal vote #{n + 1}", juror.reveal_vote(job_id, truth, checkpoint, salt)["gasUsed"]))
    steps.append(("resolve (count)", court.resolve(job_id)["gasUsed"]))
    w3.provider.make_request("evm_increaseTime", [court.vote_window() + 1])
    w3.provider.make_request("evm_mine", [])
    steps.append(("finalize (ruling)", court.finalize(job_id)["gasUsed"]))
    return steps


def job_totals(actors, w3, market: JobMarket, bps: int, title: str) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """Gas of a k=1 and a k=3 job at audit rate ``bps`` (10000: an auditor in every job; else a
    job the audit passed over), step by step."""
    market.set_audit_rate(bps)
    totals = {}
    for k in (1, 3):
        steps: list[tuple[str, int]] = []
        while not steps:  # at a rate below 100%, a job that drew an auditor is left, and another run
            steps = run_job(actors, w3, k, audited=bps == 10_000)
        totals[k] = sum(g for _, g in steps)
        print(f"k={k} job, {title}:")
        for label, gas in steps:
            print(f"  {label:<20} {gas:>9,}")
        print(f"  {'total':<20} {totals[k]:>9,}")
    return totals


def main() -> None:
    w3 = connect(chain=EmbeddedChain())
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), Path(tempfile.mkdtemp()))
    owner = JobMarket(w3, deployment, Transactor(w3, dev_account(0)))
    actors = fund_actors(w3, deployment, workers=6)  # three take jobs, three more are drawn as jurors
    pool = pool_steps(w3, deployment, actors)  # every worker's stake in the juror pool
    owner.set_audit_rate(0)
    run_job(actors, w3, 3)  # warm up: first payments create balances
    unaudited = job_totals(actors, w3, owner, 0, "audits off (no fee, no commit for k=1)")
    totals = job_totals(actors, w3, owner, AUDIT_BPS, f"audits at the default {AUDIT_BPS / 100:.0f}%, not drawn")
    audited = job_totals(actors, w3, owner, 10_000, "an auditor drawn (slot k)")
    boundless = sum(BOUNDLESS.values())
    print(
        "Boundless, one request (mock verifier): "
        + " + ".join(f"{k} {v:,}" for k, v in BOUNDLESS.items())
        + f" = {boundless:,}"
    )
    print(f"EIP-1108 pairing floor for a Groth16 check: {PAIRING_FLOOR:,}")
    print(f"k=1 vs Boundless: {totals[1] / boundless:.2f}x; k=3: {totals[3]:,} ({totals[3] / boundless:.2f}x)")
    print(
        f"juror pool: counting a worker's matured stake {pool['pool_activate_gas']:,}; unstaking from it "
        f"{pool['pool_unstake_gas']:,} (a slash of matured stake writes the same nodes); a draw (view) "
        f"{pool['draw_juror_gas']:,}"
    )
    owner.set_audit_rate(0)  # the court's own steps, as before audits
    court = {}
    for escalate in (True, False):
        steps = court_steps(w3, deployment, actors, escalate=escalate)
        key = "escalation_total_gas" if escalate else "dispute_total_gas"
        court[key] = sum(g for _, g in steps)
        print(
            "a k=3 job escalated by a disagreeing reveal:" if escalate else "a bonded dispute of a provisional k=3 job:"
        )
        for label, gas in steps:
            print(f"  {label:<24} {gas:>9,}  ({gas / court[key]:.0%})")
        print(f"  {'court total':<24} {court[key]:>9,}  (beside the whole undisputed k=3 job: {totals[3]:,})")
    print(
        json.dumps(
            {
                "k1_total_gas": totals[1],
                "k3_total_gas": totals[3],
                "k1_unaudited_gas": unaudited[1],
                "k3_unaudited_gas": unaudited[3],
                "k1_audited_gas": audited[1],
                "k3_audited_gas": audited[3],
                "boundless_total_gas": boundless,
                **pool,
                **court,
            }
        )
    )


if __name__ == "__main__":
    main()
