"""How a staked account behaves in a job: honestly (a verifier always; a worker unless told
otherwise), or, for tests and rehearsals, failing on purpose.

The daemon asks its strategy (a `Conduct`, or a function choosing one per job) what to do at the
three points where a worker can cheat or fail: the result it commits, whether it sends a result at
all, and whether it reveals. Its state machine has no branch of its own for misconduct.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from enum import StrEnum

from compute import Result
from ledger import JobRequest


class Conduct(StrEnum):
    """Only `HONEST` earns; the others drive a real worker through each way of failing."""

    HONEST = "honest"
    WRONG_OUTPUT = "wrong_output"  # computes, then commits and reveals a result for altered output
    NO_REVEAL = "no_reveal"  # commits, never reveals
    MISS_DEADLINE = "miss_deadline"  # locks, never commits nor reveals

    def result(self, computed: Result) -> Result:
        """The result this worker stands behind."""
        if self is Conduct.WRONG_OUTPUT:
            return replace(computed, output=computed.output + b"\n(altered)\n")
        return computed

    @property
    def sends_result(self) -> bool:
        return self is not Conduct.MISS_DEADLINE

    @property
    def reveals(self) -> bool:
        return self is not Conduct.NO_REVEAL


Strategy = Conduct | Callable[[JobRequest], Conduct]
"""One conduct for every job, or a function choosing one per job."""


def conduct_for(strategy: Strategy, request: JobRequest) -> Conduct:
    return strategy(request) if callable(strategy) else strategy
