"""The auditor's tools: everything re-checked from the chain alone (a JSON-RPC endpoint and the
deployment record; no API, no database). docs/audit.md says what each check is.

- `audit_settlements`: every payment, refund and slash of the jobs asked about, each re-derived
  from the jobs' events by the protocol's rules (the market's and the court's, drawn rounds and
  audits included) and matched against what the chain logged; then each job against the
  contracts' state.
- `audit_conservation`: every balance rebuilt from events; tokens conserved; what the market,
  the stake manager and the court hold equal to what they owe.
- `audit_code`: the contracts compiled again with the pinned compiler; the code at each recorded
  address must be theirs (immutables masked), metadata and wiring included.

The checkers under them (`check_settlements`, `check_conservation`, `verify_code`) take the
decoded events (or the compiled contracts) as arguments, so a doctored history can be fed to them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path

from web3 import Web3

from ledger import LOG_PAGE, Deployment, Event, JobEvent, JobStatus

from ._audit_chain import PROTOCOL, ChainReader, Progress, creation_block, protocol_start, scan_events
from ._audit_code import ROOT, Compiled, CompileError, compile_contracts, verify_code
from ._audit_conservation import Conservation
from ._audit_job import JobModel
from ._audit_jobs import JobReplay
from ._audit_report import AuditReport, Finding, Movement, short

__all__ = [
    "AuditReport",
    "ChainReader",
    "CompileError",
    "Compiled",
    "Finding",
    "Movement",
    "audit_code",
    "audit_conservation",
    "audit_settlements",
    "check_conservation",
    "check_settlements",
    "compile_contracts",
    "scan_events",
    "verify_code",
]

JOB_CONTRACTS = ("StakeManager", "JobMarket", "Court", "ProofCourt")


def _quiet(_: str) -> None:
    return None


def audit_settlements(
    w3: Web3,
    deployment: Deployment,
    *,
    job_ids: Collection[bytes] | None = None,
    from_block: int | None = None,
    to_block: int | None = None,
    page: int = LOG_PAGE,
    progress: Progress = _quiet,
) -> AuditReport:
    """Audits the jobs ``job_ids``, else every job with an event from ``from_block`` to ``to_block``
    (default: the head), over their whole history up to ``to_block``."""
    reader = ChainReader(w3, deployment, at=to_block)
    start = protocol_start(w3, deployment, progress)
    events = scan_events(
        w3, deployment, start=start, end=reader.at, contracts=JOB_CONTRACTS, page=page, progress=progress
    )
    return check_settlements(events, reader, job_ids=job_ids, from_block=from_block)


def check_settlements(
    events: Iterable[Event],
    reader: ChainReader,
    *,
    job_ids: Collection[bytes] | None = None,
    from_block: int | None = None,
) -> AuditReport:
    """The settlement audit of ``events`` (decoded, of the stake manager, the market and the
    court, from their creation on), with state read through ``reader``."""
    events = list(events)
    first = from_block or 0
    scope = (
        set(job_ids)
        if job_ids is not None
        else {e.job_id for e in events if isinstance(e, JobEvent) and e.block >= first}
    )
    report = AuditReport()
    replay = JobReplay(reader, report, in_scope=scope.__contains__)
    replay.run(events)
    for job_id in sorted(scope - replay.jobs.keys()):
        report.fail("settlement", "no such job: it was never posted", job_id=job_id)
    replay.compare_state(sorted(scope & replay.jobs.keys()))
    report.movements = [m for m in report.movements if m.block >= first]
    report.notes += [_describe(replay.jobs[j]) for j in sorted(scope & replay.jobs.keys())]
    return report


def _describe(job: JobModel) -> str:
    r = job.request
    outcome = f" on {short(job.outcome)}" if job.status == JobStatus.SETTLED else ""
    case = f", court case {job.case.phase.name.lower()} in round {job.case.round}" if job.case is not None else ""
    audited = ", audited" if any(s.auditor for s in job.slots) else ""
    return (
        f"job 0x{job.job_id.hex()}: {r.mode.name.lower()} k={r.redundancy} q={r.quorum}, "
        f"{len(job.slots)} slot(s) taken{audited}, {job.status.name.lower()}{outcome}{case}"
    )


def audit_conservation(
    w3: Web3, deployment: Deployment, *, to_block: int | None = None, page: int = LOG_PAGE, progress: Progress = _quiet
) -> AuditReport:
    """Rebuilds every balance from the protocol's events up to ``to_block`` and checks conservation."""
    reader = ChainReader(w3, deployment, at=to_block)
    start = protocol_start(w3, deployment, progress)
    token_block = (
        creation_block(w3, deployment.address("AgoraToken"), before=deployment.block)
        if start < deployment.block
        else start
    )
    events = scan_events(w3, deployment, start=start, end=reader.at, contracts=PROTOCOL, page=page, progress=progress)
    return check_conservation(events, reader, token_block=token_block)


def check_conservation(events: Iterable[Event], reader: ChainReader, *, token_block: int) -> AuditReport:
    """The conservation audit of ``events`` (decoded, of the token, the stake manager, the market
    and the court, from the token's creation in ``token_block`` on)."""
    report = AuditReport()
    books = Conservation(reader, report, token_block=token_block)
    books.run(list(events))
    books.compare()
    return report


def audit_code(
    w3: Web3,
    deployment: Deployment,
    *,
    root: Path = ROOT,
    at: int | None = None,
    compiled: dict[str, Compiled] | None = None,
    progress: Progress = _quiet,
) -> AuditReport:
    """Compiles the contracts under ``root`` again (unless ``compiled`` is given) and checks the
    code at every recorded address at block ``at`` (default: the head)."""
    if compiled is None:
        progress(f"compiling the contracts under {root / 'contracts'} with the pinned solc")
        compiled = compile_contracts(root)
    report = AuditReport()
    block = int(w3.eth.block_number) if at is None else at
    verify_code(w3, deployment, compiled, at=block, report=report)
    return report
