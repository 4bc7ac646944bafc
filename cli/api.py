"""`agora api …`: the REST API over the indexed market."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer

from ledger import DEV_CHAIN_IDS, JobMarket, Transactor, dev_account, run_until
from marketplace.api import create_app
from marketplace.db import database_url, make_engine, migrate
from marketplace.indexer import Indexer, log
from marketplace.intake import Intake, Relayer
from store import NodeLimits, serve_guarded

from . import _common as c

app = typer.Typer(
    help="The REST API: jobs, timelines and the deployment, from the indexed chain.", no_args_is_help=True
)
HomeOpt = Annotated[Path | None, typer.Option("--home", help="State directory (default: AGORA_HOME or ~/.agora).")]


@app.command()
@c.reports_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    database: Annotated[
        str | None,
        typer.Option("--database", help="SQLAlchemy URL (default: AGORA_DATABASE_URL, else HOME/marketplace.sqlite)."),
    ] = None,
    home: HomeOpt = None,
    sender: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="The relayer: posts accepted requests and pays their gas (keystore address or dev:N; default: "
            "AGORA_ACCOUNT, the only key, or dev:0). --read-only: none.",
        ),
    ] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="Take no requests: reads only.")] = False,
    store_nodes: Annotated[
        str | None,
        typer.Option(
            "--store-nodes", help="Store nodes where submitted programs and inputs must be (AGORA_STORE_NODES)."
        ),
    ] = None,
) -> None:
    """Serve the API (OpenAPI at /openapi.json, docs at /docs), indexing the chain as it goes and
    relaying the requests it accepts."""
    stop = threading.Event()
    with c.chain(home) as handle:
        deployment = c.deployment(handle, home)
        engine = make_engine(database or database_url(c.home(home)))
        migrate(engine)
        indexer = Indexer(handle.w3, deployment, engine)
        typer.echo("indexing the chain…", err=True)
        indexer.catch_up()
        loops = [lambda: indexer.step() > 0]
        intake = None
        nodes = c.store_nodes(store_nodes)
        store = c.store_client(nodes) if nodes else None
        if not read_only:
            relayer = c.account(handle, sender, home)
            _fund(handle, relayer.address)
            market = JobMarket(handle.w3, deployment, Transactor(handle.w3, relayer))
            intake = Intake(engine, market, relayer.address, store)
            relay = Relayer(engine, market)
            loops.append(lambda: relay.step() > 0)
            typer.echo(f"relayer {relayer.address}" + ("" if store else " (no store nodes: blobs unchecked)"), err=True)
        threads = [
            threading.Thread(target=run_until, args=(stop, loop), kwargs={"interval": 0.5, "log": log}, daemon=True)
            for loop in loops
        ]
        for thread in threads:
            thread.start()
        typer.echo(f"API on http://{host}:{port} (docs at /docs), indexed to block {indexer.cursor:,}")
        try:
            serve_guarded(
                create_app(engine, w3=handle.w3, deployment=deployment, indexer=indexer, intake=intake, store=store),
                host=host,
                port=port,
                limits=NodeLimits(),
            )
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=5)


def _fund(handle, address: str) -> None:  # type: ignore[no-untyped-def]
    """On a development chain, gas for the relayer from account 0 when it runs low."""
    if int(handle.w3.eth.chain_id) in DEV_CHAIN_IDS and int(handle.w3.eth.get_balance(address)) < 10**18:
        if address != dev_account(0).address:
            Transactor(handle.w3, dev_account(0)).send(to=address, value=100 * 10**18)
