"""`agora worker …`: run a worker daemon, and see how a worker stands."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Annotated

import orjson
import typer
from eth_account.signers.local import LocalAccount

from ledger import (
    ChainHandle,
    Deployment,
    Keystore,
    Names,
    dev_account,
    format_tokens,
    parse_tokens,
    region_code,
    region_index,
    split_agora_name,
)
from worker import BidPolicy, Worker, WorkerConfig, WorkerState, worker_report

from . import _common as c

app = typer.Typer(help="Workers: earn tokens by running jobs.", no_args_is_help=True)
HomeOpt = Annotated[Path | None, typer.Option("--home", help="State directory (default: AGORA_HOME or ~/.agora).")]
log = logging.getLogger("agora.worker")


def worker_dir(home: Path, name: str) -> Path:
    return home / "workers" / split_agora_name(name)


def _check_name(handle: ChainHandle, deployment: Deployment, name: str, sender: str | None, directory: Path) -> None:
    """Refuses a name another key owns, before this worker makes a key or spends anything."""
    owner = Names(handle.w3, deployment).owner(name)
    if owner is None:
        return
    record = directory / "worker.json"
    if sender and sender.startswith("dev:") and sender[4:].isdigit():
        mine: str | None = dev_account(int(sender[4:])).address
    elif sender:
        mine = sender
    else:
        mine = orjson.loads(record.read_bytes())["address"] if record.exists() else None
    if mine is None or mine.lower() != owner.lower():
        c.fail(
            f"{name}.agora belongs to {owner}"
            + (f", not {mine}" if mine else "")
            + ": choose another --name, or run with --from its owner"
        )


def _key(handle: ChainHandle, sender: str | None, home: Path, directory: Path) -> LocalAccount:
    """``--from`` when given; else the key this worker created on its first start; else a new one."""
    if sender:
        return c.account(handle, sender, home)
    record = directory / "worker.json"
    keystore = Keystore(home)
    if record.exists():
        address = json.loads(record.read_text())["address"]
        return keystore.load(address, c.password())
    address = keystore.new(c.password(confirm=True))
    directory.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps({"address": address}) + "\n")
    typer.echo(f"created the worker's key {address} in {keystore.dir}")
    return keystore.load(address, c.password())


@app.command()
@c.reports_errors
def run(
    name: Annotated[str, typer.Option("--name", help="The worker's name: NAME.agora is registered if needed.")],
    stake: Annotated[str, typer.Option(help="Stake to hold (AGR); topped up on start.")] = "200",
    region: Annotated[
        str | None, typer.Option(help="Region to declare, e.g. eu, us, ch (default: keep the declared one, or global).")
    ] = None,
    ray: Annotated[str, typer.Option("--ray", help="'local' (a Ray of its own) or a cluster's HOST:PORT.")] = "local",
    store_nodes: Annotated[
        str | None, typer.Option("--store-nodes", help="Comma-separated store node URLs (default: AGORA_STORE_NODES).")
    ] = None,
    min_price: Annotated[str, typer.Option(help="Least payment per job (AGR).")] = "0",
    max_concurrent: Annotated[int, typer.Option(help="Executions at once.", min=1)] = 2,
    prove: Annotated[
        bool, typer.Option("--prove/--no-prove", help="Take ZK jobs: prove them (zokrates-js on Ray) before locking.")
    ] = True,
    max_fuel: Annotated[int, typer.Option(help="Largest fuel limit it accepts.", min=1)] = 10**11,
    max_blob: Annotated[
        str, typer.Option("--max-blob", help="Largest program or input it fetches from the store, e.g. 64MiB.")
    ] = "64MiB",
    sender: Annotated[str | None, typer.Option("--from", help="Use this key (address or dev:N).")] = None,
    poll: Annotated[float, typer.Option(help="Seconds between looks at the chain when idle.", min=0.01)] = 0.2,
    home: HomeOpt = None,
) -> None:
    """Run a worker: register its name, stake, then bid for jobs, execute them on Ray, commit,
    reveal and get paid, until Ctrl-C. Its jobs and salts persist under --home/workers/NAME, so a
    restart picks up where it stopped."""
    state = c.home(home)
    directory = worker_dir(state, name)
    nodes = c.store_nodes(store_nodes, home)
    if not nodes:
        c.fail("no store nodes: pass --store-nodes or set AGORA_STORE_NODES")
    region_number = None if region is None else region_index(region)
    policy = BidPolicy(
        min_price=parse_tokens(min_price),
        max_fuel=max_fuel,
        region=region_number,
        max_concurrent=max_concurrent,
        prove=prove,
    )
    config = WorkerConfig(
        name=split_agora_name(name),
        state_dir=directory,
        store_nodes=nodes,
        stake=parse_tokens(stake),
        region=region_number,
        ray=ray,
        policy=policy,
        poll_interval=poll,
        max_blob=c.parse_size(max_blob),
    )
    stop = threading.Event()
    with c.chain(home) as handle:
        deployment = c.deployment(handle, home)
        _check_name(handle, deployment, config.name, sender, directory)  # before a key, gas or stake is spent
        account = _key(handle, sender, state, directory)
        store = c.store_client(nodes, signer=account)  # workers have stake: nodes accept their writes
        executor = c.ray_with_stop(ray, directory, stop)
        daemon = Worker(handle.w3, deployment, account, config, store=store, executor=executor)
        try:
            typer.echo(f"worker {config.name}.agora ({daemon.address}) on {handle.description}")
            daemon.setup()
            where = "undeclared" if daemon.policy.region is None else region_code(daemon.policy.region)
            typer.echo(
                f"ready: min price {format_tokens(policy.min_price)} AGR, up to {max_concurrent} at once, "
                f"region {where}, Ray {ray}; Ctrl-C stops"
            )
            daemon.run(stop)
            typer.echo("stopped")
        finally:
            daemon.close()
            store.close()
            executor.shutdown()


@app.command()
@c.reports_errors
def status(
    name: Annotated[str, typer.Argument(help="The worker's name (NAME or NAME.agora) or address.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    home: HomeOpt = None,
) -> None:
    """Stake, locked collateral, jobs in flight, earnings and slashes, from the chain (plus the
    daemon's own view of its jobs when its state is on this machine)."""
    with c.chain(home) as handle:
        deployment = c.deployment(handle, home)
        address = name if name.startswith("0x") else Names(handle.w3, deployment).resolve(name)
        report = worker_report(handle.w3, deployment, address)
    local = worker_dir(c.home(home), name) / "jobs.sqlite" if not name.startswith("0x") else None
    phases: dict[str, int] = {}
    if local is not None and local.exists():
        state = WorkerState(local)
        phases = {p.value: n for p, n in state.counts().items()}
        state.close()
    if as_json:
        typer.echo(json.dumps({**report.to_json(), "local": phases}, indent=2))
        return
    t = format_tokens
    region = "undeclared" if report.region is None else region_code(report.region)
    typer.echo(f"worker     {name} ({report.address}), region {region}")
    typer.echo(f"stake      {t(report.free)} AGR free, {t(report.locked)} locked, {t(report.unbonding)} unbonding")
    typer.echo(f"jobs       {len(report.jobs)} taken, {len(report.in_flight)} in flight")
    typer.echo(f"earnings   {t(report.earned)} AGR earned; {t(report.balance)} AGR in its market balance")
    slashes = ", ".join(f"{n} {reason}" for reason, n in report.slashes_by_reason().items()) or "none"
    typer.echo(f"slashes    {t(report.slashed)} AGR ({slashes})")
    if phases:
        typer.echo("this node  " + ", ".join(f"{n} {p}" for p, n in sorted(phases.items())))
    for job in report.in_flight:
        typer.echo(f"  in flight 0x{job.job_id.hex()} at {t(job.price)} AGR ({job.status.name.lower()})")
