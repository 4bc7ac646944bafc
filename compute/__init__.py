"""The deterministic runtime: what every replica of a job computes, bit for bit.

WebAssembly execution with fuel metering (`run`, docs/programs.md), its statuses and the result
digest workers commit (`Result`, `Status`), the state digest at a fuel checkpoint that jurors
commit beside their result (`checkpoint`), running it as Ray tasks on this machine or a cluster
(`RayExecutor`, with the loopback-only settings of a local Ray), and building programs from C or
WAT (`build_program`). A bottom-layer package: it imports nothing of ours, so the worker, the
verifier and the CLI compute exactly the same thing.
"""

from typing import TYPE_CHECKING, Any

from .errors import BuildError, ComputeError
from .programs import build as build_program
from .runtime import (
    DEFAULT_MEMORY,
    DEFAULT_OUTPUT,
    MAX_RECORD,
    Checkpoint,
    Result,
    RunRecord,
    Status,
    checkpoint,
    compile_module,
    result_digest,
    run,
)

if TYPE_CHECKING:
    from .ray import LOOPBACK_RAY_ENV, RayExecutor, is_loopback, keep_ray_on_loopback, ray_temp_dir, result_of

# Ray takes a second to import: loaded when one of these is first asked for, not by every user of
# the runtime (the API's client reads `Status` and `result_digest`).
_FROM_RAY = {"LOOPBACK_RAY_ENV", "RayExecutor", "is_loopback", "keep_ray_on_loopback", "ray_temp_dir", "result_of"}


def __getattr__(name: str) -> Any:
    if name in _FROM_RAY:
        from . import ray

        return getattr(ray, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_MEMORY",
    "DEFAULT_OUTPUT",
    "LOOPBACK_RAY_ENV",
    "MAX_RECORD",
    "BuildError",
    "Checkpoint",
    "RayExecutor",
    "ComputeError",
    "Result",
    "RunRecord",
    "Status",
    "build_program",
    "checkpoint",
    "compile_module",
    "is_loopback",
    "keep_ray_on_loopback",
    "ray_temp_dir",
    "result_digest",
    "result_of",
    "run",
]
