"""Verification: re-executing what the market settles, and (as the verification issue lands)
disputes and drawn rounds. May import `ledger`, `store` and `compute` only.

The daemon (`Verifier`, docs/verifier.md) follows the market, re-executes every unresolved job
and a secret sample of provisional settlements on Ray, and records each check (`CheckLog`).
"""

from .checks import Check, CheckLog, Verdict
from .daemon import Verifier, VerifierConfig

__all__ = ["Check", "CheckLog", "Verdict", "Verifier", "VerifierConfig"]
