"""A refused step of one duty is retried later without holding back a job's other duties."""

from __future__ import annotations

import logging
from typing import Any

from duties import Party

JOB = b"\x01" * 32
OTHER = b"\x02" * 32


def _party() -> Party:
    nothing: Any = None  # the retry bookkeeping touches none of the clients
    return Party(
        w3=nothing,
        deployment=nothing,
        address="0x" + "00" * 20,
        transactor=nothing,
        market=nothing,
        court=nothing,
        stakes=nothing,
        store=nothing,
        executor=nothing,
        state=nothing,
        max_blob=0,
        log=logging.getLogger("test"),
    )


def test_an_audit_tried_too_early_does_not_hold_back_the_slot() -> None:
    """A k = 1 job's audit step refused (its seed block not mined yet) used to keep the worker
    from committing its result for two seconds: they were one retry per job."""
    party = _party()
    party.retry_later(JOB, "audit")
    assert party.waiting(JOB, "audit")
    assert not party.waiting(JOB)  # the slot: commit, reveal
    assert not party.waiting(JOB, "case")


def test_a_retry_is_for_its_own_job_and_duty() -> None:
    party = _party()
    party.retry_later(JOB)
    assert party.waiting(JOB)
    assert not party.waiting(JOB, "audit")
    assert not party.waiting(OTHER)


def test_a_duty_that_is_over_forgets_its_retry_and_only_its() -> None:
    party = _party()
    party.retry_later(JOB, "case")
    party.retry_later(JOB)
    party.forget_retries(JOB, "case")
    assert not party.waiting(JOB, "case")
    assert party.waiting(JOB)
