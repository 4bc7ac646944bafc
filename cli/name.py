"""`agora name …`: `.agora` names."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger import NameNotFound, Names

from . import _common as c

app = typer.Typer(help="Names under .agora: register, resolve, records, reverse lookup.", no_args_is_help=True)
HomeOpt = Annotated[Path | None, typer.Option("--home", help="State directory (default: AGORA_HOME or ~/.agora).")]
FromOpt = Annotated[str | None, typer.Option("--from", help="Signing account: a keystore address or dev:N.")]


@app.command()
@c.reports_errors
def register(
    name: Annotated[str, typer.Argument(help="The name, e.g. alice or alice.agora.")],
    reverse: Annotated[bool, typer.Option(help="Also make the account's address resolve back to the name.")] = True,
    sender: FromOpt = None,
    home: HomeOpt = None,
) -> None:
    """Register NAME.agora: commit, wait out the commitment age, reveal."""
    with c.chain(home) as handle:
        names = Names(handle.w3, c.deployment(handle, home), c.transactor(handle, sender, home))
        if not names.available(name):
            owner = names.owner(name)
            c.fail(f"{name} is not available" + (f": owned by {owner}" if owner else ""))
        typer.echo(f"committing to {name} …")
        with typer.progressbar(length=100, label="waiting for the commitment to mature") as bar:
            done = 0

            def progress(_stage: str, fraction: float) -> None:
                nonlocal done
                step = int(fraction * 100) - done
                if step > 0:
                    bar.update(step)
                    done += step

            names.register(name, on_progress=progress)
        full = name if name.endswith(".agora") else f"{name}.agora"
        if reverse:
            names.set_reverse(full)
        typer.echo(f"registered {full} to {names.transactor.address}")  # type: ignore[union-attr]


@app.command()
@c.reports_errors
def resolve(name: Annotated[str, typer.Argument(help="The name to resolve.")], home: HomeOpt = None) -> None:
    """Print the address NAME resolves to, and its owner."""
    with c.chain(home) as handle:
        names = Names(handle.w3, c.deployment(handle, home))
        owner = names.owner(name)
        if owner is None:
            c.fail(f"{name} is not registered")
        try:
            typer.echo(names.resolve(name))
        except NameNotFound as exc:
            c.fail(f"{exc} (owner {owner})")
        typer.echo(f"owner {owner}", err=True)  # on stderr: stdout stays the address, for scripts


@app.command("set-text")
@c.reports_errors
def set_text(
    name: Annotated[str, typer.Argument()],
    key: Annotated[str, typer.Argument()],
    value: Annotated[str, typer.Argument()],
    sender: FromOpt = None,
    home: HomeOpt = None,
) -> None:
    """Set the text record KEY of NAME to VALUE (only its owner may)."""
    with c.chain(home) as handle:
        names = Names(handle.w3, c.deployment(handle, home), c.transactor(handle, sender, home))
        names.set_text(name, key, value)
        typer.echo(f"{name} {key} = {names.text(name, key)}")


@app.command()
@c.reports_errors
def text(name: Annotated[str, typer.Argument()], key: Annotated[str, typer.Argument()], home: HomeOpt = None) -> None:
    """Print the text record KEY of NAME."""
    with c.chain(home) as handle:
        typer.echo(Names(handle.w3, c.deployment(handle, home)).text(name, key))


@app.command()
@c.reports_errors
def reverse(address: Annotated[str, typer.Argument(help="An address.")], home: HomeOpt = None) -> None:
    """Print the name ADDRESS resolves back to (checked against the name's own address record)."""
    with c.chain(home) as handle:
        found = Names(handle.w3, c.deployment(handle, home)).reverse(address)
        if found is None:
            c.fail(f"{address} has no verified reverse name")
        typer.echo(found)
