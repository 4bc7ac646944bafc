"""Everything a staked account does each tick besides choosing jobs (`Duties`)."""

from __future__ import annotations

from pathlib import Path

from ledger import JobEvent

from .conduct import Conduct, Strategy
from .jury import Jury
from .party import Party
from .results import Results
from .running import Executions
from .slots import Slots


class Duties:
    """The slots an account holds (its own locks, or drawn as an auditor) executed on Ray and
    seen through commit, reveal and settlement; its seats in drawn rounds; the cases and audits
    it keeps moving. ``on_event`` for each market and court event, ``advance`` once a tick."""

    def __init__(
        self,
        party: Party,
        state_dir: Path,
        *,
        threads: int,
        max_appeal_bond: int,
        strategy: Strategy = Conduct.HONEST,
    ) -> None:
        """``threads``: executions at once (slots and a juror's re-executions share them);
        ``max_appeal_bond``: the largest bond it posts to appeal a ruling against a slot of its own."""
        self.party = party
        self.executions = Executions(party, threads)
        self.results = Results(party, self.executions, strategy)
        self.jury = Jury(party, self.executions, strategy, state_dir, max_appeal_bond=max_appeal_bond)
        self.slots = Slots(party)

    def on_event(self, e: JobEvent) -> None:
        """What a market or court event (any but `JobPosted`) means for its cases and slots."""
        self.jury.on_event(e)
        self.slots.on_event(e)

    def advance(self, now: int) -> bool:
        """Finished executions recorded, then one step for every slot and case that is due; True
        if anything was sent or recorded."""
        moved = self.executions.collect()
        moved |= self.results.advance(now)
        moved |= self.jury.advance(now)
        return moved

    def close(self) -> None:
        self.executions.close()
        self.jury.close()
