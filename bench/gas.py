"""Gas of each step of a job, and of whole jobs for k=1 and k=3, on the embedded chain.

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

from ledger import EmbeddedChain, StakeManager, Transactor, connect, deploy, dev_account  # noqa: E402
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


def main() -> None:
    w3 = connect(chain=EmbeddedChain())
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), Path(tempfile.mkdtemp()))
    actors = fund_actors(w3, deployment, workers=3)
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
    print(json.dumps({"k1_total_gas": totals[1], "k3_total_gas": totals[3], "boundless_total_gas": boundless, **pool}))


if __name__ == "__main__":
    main()
