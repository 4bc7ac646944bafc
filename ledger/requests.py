"""Building a job request with sensible defaults: what the CLI, the API's tests and the benchmarks
share, so a first job needs only a program, an input and a requester."""

from __future__ import annotations

import os
from typing import Any

from .model import JobRequest, Mode

AGR = 10**18
DEFAULT_BURN_BPS = 2_000
"""The deployed burn share of a slash, which the default collateral is sized for."""

LOCK_WINDOW = 3_600
"""Seconds from now to the lock deadline by default: long enough for the ask to reach workers."""
COMPUTE_WINDOW = 3_600
"""Seconds from the lock deadline to the commit deadline by default."""
REVEAL_WINDOW = 3_600
"""Seconds from the commit deadline to the reveal deadline by default."""


def first_round_collateral(max_price: int, burn_bps: int = DEFAULT_BURN_BPS) -> int:
    """The least collateral the market accepts for a redundant job: after the burn, a lost
    dispute's slash pays the first drawn round's three seats at ``max_price`` (`CollateralTooSmall`)."""
    return -(-3 * max_price * 10_000 // (10_000 - burn_bps))


def new_request(
    now: int,
    *,
    requester: str,
    program_id: bytes,
    input_digest: bytes,
    redundancy: int = 3,
    quorum: int | None = None,
    min_price: int = 1 * AGR,
    max_price: int = 10 * AGR,
    nonce: int | None = None,
    **terms: Any,
) -> JobRequest:
    """A `REDUNDANT` request from ``now`` (chain time, `ChainClock.now`): quorum a majority of the k
    slots, the ask ramping from ``min_price`` to ``max_price`` over ten minutes, collateral the
    larger of 50 AGR and the market's least, a million units of fuel, one hour each to lock, to
    compute and to reveal, posted within the hour, a random 64-bit nonce, any region. ``terms``
    overrides any other field by its `JobRequest` name."""
    values: dict[str, Any] = {
        "requester": requester,
        "program_id": program_id,
        "input_digest": input_digest,
        "verifier_pin": b"\x00" * 32,
        "min_price": min_price,
        "max_price": max_price,
        "ramp": 600,
        "collateral": max(50 * AGR, first_round_collateral(max_price)),
        "redundancy": redundancy,
        "quorum": quorum if quorum is not None else redundancy // 2 + 1,
        "mode": Mode.REDUNDANT,
        "fuel_limit": 10**6,
        "lock_deadline": now + LOCK_WINDOW,
        "commit_deadline": now + LOCK_WINDOW + COMPUTE_WINDOW,
        "reveal_deadline": now + LOCK_WINDOW + COMPUTE_WINDOW + REVEAL_WINDOW,
        "regions": 0,
        "nonce": nonce if nonce is not None else int.from_bytes(os.urandom(8), "big"),
        "expiry": now + LOCK_WINDOW,
    }
    unknown = set(terms) - set(values)
    if unknown:
        raise TypeError(f"no such request field: {', '.join(sorted(unknown))}")
    values.update(terms)
    return JobRequest(**values)
