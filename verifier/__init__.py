"""Verification: re-executing what the market settles, disputing what is wrong, and serving the
court. May import `ledger`, `store`, `compute` and `duties` only (never `worker`).

The daemon (`Verifier`, docs/verifier.md) follows the market, re-executes every unresolved job
and a secret sample of provisional settlements on Ray, and records each check (`CheckLog`). With a
key it disputes what it finds wrong and keeps the court's cases moving; with a stake it serves
where the stake draws it, a juror's seats or an auditor's slot, with a worker's own code
(`duties.Duties`), each duty recorded beside the checks (`DutyRecord`).

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
from .checks import Check, CheckLog, DutyRecord, Verdict
from .daemon import Verifier, VerifierConfig
from .proofs import ProofCheck, ProofNotFound, check_proofs

__all__ = [
    "AuditReport",
    "ChainReader",
    "Check",
    "CheckLog",
    "CompileError",
    "Compiled",
    "DutyRecord",
    "Finding",
    "Movement",
    "ProofCheck",
    "ProofNotFound",
    "Verdict",
    "Verifier",
    "VerifierConfig",
    "audit_code",
    "audit_conservation",
    "audit_settlements",
    "check_conservation",
    "check_proofs",
    "check_settlements",
    "compile_contracts",
    "scan_events",
    "verify_code",
]
