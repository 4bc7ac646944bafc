"""Worker daemon: bidding policy, execution on Ray, result commit/reveal. May import `ledger`,
`store`, `compute` and `duties` only.

The daemon (`Worker`, docs/worker.md) follows the market through `ledger.JobFeed` and chooses
jobs with its bidding policy (`BidPolicy`); what it owes for the slots it holds and as a juror is
any staked account's (`duties.Duties`, whose `Conduct`, `JobRecord`, `Phase` and `WorkerState`
it re-exports). A worker's standing read from the chain: `worker_report`.
"""

from duties import Conduct, JobRecord, Phase, Strategy, WorkerState

from .daemon import Worker, WorkerConfig
from .errors import WorkerError
from .policy import BidPolicy, Verdict
from .report import JobLine, WorkerReport, worker_report

__all__ = [
    "BidPolicy",
    "Conduct",
    "Strategy",
    "JobLine",
    "JobRecord",
    "Phase",
    "Verdict",
    "Worker",
    "WorkerConfig",
    "WorkerReport",
    "WorkerState",
    "worker_report",
    "WorkerError",
]
