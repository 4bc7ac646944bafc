"""Worker daemon: bidding policy, execution on Ray, result commit/reveal. May import `ledger`,
`store` and `compute` only.

Execution through `compute.RayExecutor`, the market followed
through `ledger.JobFeed`, the bidding policy (`BidPolicy`), the daemon (`Worker`,
docs/worker.md) and a worker's standing read from the chain (`worker_report`).
"""

from .conduct import Conduct, Strategy
from .daemon import Worker, WorkerConfig
from .errors import WorkerError
from .policy import BidPolicy, Verdict
from .report import JobLine, WorkerReport, worker_report
from .state import JobRecord, Phase, WorkerState

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
