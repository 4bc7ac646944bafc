"""The deterministic runtime: what every replica of a job computes, bit for bit.

WebAssembly execution with fuel metering (`run`, docs/programs.md), its statuses and the result
digest workers commit (`Result`, `Status`), the state digest at a fuel checkpoint that jurors
commit beside their result (`checkpoint`), and building programs from C or WAT
(`build_program`). A bottom-layer package: it imports nothing of ours, so the worker, the
verifier and the CLI compute exactly the same thing.
"""

from .errors import BuildError, ComputeError
from .programs import build as build_program
from .runtime import DEFAULT_MEMORY, DEFAULT_OUTPUT, Checkpoint, Result, Status, checkpoint, compile_module, run

__all__ = [
    "DEFAULT_MEMORY",
    "DEFAULT_OUTPUT",
    "BuildError",
    "Checkpoint",
    "ComputeError",
    "Result",
    "Status",
    "build_program",
    "checkpoint",
    "compile_module",
    "run",
]
