"""The duties package's exceptions."""

from __future__ import annotations


class DutiesError(Exception):
    """Root of every error the duties package raises."""


class StakeUnfunded(DutiesError):
    """Raised when the stake asked for needs more AGR than the account's wallet holds."""
