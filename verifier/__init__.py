"""Verification: re-executing what the market settles, and (as the verification issue lands)
disputes and drawn rounds. May import `ledger`, `store` and `compute` only.

The daemon (`Verifier`, docs/verifier.md) follows the market, re-executes every unresolved job
and a secret sample of provisional settlements on Ray, and records each check (`CheckLog`).

The auditor's tools (`audit_settlements`, `audit_conservation`, `audit_code`; docs/audit.md)
re-check settlements, token conservation and the deployed code from the chain alone.
"""

from .audit import (
    AuditReport,
    ChainReader,
    Compiled,
    CompileError,
    Finding,
    Movement,
    audit_code,
    audit_conservation,
    audit_settlements,
    check_conservation,
    check_settlements,
    compile_contracts,
    scan_events,
    verify_code,
)
from .checks import Check, CheckLog, Verdict
from .daemon import Verifier, VerifierConfig

__all__ = [
    "AuditReport",
    "ChainReader",
    "Check",
    "CheckLog",
    "CompileError",
    "Compiled",
    "Finding",
    "Movement",
    "Verdict",
    "Verifier",
    "VerifierConfig",
    "audit_code",
    "audit_conservation",
    "audit_settlements",
    "check_conservation",
    "check_settlements",
    "compile_contracts",
    "scan_events",
    "verify_code",
]
