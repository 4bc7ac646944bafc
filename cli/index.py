"""`agora index …`: the chain indexer behind the marketplace's database."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger import run_until
from marketplace.db import database_url, make_engine, migrate
from marketplace.indexer import Indexer, log
from marketplace.models import EventRow, JobRow

from . import _common as c

app = typer.Typer(help="The index: market and court events in the marketplace's database.", no_args_is_help=True)
HomeOpt = Annotated[Path | None, typer.Option("--home", help="State directory (default: AGORA_HOME or ~/.agora).")]
DatabaseOpt = Annotated[
    str | None,
    typer.Option("--database", help="SQLAlchemy URL (default: AGORA_DATABASE_URL, else HOME/marketplace.sqlite)."),
]


def _progress(cursor: int, head: int) -> None:
    typer.echo(f"  block {cursor:,} of {head:,}", err=True)


def _indexer(handle, home: Path | None, database: str | None) -> Indexer:  # type: ignore[no-untyped-def]
    engine = make_engine(database or database_url(c.home(home)))
    migrate(engine)
    return Indexer(handle.w3, c.deployment(handle, home), engine)


def _summary(indexer: Indexer) -> str:
    with Session(indexer.engine) as s:
        events = s.scalar(select(func.count()).select_from(EventRow)) or 0
        jobs = s.scalar(select(func.count()).select_from(JobRow)) or 0
    return f"{events:,} events of {jobs:,} jobs, up to block {indexer.cursor:,}"


@app.command()
@c.reports_errors
def run(
    home: HomeOpt = None,
    database: DatabaseOpt = None,
    poll: Annotated[float, typer.Option(help="Seconds between looks at the chain when idle.", min=0.01)] = 1.0,
) -> None:
    """Index from where it stopped, then follow the chain until Ctrl-C (a reorganisation is undone)."""
    stop = threading.Event()
    with c.chain(home) as handle:
        indexer = _indexer(handle, home, database)
        indexer.catch_up(_progress)
        typer.echo(f"indexed {_summary(indexer)}; following the chain")
        try:
            run_until(stop, lambda: indexer.step() > 0, interval=poll, log=log)
        except KeyboardInterrupt:
            stop.set()
        typer.echo(f"stopped: {_summary(indexer)}")


@app.command()
@c.reports_errors
def rebuild(home: HomeOpt = None, database: DatabaseOpt = None) -> None:
    """Empty the index and build it again from the deployment block, from events alone."""
    with c.chain(home) as handle:
        indexer = _indexer(handle, home, database)
        indexer.rebuild(_progress)
        typer.echo(f"rebuilt: {_summary(indexer)}")
