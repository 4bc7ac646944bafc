"""What an audit found: discrepancies, one line each with where on chain they are, and the money
movements it re-derived (payments, refunds, slashes, juror fees, pot shares) with the reason for each."""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger import format_tokens


def short(value: bytes | str, width: int = 10) -> str:
    """A digest, id or address cut for reading: ``0x11111111…``."""
    text = value if isinstance(value, str) else "0x" + value.hex()
    return text if len(text) <= width + 2 else text[: width + 2] + "…"


@dataclass(frozen=True)
class Finding:
    """One discrepancy between what the protocol's rules (or the contracts' state) say and what
    the chain shows."""

    check: str  # "settlement", "court", "audit", "conservation", "code"
    message: str
    job_id: bytes | None = None
    block: int | None = None
    tx_hash: bytes | None = None

    def line(self) -> str:
        where = [f"block {self.block}"] if self.block is not None else []
        if self.tx_hash:
            where.append(f"tx 0x{self.tx_hash.hex()}")
        if self.job_id:
            where.append(f"job 0x{self.job_id.hex()}")
        return f"FAIL {self.check}: {self.message}" + (f" ({', '.join(where)})" if where else "")


@dataclass(frozen=True)
class Movement:
    """A payment, refund or slash seen on chain, with the rule that explains it (``why``) and
    whether it is exactly what the rule gives (``verified``)."""

    kind: str  # "paid", "refunded", "slashed", "juror fee", "pot share", "bond claim"
    job_id: bytes
    account: str
    amount: int
    why: str
    block: int
    tx_hash: bytes
    verified: bool

    def line(self) -> str:
        mark = "ok " if self.verified else "BAD"
        return (
            f"{mark} block {self.block:<7} job {short(self.job_id)} {self.kind:<10} {self.account} "
            f"{format_tokens(self.amount)} AGR: {self.why} (tx 0x{self.tx_hash.hex()})"
        )


@dataclass
class AuditReport:
    """Findings (empty when everything checks), movements, and notes that are not failures."""

    findings: list[Finding] = field(default_factory=list)
    movements: list[Movement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checks: int = 0

    @property
    def ok(self) -> bool:
        return not self.findings

    def fail(
        self,
        check: str,
        message: str,
        *,
        job_id: bytes | None = None,
        block: int | None = None,
        tx_hash: bytes | None = None,
    ) -> None:
        self.findings.append(Finding(check, message, job_id, block, tx_hash))

    def expect(self, condition: bool, check: str, message: str, **where: object) -> bool:
        """Counts one check; records ``message`` as a finding when ``condition`` is false."""
        self.checks += 1
        if not condition:
            self.fail(check, message, **where)  # type: ignore[arg-type]
        return condition

    def merge(self, other: AuditReport) -> None:
        self.findings += other.findings
        self.movements += other.movements
        self.notes += other.notes
        self.checks += other.checks

    def to_json(self) -> dict[str, object]:
        """The report as plain JSON values (addresses and hashes as 0x-hex, amounts in wei as strings)."""

        def hexed(value: bytes | None) -> str | None:
            return None if value is None else "0x" + value.hex()

        return {
            "ok": self.ok,
            "checks": self.checks,
            "findings": [
                {
                    "check": f.check,
                    "message": f.message,
                    "jobId": hexed(f.job_id),
                    "block": f.block,
                    "tx": hexed(f.tx_hash),
                }
                for f in self.findings
            ],
            "movements": [
                {
                    "kind": m.kind,
                    "jobId": hexed(m.job_id),
                    "account": m.account,
                    "amount": str(m.amount),
                    "why": m.why,
                    "block": m.block,
                    "tx": hexed(m.tx_hash),
                    "verified": m.verified,
                }
                for m in self.movements
            ],
            "notes": self.notes,
        }

    def summary(self) -> str:
        if self.ok:
            return f"ok: {self.checks} checks, no discrepancies"
        return f"FAILED: {len(self.findings)} discrepancies in {self.checks} checks"
