"""`agora verifier …`: re-execute what the market settles, serve the court with a stake, and see
what was checked and served."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import _common as c

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from verifier import VerifierConfig

app = typer.Typer(help="Verifiers: re-execute settled jobs and report what they find.", no_args_is_help=True)
HomeOpt = Annotated[Path | None, typer.Option("--home", help="State directory (default: AGORA_HOME or ~/.agora).")]


def verifier_dir(home: Path) -> Path:
    return home / "verifier"


@app.command()
@c.reports_errors
def run(
    sample_rate: Annotated[
        float,
        typer.Option(help="Share of provisional settlements re-executed (every unresolved job is).", min=0, max=1),
    ] = 0.1,
    ray: Annotated[str, typer.Option("--ray", help="'local' (a Ray of its own) or a cluster's HOST:PORT.")] = "local",
    store_nodes: Annotated[
        str | None, typer.Option("--store-nodes", help="Comma-separated store node URLs (default: AGORA_STORE_NODES).")
    ] = None,
    max_blob: Annotated[
        str, typer.Option("--max-blob", help="Largest program or input it fetches from the store, e.g. 64MiB.")
    ] = "64MiB",
    max_fuel: Annotated[int, typer.Option(help="Largest fuel limit of a job it re-executes.", min=1)] = 10**11,
    max_concurrent: Annotated[
        int, typer.Option(help="Checks running at once (and executions for its duties, with a stake).", min=1)
    ] = 2,
    poll: Annotated[float, typer.Option(help="Seconds between looks at the chain when idle.", min=0.01)] = 0.5,
    sender: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Its key (keystore address or dev:N): a settlement it disagrees with is bonded against "
            "within its challenge window, and the court's cases it sees are kept moving. Without it, "
            "disagreements are reported only.",
        ),
    ] = None,
    max_bond: Annotated[str, typer.Option("--max-bond", help="Largest bond it posts per dispute (AGR).")] = "100",
    stake: Annotated[
        str,
        typer.Option(
            "--stake",
            help="AGR to hold in StakeManager (needs --from): drawn as a juror or as a job's auditor, it "
            "re-executes and votes or holds the slot. 0: no stake, never drawn.",
        ),
    ] = "0",
    home: HomeOpt = None,
) -> None:
    """Follow the market and re-execute every job in court and a secret sample of provisional
    settlements on Ray, logging and recording each check, until Ctrl-C; with --from, dispute a
    settlement it disagrees with and keep the cases it sees moving; with --stake, serve as a juror
    or an auditor when drawn. Its cursor, checks and duties persist under --home/verifier."""
    from duties import DutiesError
    from ledger import parse_tokens
    from verifier import Verifier, VerifierConfig

    directory = verifier_dir(c.home(home))
    nodes = c.store_nodes(store_nodes, home)
    if not nodes:
        c.fail("no store nodes: pass --store-nodes or set AGORA_STORE_NODES")
    if parse_tokens(stake) and sender is None:
        c.fail("--stake needs --from: the key whose stake it is")
    config = VerifierConfig(
        state_dir=directory,
        sample_rate=sample_rate,
        max_blob=c.parse_size(max_blob),
        max_fuel=max_fuel,
        max_concurrent=max_concurrent,
        poll_interval=poll,
        max_bond=parse_tokens(max_bond),
        stake=parse_tokens(stake),
    )
    stop = threading.Event()
    with c.chain(home) as handle:
        deployment = c.deployment(handle, home)
        account = None if sender is None else c.account(handle, sender, home)
        # With a stake it writes what an audit slot computed, which the store takes from stakers.
        store = c.store_client(nodes, signer=account)
        executor = c.ray_with_stop(ray, directory, stop)
        daemon = Verifier(handle.w3, deployment, config, store=store, executor=executor, account=account)
        try:
            try:
                daemon.setup()
            except DutiesError as exc:
                c.fail(str(exc))
            typer.echo(f"ready: verifier {_described(handle.description, config, ray, account)}; Ctrl-C stops")
            daemon.run(stop)
            typer.echo("stopped")
        finally:
            daemon.close()
            store.close()
            executor.shutdown()


def _described(chain: str, config: VerifierConfig, ray: str, account: LocalAccount | None) -> str:
    from ledger import format_tokens

    where = f"on {chain}, sample {config.sample_rate:.0%}, Ray {ray}"
    if account is None:
        return f"{where}, reports only"
    serves = f"serves the court with {format_tokens(config.stake)} AGR of stake" if config.stake else "holds no stake"
    return f"{where}, disputes as {account.address}, {serves}"


def _recorded(home: Path | None, what: str, as_json: bool) -> list[Any]:
    """The verifier's records of this home (``what``: "checks" or "duties"); printed as JSON
    (and none returned) with ``as_json``."""
    from verifier import CheckLog

    path = verifier_dir(c.home(home)) / "checks.sqlite"
    if not path.exists():
        c.fail(f"no verifier has run under {path.parent}")
    log = CheckLog(path)
    try:
        found: list[Any] = log.all() if what == "checks" else log.duties()
    finally:
        log.close()
    if as_json:
        typer.echo(json.dumps([record.to_json() for record in found], indent=2))
        return []
    if not found:
        typer.echo(f"no {what} yet")
    return found


@app.command()
@c.reports_errors
def checks(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    home: HomeOpt = None,
) -> None:
    """Every check the verifier of this home made: the job, what was claimed, its verdict and why."""
    for check in _recorded(home, "checks", as_json):
        typer.echo(f"0x{check.job_id.hex()}  {check.kind:<11} {check.verdict.value:<11} {check.detail}")


@app.command()
@c.reports_errors
def duties(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    home: HomeOpt = None,
) -> None:
    """Every duty the verifier of this home was drawn into with its stake (--stake): a juror's
    seats or an auditor's slot, the job, the round or slot, its latest step."""
    for duty in _recorded(home, "duties", as_json):
        place = f"round {duty.place}" if duty.role == "juror" else f"slot {duty.place}"
        typer.echo(f"0x{duty.job_id.hex()}  {duty.role:<7} {place:<8} {duty.note}")
