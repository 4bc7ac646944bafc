"""The worker package's exceptions."""

from __future__ import annotations


class WorkerError(Exception):
    """Root of every error the worker package raises."""
