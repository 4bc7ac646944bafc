"""`ledger.new_request`: the defaults a first job relies on, and refusing what is not a field."""

from __future__ import annotations

import pytest

from ledger import first_round_collateral, new_request

AGR = 10**18
IDS = {"requester": "0x" + "11" * 20, "program_id": b"\x01" * 32, "input_digest": b"\x02" * 32}


def test_defaults_leave_every_window_the_market_asks_for() -> None:
    r = new_request(1_000, **IDS)  # type: ignore[arg-type]
    assert (r.redundancy, r.quorum) == (3, 2)
    assert 1_000 < r.lock_deadline < r.commit_deadline < r.reveal_deadline
    assert r.commit_deadline - r.lock_deadline >= 10 and r.reveal_deadline - r.commit_deadline >= 10
    assert r.expiry <= r.lock_deadline and r.min_price <= r.max_price
    assert r.collateral == 50 * AGR  # above the least for 10 AGR: 37.5


@pytest.mark.parametrize(("k", "q"), [(1, 1), (2, 2), (3, 2), (4, 3), (5, 3), (7, 4)])
def test_the_default_quorum_is_a_majority_of_the_slots(k: int, q: int) -> None:
    assert new_request(0, redundancy=k, **IDS).quorum == q  # type: ignore[arg-type]


def test_collateral_follows_a_high_price_to_the_markets_least() -> None:
    r = new_request(0, max_price=100 * AGR, **IDS)  # type: ignore[arg-type]
    assert r.collateral == first_round_collateral(100 * AGR) == 375 * AGR
    assert r.collateral * 8_000 // 10_000 >= 3 * r.max_price  # CollateralTooSmall would refuse less


def test_a_misspelt_term_is_refused_not_ignored() -> None:
    with pytest.raises(TypeError, match="no such request field: max_prize"):
        new_request(0, max_prize=1, **IDS)  # type: ignore[arg-type]


def test_nonces_are_random_unless_given() -> None:
    assert new_request(0, **IDS).nonce != new_request(0, **IDS).nonce  # type: ignore[arg-type]
    assert new_request(0, nonce=7, **IDS).nonce == 7  # type: ignore[arg-type]
