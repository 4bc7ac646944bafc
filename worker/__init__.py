"""Worker daemon: bidding policy, deterministic WebAssembly execution on Ray, result
commit/reveal. May import `ledger` and `store` only.

Built so far: the deterministic runtime (`run`, docs/programs.md), Ray execution
(`RayExecutor`), program builds, and the market feed (`JobFeed`). The daemon is to come.
"""

from .errors import WorkerError
from .execution import RayExecutor, result_of
from .feed import JobFeed, MarketEvent
from .programs import build as build_program
from .runtime import Result, Status, compile_module, run

__all__ = [
    "JobFeed",
    "MarketEvent",
    "RayExecutor",
    "Result",
    "Status",
    "WorkerError",
    "build_program",
    "compile_module",
    "result_of",
    "run",
]
