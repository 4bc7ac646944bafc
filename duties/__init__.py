"""What a staked account owes the market, shared by the worker and the verifier daemons. May
import `ledger`, `store`, `compute` and `zk` only (`zkjobs`: registering ZK programs, proving ZK jobs).

Stake makes an account a juror and a job's possible auditor, whatever else it does. `Duties` is
all of it but choosing jobs: the slots it holds (locked by its own choice, or drawn into as a job's
auditor) executed on Ray, their output stored, committed with a salt that is on disk first,
revealed and seen to their outcome (`Results`); its seats in the court's drawn rounds, judged by
re-executing to the result digest and the state digest at the round's checkpoint, voted, appealed
where a ruling goes against a slot of its own (`Jury`); and the cases and audits it keeps moving.
A drawn auditor holds a slot like a worker's, so the slot's life is here too: one implementation,
whoever holds it. `Party` is the account's clients and records, `WorkerState` its slots on disk,
`fund` and `stake` its start on a development chain, `Conduct` how a test makes it misbehave.
"""

from .conduct import Conduct, Strategy, conduct_for
from .errors import DutiesError, StakeUnfunded
from .jury import Jury
from .jury_state import Duty, JuryState
from .party import RETRY_AFTER, Party, Posting, SeatNote, amount, result_deadline, short
from .results import Results
from .running import Executions
from .service import Duties
from .setup import fund, region_to_declare, stake
from .slots import UNHELD, Slots
from .state import FINAL, IN_FLIGHT, JobRecord, Phase, WorkerState

__all__ = [
    "FINAL",
    "IN_FLIGHT",
    "RETRY_AFTER",
    "UNHELD",
    "Conduct",
    "Duties",
    "DutiesError",
    "Duty",
    "Executions",
    "JobRecord",
    "Jury",
    "JuryState",
    "Party",
    "Phase",
    "Posting",
    "Results",
    "SeatNote",
    "Slots",
    "StakeUnfunded",
    "Strategy",
    "WorkerState",
    "amount",
    "conduct_for",
    "fund",
    "region_to_declare",
    "result_deadline",
    "short",
    "stake",
]
