"""Worker daemon: bidding policy, execution on Ray, result commit/reveal. May import `ledger`,
`store` and `compute` only.

Ray execution of the deterministic runtime of `compute` (`RayExecutor`), the market followed
through `ledger.JobFeed`, the bidding policy (`BidPolicy`), the daemon (`Worker`,
docs/worker.md) and a worker's standing read from the chain (`worker_report`).
"""

from .conduct import Conduct, Strategy
from .daemon import Worker, WorkerConfig
from .errors import WorkerError
from .execution import LOOPBACK_RAY_ENV, RayExecutor, is_loopback, keep_ray_on_loopback, ray_temp_dir, result_of
from .policy import BidPolicy, Verdict
from .report import JobLine, WorkerReport, worker_report
from .state import JobRecord, Phase, WorkerState

__all__ = [
    "LOOPBACK_RAY_ENV",
    "is_loopback",
    "keep_ray_on_loopback",
    "ray_temp_dir",
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
    "RayExecutor",
    "WorkerError",
    "result_of",
]
