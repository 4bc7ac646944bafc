"""`agora api …`: the REST API over the indexed market."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer

from ledger import run_until
from marketplace.api import create_app
from marketplace.db import database_url, make_engine, migrate
from marketplace.indexer import Indexer, log
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
) -> None:
    """Serve the API (OpenAPI at /openapi.json, docs at /docs), indexing the chain as it goes."""
    stop = threading.Event()
    with c.chain(home) as handle:
        deployment = c.deployment(handle, home)
        engine = make_engine(database or database_url(c.home(home)))
        migrate(engine)
        indexer = Indexer(handle.w3, deployment, engine)
        typer.echo("indexing the chain…", err=True)
        indexer.catch_up()
        follower = threading.Thread(
            target=run_until, args=(stop, lambda: indexer.step() > 0), kwargs={"interval": 1.0, "log": log}, daemon=True
        )
        follower.start()
        typer.echo(f"API on http://{host}:{port} (docs at /docs), indexed to block {indexer.cursor:,}")
        try:
            serve_guarded(
                create_app(engine, w3=handle.w3, deployment=deployment, indexer=indexer),
                host=host,
                port=port,
                limits=NodeLimits(),
            )
        finally:
            stop.set()
            follower.join(timeout=5)
