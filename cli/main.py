"""The `agora` command."""

from __future__ import annotations

from typing import Annotated

import typer

from . import _common, account, api, audit, chain, index, job, money, name, program, store, up, verifier, worker

app = typer.Typer(
    name="agora",
    help="Agora: an open marketplace for verifiable compute.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(chain.app, name="chain")
app.add_typer(account.app, name="account")
app.add_typer(name.app, name="name")
app.add_typer(store.app, name="store")
app.add_typer(program.app, name="program")
app.add_typer(worker.app, name="worker")
app.add_typer(verifier.app, name="verifier")
app.add_typer(index.app, name="index")
app.add_typer(api.app, name="api")
app.add_typer(job.app, name="job")
app.add_typer(up.app, name="up")
app.add_typer(audit.app, name="audit")
app.command("deposit")(money.deposit)
app.command("withdraw")(money.withdraw)
app.command("balance")(money.balance)


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False) -> None:
    """Agora: an open marketplace for verifiable compute."""
    _common.setup_logging(verbose)


if __name__ == "__main__":
    app()
