"""`agora account …`: keystores and funding."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger import DEV_CHAIN_IDS, Keystore, Token, Transactor, dev_account, format_tokens, parse_tokens

from . import _common as c

app = typer.Typer(help="Accounts: encrypted keystores under the state directory.", no_args_is_help=True)
HomeOpt = Annotated[Path | None, typer.Option("--home", help="State directory (default: AGORA_HOME or ~/.agora).")]


@app.command()
@c.reports_errors
def new(home: HomeOpt = None) -> None:
    """Create a key and store it encrypted (password from AGORA_PASSWORD or a prompt)."""
    address = Keystore(c.home(home)).new(c.password(confirm=True))
    typer.echo(address)


@app.command("import")
@c.reports_errors
def import_(
    key_file: Annotated[Path, typer.Argument(help="File holding the hex private key ('-' for stdin).")],
    home: HomeOpt = None,
) -> None:
    """Import a private key into the keystore."""
    text = typer.get_text_stream("stdin").read() if str(key_file) == "-" else key_file.read_text()
    typer.echo(Keystore(c.home(home)).import_key(text.strip(), c.password(confirm=True)))


@app.command("list")
def list_(home: HomeOpt = None) -> None:
    """List the keystore's addresses."""
    for address in Keystore(c.home(home)).list():
        typer.echo(address)


@app.command()
@c.reports_errors
def fund(
    address: Annotated[str, typer.Argument(help="Account to fund.")],
    eth: Annotated[str, typer.Option(help="Ether for gas, sent from development account 0.")] = "10",
    agr: Annotated[str, typer.Option(help="AGR minted by the token faucet.")] = "1000",
    home: HomeOpt = None,
) -> None:
    """Fund an account with ether and AGR (development chains only)."""
    with c.chain(home) as handle:
        chain_id = int(handle.w3.eth.chain_id)
        if chain_id not in DEV_CHAIN_IDS:
            c.fail(f"the faucet works only on development chains (this is chain {chain_id})")
        sender = Transactor(handle.w3, dev_account(0))
        if parse_tokens(eth):
            sender.send(to=address, value=parse_tokens(eth))
        token = Token(handle.w3, c.deployment(handle, home), sender)
        if parse_tokens(agr):
            token.faucet(address, parse_tokens(agr))
        balance = handle.w3.eth.get_balance(address)  # type: ignore[arg-type]
        typer.echo(f"{address}: {format_tokens(balance)} ETH, {format_tokens(token.balance_of(address))} AGR")
