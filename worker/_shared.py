"""What the parts of one worker daemon share: the staked account's (`duties.Party`), its name and
its bidding policy."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from duties import Party
from ledger import Names

from .policy import BidPolicy

log = logging.getLogger("agora.worker")


@dataclass
class Shared(Party):
    policy: BidPolicy = field(kw_only=True)
    names: Names = field(init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.names = Names(self.w3, self.deployment, self.transactor)
