"""Worker daemon: bidding policy, deterministic WebAssembly execution on Ray, result
commit/reveal. May import `ledger` and `store` only.

Built so far: the deterministic runtime (`run`, see docs/programs.md). The daemon, Ray
execution and example programs are the rest of the worker issue.
"""

from .errors import WorkerError
from .execution import RayExecutor, result_of
from .programs import build as build_program
from .runtime import Result, Status, compile_module, run

__all__ = ["RayExecutor", "Result", "Status", "WorkerError", "build_program", "compile_module", "result_of", "run"]
