"""`agora verifier …`: re-execute what the market settles, and see what was checked."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Annotated

import typer

from verifier import CheckLog, Verifier, VerifierConfig

from . import _common as c

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
    max_concurrent: Annotated[int, typer.Option(help="Checks running at once.", min=1)] = 2,
    poll: Annotated[float, typer.Option(help="Seconds between looks at the chain when idle.", min=0.01)] = 0.5,
    home: HomeOpt = None,
) -> None:
    """Follow the market and re-execute every unresolved job and a secret sample of provisional
    settlements on Ray, logging and recording each check, until Ctrl-C. Its cursor and checks
    persist under --home/verifier."""
    directory = verifier_dir(c.home(home))
    nodes = c.store_nodes(store_nodes)
    if not nodes:
        c.fail("no store nodes: pass --store-nodes or set AGORA_STORE_NODES")
    config = VerifierConfig(
        state_dir=directory,
        sample_rate=sample_rate,
        max_blob=c.parse_size(max_blob),
        max_fuel=max_fuel,
        max_concurrent=max_concurrent,
        poll_interval=poll,
    )
    stop = threading.Event()
    with c.chain(home) as handle:
        deployment = c.deployment(handle, home)
        store = c.store_client(nodes)  # reads only
        executor = c.ray_with_stop(ray, directory, stop)
        daemon = Verifier(handle.w3, deployment, config, store=store, executor=executor)
        try:
            typer.echo(f"ready: verifier on {handle.description}, sample {sample_rate:.0%}, Ray {ray}; Ctrl-C stops")
            daemon.run(stop)
            typer.echo("stopped")
        finally:
            daemon.close()
            store.close()
            executor.shutdown()


@app.command()
@c.reports_errors
def checks(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    home: HomeOpt = None,
) -> None:
    """Every check the verifier of this home made: the job, what was claimed, its verdict and why."""
    path = verifier_dir(c.home(home)) / "checks.sqlite"
    if not path.exists():
        c.fail(f"no verifier has run under {path.parent}")
    log = CheckLog(path)
    try:
        found = log.all()
    finally:
        log.close()
    if as_json:
        typer.echo(json.dumps([check.to_json() for check in found], indent=2))
        return
    if not found:
        typer.echo("no checks yet")
    for check in found:
        typer.echo(f"0x{check.job_id.hex()}  {check.kind:<11} {check.verdict.value:<11} {check.detail}")
