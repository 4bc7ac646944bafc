"""The `agora` command.

Each command's module is imported only when that command runs (or when help lists it): `agora
store serve` need not load Ray, py-evm and FastAPI, and every process `agora up` starts is one.
"""

from __future__ import annotations

import importlib
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from . import _common

# name: (module, attribute); an attribute is a command group's Typer app or a command's function.
COMMANDS: dict[str, tuple[str, str]] = {
    "chain": ("cli.chain", "app"),
    "account": ("cli.account", "app"),
    "name": ("cli.name", "app"),
    "store": ("cli.store", "app"),
    "program": ("cli.program", "app"),
    "worker": ("cli.worker", "app"),
    "verifier": ("cli.verifier", "app"),
    "index": ("cli.index", "app"),
    "api": ("cli.api", "app"),
    "job": ("cli.job", "app"),
    "up": ("cli.up", "app"),
    "audit": ("cli.audit", "app"),
    "deposit": ("cli.money", "deposit"),
    "withdraw": ("cli.money", "withdraw"),
    "balance": ("cli.money", "balance"),
}


def load_command(name: str) -> Any:
    """The (click) command ``name``, one of `COMMANDS`, importing its module."""
    module, attribute = COMMANDS[name]
    target: Any = getattr(importlib.import_module(module), attribute)
    command: Any
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)  # a group even of one command (`agora api serve`)
    else:
        single = typer.Typer()
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class _LazyGroup(TyperGroup):
    # Typed Any: the types are those of the click that typer vendors (typer._click).
    def list_commands(self, ctx: Any) -> list[str]:  # noqa: ARG002 - click's signature
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:  # noqa: ARG002
        return load_command(cmd_name) if cmd_name in COMMANDS else None


app = typer.Typer(
    name="agora",
    cls=_LazyGroup,
    help="Agora: an open marketplace for verifiable compute.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False) -> None:
    """Agora: an open marketplace for verifiable compute."""
    _common.setup_logging(verbose)


if __name__ == "__main__":
    app()
