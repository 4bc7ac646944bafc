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
from .results import DEFAULT_OUTPUT, MAX_RECORD, Result, RunRecord, Status, result_digest

if TYPE_CHECKING:
    from .programs import build as build_program
    from .ray import LOOPBACK_RAY_ENV, RayExecutor, is_loopback, keep_ray_on_loopback, ray_temp_dir, result_of
    from .runtime import DEFAULT_MEMORY, Checkpoint, checkpoint, compile_module, run

# Loaded when one of these is first asked for, not by every reader of results (the API's client
# reads `Status` and `result_digest`): the WebAssembly engine (~30 ms to import) and Ray (a second).
_LAZY = {
    "programs": ("build_program",),
    "ray": ("LOOPBACK_RAY_ENV", "RayExecutor", "is_loopback", "keep_ray_on_loopback", "ray_temp_dir", "result_of"),
    "runtime": ("DEFAULT_MEMORY", "Checkpoint", "checkpoint", "compile_module", "run"),
}
_HOME = {name: module for module, names in _LAZY.items() for name in names}
_RENAMED = {"build_program": "build"}


def __getattr__(name: str) -> Any:
    from importlib import import_module

    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), _RENAMED.get(name, name))
    globals()[name] = value  # asked once
    return value


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
