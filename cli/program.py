"""`agora program …`: building programs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from compute import ComputeError, build_program

from . import _common as c

app = typer.Typer(help="Programs: WebAssembly modules that jobs run (docs/programs.md).", no_args_is_help=True)


@app.command()
def build(
    source: Annotated[Path, typer.Argument(help="A .c file (compiled with zig) or a .wat file.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Where to write the .wasm.")] = None,
) -> None:
    """Compile SOURCE to a WebAssembly program."""
    try:
        out = build_program(source, output)
    except ComputeError as exc:
        c.fail(str(exc))
    typer.echo(f"{out} ({out.stat().st_size} bytes)")
