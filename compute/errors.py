"""The compute package's exceptions."""

from __future__ import annotations


class ComputeError(Exception):
    """Root of every error the compute package raises (building a program; running one never raises)."""


class BuildError(ComputeError):
    """Raised when a program's source cannot be compiled to WebAssembly."""
