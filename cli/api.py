"""`agora api …`: the REST API over the indexed market."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Annotated

import typer

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
    blob_quota: Annotated[
        str, typer.Option("--blob-quota", help="Bytes each uploader may store through the API (1GiB, 500MB, …).")
    ] = "1GiB",
    max_blob: Annotated[str, typer.Option("--max-blob", help="The largest blob one upload may be.")] = "1GiB",
) -> None:
    """Serve the API (OpenAPI at /openapi.json, docs at /docs), indexing the chain as it goes and
    relaying the requests it accepts."""
    # The port before anything else: a port in use fails at once, and `agora up` starts what
    # comes after the API (Ray, whose processes take ports of their own) as soon as it is taken.
    listening = _bind(host, port)
    import frontend
    from ledger import JobMarket, Transactor, run_until
    from marketplace.api import create_app
    from marketplace.db import database_url, make_engine, migrate
    from marketplace.indexer import Indexer, log
    from marketplace.intake import Intake, Relayer
    from store import NodeLimits, node_identity, serve_guarded

    stop = threading.Event()
    with c.chain(home) as handle:
        deployment = c.deployment(handle, home)
        engine = make_engine(database or database_url(c.home(home)))
        migrate(engine)
        indexer = Indexer(handle.w3, deployment, engine)
        typer.echo("indexing the chain…", err=True)
        indexer.catch_up()
        # (tick, interval, wake): the relayer wakes when a request is accepted, the indexer when
        # the relayer posted; the indexer also looks often (20 times a second), as an idle look is one
        # eth_getBlockByNumber.
        index_wake, relay_wake = threading.Event(), threading.Event()
        loops = [(lambda: indexer.step() > 0, 0.05, index_wake)]
        intake = None
        nodes = c.store_nodes(store_nodes, home)
        relayer = None if read_only else c.account(handle, sender, home)
        store = c.store_client(nodes, signer=relayer) if nodes else None  # uploads are written under its key
        if relayer is not None:
            _fund(handle, deployment, relayer)
            market = JobMarket(handle.w3, deployment, Transactor(handle.w3, relayer))
            intake = Intake(engine, market, relayer.address, store, accepted=relay_wake)
            relay = Relayer(engine, market)

            def relay_tick() -> bool:
                moved = relay.step()
                if moved:
                    index_wake.set()
                return moved > 0

            loops.append((relay_tick, 0.5, relay_wake))
            typer.echo(f"relayer {relayer.address}" + ("" if store else " (no store nodes: blobs unchecked)"), err=True)
        threads = [
            threading.Thread(
                target=run_until,
                args=(stop, tick),
                kwargs={"interval": interval, "log": log, "wake": wake},
                daemon=True,
            )
            for tick, interval, wake in loops
        ]
        for thread in threads:
            thread.start()
        typer.echo(
            f"API on http://{host}:{port} (dashboard at /ui/, docs at /docs), indexed to block {indexer.cursor:,}"
        )
        try:
            serve_guarded(
                create_app(
                    engine,
                    w3=handle.w3,
                    deployment=deployment,
                    indexer=indexer,
                    intake=intake,
                    store=store,
                    api_id=node_identity(c.home(home) / "api") if store is not None and not read_only else None,
                    blob_quota=c.parse_size(blob_quota),
                    max_blob=c.parse_size(max_blob),
                    dashboard=frontend.STATIC,
                    chain_url=handle.url,
                ),
                host=host,
                port=port,
                limits=NodeLimits(),
                sock=listening,
            )
        finally:
            stop.set()
            index_wake.set()
            relay_wake.set()
            for thread in threads:
                thread.join(timeout=5)


def _bind(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port``, not listening yet: no port-0 bind (Ray's) is given
    the port, and connections are refused until the API serves. Says `bound`. (Another server
    that sets SO_REUSEADDR, as this one does, could still bind it until the API listens: the API
    then exits saying so.)"""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        c.fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    typer.echo(f"bound {host}:{port}", err=True)
    return sock


def _fund(handle, deployment, relayer) -> None:  # type: ignore[no-untyped-def]
    """On a development chain, from account 0: gas for the relayer when it runs low, and 1 AGR
    for a deposit, which makes it a writer on store nodes that take accounts with one (uploads)."""
    from ledger import DEV_CHAIN_IDS, JobMarket, Token, Transactor, dev_account

    if int(handle.w3.eth.chain_id) not in DEV_CHAIN_IDS or relayer.address == dev_account(0).address:
        return
    if int(handle.w3.eth.get_balance(relayer.address)) < 10**18:
        Transactor(handle.w3, dev_account(0)).send(to=relayer.address, value=100 * 10**18)
    market = JobMarket(handle.w3, deployment, Transactor(handle.w3, relayer))
    if market.balance_of(relayer.address) == 0:
        Token(handle.w3, deployment, Transactor(handle.w3, dev_account(0))).transfer(relayer.address, 10**18)
        market.deposit(10**18)
