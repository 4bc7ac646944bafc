"""`agora verifier …`: re-execute what the market settles, and see what was checked."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Annotated

import typer
from eth_account.signers.local import LocalAccount

from ledger import DEV_CHAIN_IDS, ChainHandle, Deployment, Token, Transactor, dev_account, parse_tokens
from verifier import CheckLog, Verifier, VerifierConfig

from . import _common as c

app = typer.Typer(help="Verifiers: re-execute settled jobs and report what they find.", no_args_is_help=True)
HomeOpt = Annotated[Path | None, typer.Option("--home", help="State directory (default: AGORA_HOME or ~/.agora).")]


def verifier_dir(home: Path) -> Path:
    return home / "verifier"


def _fund(handle: ChainHandle, deployment: Deployment, account: LocalAccount, max_bond: int) -> None:
    """On a development chain, gas from account 0 and bonds (ten of the largest) from the faucet;
    elsewhere the operator funds the key."""
    if int(handle.w3.eth.chain_id) not in DEV_CHAIN_IDS:
        return
    if int(handle.w3.eth.get_balance(account.address)) < 10**18:
        Transactor(handle.w3, dev_account(0)).send(to=account.address, value=10 * 10**18)
    token = Token(handle.w3, deployment, Transactor(handle.w3, account))
    missing = 10 * max_bond - token.balance_of(account.address)
    if missing > 0:
        token.faucet(account.address, missing)


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
    sender: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Dispute with this key (keystore address or dev:N): a settlement it disagrees with is "
            "bonded against within its challenge window. Without it, disagreements are reported only.",
        ),
    ] = None,
    max_bond: Annotated[str, typer.Option("--max-bond", help="Largest bond it posts per dispute (AGR).")] = "100",
    home: HomeOpt = None,
) -> None:
    """Follow the market and re-execute every job in court and a secret sample of provisional
    settlements on Ray, logging and recording each check, until Ctrl-C; with --from, dispute a
    settlement it disagrees with. Its cursor and checks persist under --home/verifier."""
    directory = verifier_dir(c.home(home))
    nodes = c.store_nodes(store_nodes, home)
    if not nodes:
        c.fail("no store nodes: pass --store-nodes or set AGORA_STORE_NODES")
    config = VerifierConfig(
        state_dir=directory,
        sample_rate=sample_rate,
        max_blob=c.parse_size(max_blob),
        max_fuel=max_fuel,
        max_concurrent=max_concurrent,
        poll_interval=poll,
        max_bond=parse_tokens(max_bond),
    )
    stop = threading.Event()
    with c.chain(home) as handle:
        deployment = c.deployment(handle, home)
        store = c.store_client(nodes)  # reads only
        executor = c.ray_with_stop(ray, directory, stop)
        account = None if sender is None else c.account(handle, sender, home)
        if account is not None:
            _fund(handle, deployment, account, config.max_bond)
        daemon = Verifier(handle.w3, deployment, config, store=store, executor=executor, account=account)
        disputes = "reports only" if account is None else f"disputes as {account.address}"
        try:
            where = f"on {handle.description}, sample {sample_rate:.0%}, Ray {ray}"
            typer.echo(f"ready: verifier {where}, {disputes}; Ctrl-C stops")
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
