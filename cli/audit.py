"""`agora audit …`: re-check settlements, token conservation and the deployed code from the chain
alone (docs/audit.md). Exit status 0 when everything checks, 1 when something does not (one line
per discrepancy), 2 when the audit could not run."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import orjson
import typer
from web3 import Web3

from ledger import LOG_PAGE, ChainHandle, Deployment, LedgerError
from verifier import AuditReport, ProofNotFound, audit_code, audit_conservation, audit_settlements, check_proofs

from . import _common as c

app = typer.Typer(
    help="Audit the market from the chain alone: settlements, token conservation, deployed code.",
    no_args_is_help=True,
)
F = TypeVar("F", bound=Callable[..., Any])
FAILED, CANNOT_RUN = 1, 2

HomeOpt = Annotated[Path | None, typer.Option("--home", help="State directory (default: AGORA_HOME or ~/.agora).")]
RpcOpt = Annotated[
    str | None,
    typer.Option("--rpc-url", help="Any Ethereum JSON-RPC endpoint (default: AGORA_RPC_URL, else the local chain)."),
]
RecordOpt = Annotated[
    Path | None,
    typer.Option("--deployment", help="The deployment record (JSON) naming the contracts (default: the home's)."),
]
ToOpt = Annotated[
    int | None, typer.Option("--to-block", help="Audit the chain as of this block (default: the head).", min=0)
]
PageOpt = Annotated[
    int, typer.Option("--page", help="Blocks per eth_getLogs request (agora chain serve: 10,000 at most).", min=1)
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")]


def _cannot_run(message: str) -> NoReturn:
    typer.secho(f"Error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(CANNOT_RUN)


def _runs(fn: F) -> F:
    """A chain, record or compiler error stops the audit with exit status 2, in one line."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (LedgerError, ValueError, OSError) as exc:
            _cannot_run(str(exc))

    return wrapper  # type: ignore[return-value]


def _deployment(handle: ChainHandle, record: Path | None, home: Path | None) -> Deployment:
    if record is None:
        return c.deployment(handle, home)
    deployment = Deployment(**orjson.loads(record.read_bytes()))
    w3: Web3 = handle.w3
    chain_id, genesis = int(w3.eth.chain_id), w3.eth.get_block(0)["hash"].to_0x_hex()
    if (deployment.chain_id, deployment.genesis_hash) != (chain_id, genesis):
        recorded = f"chain {deployment.chain_id} ({deployment.genesis_hash[:10]})"
        _cannot_run(f"{record} is a record of {recorded}, not of this one: {chain_id} ({genesis[:10]})")
    return deployment


def _progress(quiet: bool) -> Callable[[str], None]:
    return (lambda _: None) if quiet else (lambda line: typer.echo(line, err=True))


def _finish(report: AuditReport, *, as_json: bool, movements: bool = True, notes: bool = True) -> None:
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        for line in report.notes if notes else []:
            typer.echo(line)
        for movement in report.movements if movements else []:
            typer.echo(movement.line())
        for finding in report.findings:
            typer.echo(finding.line())
        typer.echo(report.summary())
    if not report.ok:
        raise typer.Exit(FAILED)


@app.command()
@_runs
def job(
    job_id: Annotated[str, typer.Argument(help="The job's id (0x and 64 hex digits).")],
    rpc_url: RpcOpt = None,
    record: RecordOpt = None,
    to_block: ToOpt = None,
    page: PageOpt = LOG_PAGE,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    home: HomeOpt = None,
) -> None:
    """Every payment, refund and slash of one job, each re-derived by the protocol's rules (its
    court case, drawn rounds and audit included), and the job against the contracts' state."""
    raw = bytes.fromhex(job_id.removeprefix("0x"))
    if len(raw) != 32:
        raise ValueError(f"not a job id: {job_id!r} (0x and 64 hex digits)")
    with c.chain(home, rpc_url) as handle:
        deployment = _deployment(handle, record, home)
        report = audit_settlements(
            handle.w3, deployment, job_ids=[raw], to_block=to_block, page=page, progress=_progress(quiet)
        )
    _finish(report, as_json=as_json)


