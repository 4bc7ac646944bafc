"""The juror pool through ledger's client, on the embedded chain: stake counts once it has matured,
and a draw at a past block is not moved by what happens after it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger import ContractRevert, EmbeddedChain, StakeManager, Transactor, connect, deploy, dev_account

from .market_helpers import STAKE, fund_actors


def test_matured_stake_is_drawn_and_a_past_draw_stays_put(tmp_path: Path) -> None:
    w3 = connect(chain=EmbeddedChain())
    deployment, _ = deploy(w3, Transactor(w3, dev_account(0)), tmp_path, audit_bps=0)
    actors = fund_actors(w3, deployment, workers=2)
    stakes = [StakeManager(w3, deployment, m.transactor) for m in actors.workers]
    addresses = [s.transactor.address for s in stakes]  # type: ignore[union-attr]
    weight, maturing, _, region = stakes[0].pool_weight_of(addresses[0])
    assert (weight, maturing, region) == (0, STAKE, 0)
    with pytest.raises(ContractRevert, match=r"NothingToActivate\(worker="):
        stakes[0].activate(addresses[0])  # not yet as old as the unbonding delay
    w3.provider.make_request("evm_increaseTime", [3600])  # type: ignore[arg-type]
    for s, a in zip(stakes, addresses, strict=True):
        s.activate(a)  # anyone may send it; here each worker for itself
    snapshot = int(w3.eth.block_number)
    stakes[0].request_unstake(STAKE // 2)  # after the snapshot: changes nothing drawn at it
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    assert stakes[0].pool_total(0, snapshot) == 2 * STAKE
    assert stakes[0].pool_total(0, int(w3.eth.block_number) - 1) == 2 * STAKE - STAKE // 2
    assert stakes[0].draw_juror(0, snapshot, 0) == addresses[0]
    assert stakes[0].draw_juror(0, snapshot, STAKE) == addresses[1]
    assert stakes[0].draw_juror(1 << 1, snapshot, 7) == addresses[1]  # region 1 only: worker 1
