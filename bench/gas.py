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

from ledger import Court, EmbeddedChain, StakeManager, Token, Transactor, connect, deploy, dev_account  # noqa: E402
from tests.integration.market_helpers import fund_actors, make_request  # noqa: E402

BOUNDLESS = {"submit": 46_054, "lock": 149_434, "fulfil": 116_712}
PAIRING_FLOOR = 181_000


_nonce = iter(range(10**9))


def run_job(actors, w3, k: int) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    # Sequential nonces, as a requester's SDK issues them: they share a word of the nonce bitmap.
    request = make_request(w3, k=k, q=max(1, k - 1), nonce=next(_nonce))
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
    if k > 1:
        for i, worker in enumerate(actors.workers[:k]):
            receipt = worker.commit(job_id, slots[i], truth, salt)
            steps.append((f"commit #{i + 1}", receipt["gasUsed"]))
    for i, worker in enumerate(actors.workers[:k]):
        receipt = worker.reveal(job_id, slots[i], truth, salt, b"\x33" * 32)
        label = f"reveal #{i + 1}" + (" + settle" if i == k - 1 else "")
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
    request = make_request(w3, k=3, q=2, nonce=next(_nonce))
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


def main() -> None:
    w3 = connect(chain=EmbeddedChain())
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), Path(tempfile.mkdtemp()))
    actors = fund_actors(w3, deployment, workers=6)  # three take jobs, three more are drawn as jurors
    run_job(actors, w3, 3)  # warm up: first payments create balances
    totals = {}
    for k in (1, 3):
        steps = run_job(actors, w3, k)
        total = sum(g for _, g in steps)
        totals[k] = total
        print(f"k={k} job:")
        for label, gas in steps:
            print(f"  {label:<20} {gas:>9,}")
        print(f"  {'total':<20} {total:>9,}")
    boundless = sum(BOUNDLESS.values())
    print(
        "Boundless, one request (mock verifier): "
        + " + ".join(f"{k} {v:,}" for k, v in BOUNDLESS.items())
        + f" = {boundless:,}"
    )
    print(f"EIP-1108 pairing floor for a Groth16 check: {PAIRING_FLOOR:,}")
    print(f"k=1 vs Boundless: {totals[1] / boundless:.2f}x; k=3: {totals[3]:,} ({totals[3] / boundless:.2f}x)")
    pool = pool_steps(w3, deployment, actors)
    print(
        f"juror pool: counting a worker's matured stake {pool['pool_activate_gas']:,}; unstaking from it "
        f"{pool['pool_unstake_gas']:,} (a slash of matured stake writes the same nodes); a draw (view) "
        f"{pool['draw_juror_gas']:,}"
    )
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
            {"k1_total_gas": totals[1], "k3_total_gas": totals[3], "boundless_total_gas": boundless, **pool, **court}
        )
    )


if __name__ == "__main__":
    main()