@app.command()
@_runs
def proof(
    job_id: Annotated[str, typer.Argument(help="A ZK job's id (0x and 64 hex digits).")],
    store_nodes: Annotated[
        str | None, typer.Option("--nodes", help="Store node URLs, comma-separated (default: the running market's).")
    ] = None,
    rpc_url: RpcOpt = None,
    record: RecordOpt = None,
    home: HomeOpt = None,
) -> None:
    """A ZK job's proof checked again in Python with its program's verification key (from the
    store), beside the verdict the proof court gave with the pinned verifier (docs/audit.md)."""
    raw = bytes.fromhex(job_id.removeprefix("0x"))
    if len(raw) != 32:
        raise ValueError(f"not a job id: {job_id!r} (0x and 64 hex digits)")
    nodes = c.store_nodes(store_nodes, home)
    if not nodes:
        _cannot_run("no store nodes to read the program's key from: give --nodes (or AGORA_STORE_NODES)")
    with c.chain(home, rpc_url) as handle, c.store_client(nodes, state=home) as store:
        try:
            checks = check_proofs(handle.w3, _deployment(handle, record, home), store, raw)
        except ProofNotFound as exc:
            _cannot_run(str(exc))
    for check in checks:
        said = "unknown" if check.in_python is None else ("valid" if check.in_python else "invalid")
        mark = "ok  " if check.agrees else "FAIL"
        typer.echo(
            f"{mark} {check.program or '?'}: proof by {check.prover}: proof court {check.on_chain.describe()}, "
            f"Python {said} ({check.why})"
        )
    if not all(check.agrees for check in checks):
        raise typer.Exit(FAILED)


@app.command()
@_runs
def settlements(
    from_block: Annotated[
        int | None, typer.Option("--from-block", help="Jobs with an event from this block on (default: all).", min=0)
    ] = None,
    to_block: ToOpt = None,
    rpc_url: RpcOpt = None,
    record: RecordOpt = None,
    page: PageOpt = LOG_PAGE,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    home: HomeOpt = None,
) -> None:
    """Every payment, refund and slash from --from-block to --to-block, each re-derived by the
    protocol's rules from its job's whole history; every such job against the contracts' state."""
    with c.chain(home, rpc_url) as handle:
        deployment = _deployment(handle, record, home)
        report = audit_settlements(
            handle.w3, deployment, from_block=from_block, to_block=to_block, page=page, progress=_progress(quiet)
        )
    _finish(report, as_json=as_json, notes=False)


@app.command()
@_runs
def conservation(
    to_block: ToOpt = None,
    rpc_url: RpcOpt = None,
    record: RecordOpt = None,
    page: PageOpt = LOG_PAGE,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    home: HomeOpt = None,
) -> None:
    """Rebuild every balance from events: tokens conserved (balances + burned = minted), every
    token movement explained by a protocol event, and the market, the stake manager and the court
    holding exactly what they owe."""
    with c.chain(home, rpc_url) as handle:
        deployment = _deployment(handle, record, home)
        report = audit_conservation(handle.w3, deployment, to_block=to_block, page=page, progress=_progress(quiet))
    _finish(report, as_json=as_json, movements=False)


@app.command("verify-code")
@_runs
def verify_code(
    sources: Annotated[
        Path | None, typer.Option("--sources", help="The repository whose contracts/ to compile (default: this one).")
    ] = None,
    to_block: ToOpt = None,
    rpc_url: RpcOpt = None,
    record: RecordOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    home: HomeOpt = None,
) -> None:
    """Compile the contracts again with the pinned solc and check that the code at every recorded
    address is theirs (immutables masked), with the same metadata, wired to each other."""
    with c.chain(home, rpc_url) as handle:
        deployment = _deployment(handle, record, home)
        kwargs: dict[str, Any] = {} if sources is None else {"root": sources}
        report = audit_code(handle.w3, deployment, at=to_block, progress=_progress(quiet), **kwargs)
    _finish(report, as_json=as_json, movements=False)
