"""`agora deposit`, `agora withdraw`, `agora balance`: a requester's money in the market.

Jobs are paid from a deposit in the market (posting moves a job's escrow out of it, refunds and
earnings come back into it); the wallet is the account's own AGR. Amounts are decimal AGR.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger import JobMarket, StakeManager, Token, format_tokens, parse_tokens

from . import _common as c

HomeOpt = Annotated[Path | None, typer.Option("--home", help="State directory (default: AGORA_HOME or ~/.agora).")]
FromOpt = Annotated[
    str | None,
    typer.Option("--from", help="Account: a keystore address or dev:N (default: AGORA_ACCOUNT, the only key)."),
]
AmountArg = Annotated[str, typer.Argument(help="Decimal AGR, e.g. 25 or 0.5.")]


def _amount(text: str) -> int:
    try:
        value = parse_tokens(text)
    except ValueError as exc:
        c.fail(f"{text!r} is not an amount of AGR: {exc}")
    if value <= 0:
        c.fail(f"the amount must be above zero (got {text})")
    return value


@c.reports_errors
def deposit(amount: AmountArg, sender: FromOpt = None, home: HomeOpt = None) -> None:
    """Move AMOUNT AGR from your wallet into your market deposit, which pays for your jobs."""
    value = _amount(amount)
    with c.chain(home) as handle:
        deployment = c.deployment(handle, home)
        transactor = c.transactor(handle, sender, home)
        me = transactor.address
        wallet = Token(handle.w3, deployment).balance_of(me)
        if wallet < value:
            c.fail(f"{me} holds {format_tokens(wallet)} AGR in its wallet, less than {amount} AGR to deposit")
        market = JobMarket(handle.w3, deployment, transactor)
        market.deposit(value)
        typer.echo(
            f"deposited {format_tokens(value)} AGR: {me} has {format_tokens(market.balance_of(me))} AGR to pay jobs"
        )


@c.reports_errors
def withdraw(amount: AmountArg, sender: FromOpt = None, home: HomeOpt = None) -> None:
    """Move AMOUNT AGR from your market deposit (refunds and earnings included) to your wallet."""
    value = _amount(amount)
    with c.chain(home) as handle:
        deployment = c.deployment(handle, home)
        market = JobMarket(handle.w3, deployment, c.transactor(handle, sender, home))
        me = market.transactor.address  # type: ignore[union-attr]
        market.withdraw(value)  # more than the deposit: InsufficientBalance, by name and in AGR
        wallet = Token(handle.w3, deployment).balance_of(me)
        typer.echo(
            f"withdrew {format_tokens(value)} AGR: {me} has {format_tokens(market.balance_of(me))} AGR deposited "
            f"and {format_tokens(wallet)} AGR in its wallet"
        )


@c.reports_errors
def balance(
    address: Annotated[str | None, typer.Argument(help="Any address (default: your account).")] = None,
    sender: FromOpt = None,
    home: HomeOpt = None,
) -> None:
    """An account's AGR: wallet, market deposit, stake (free, locked as collateral, unbonding), and
    ether for gas."""
    with c.chain(home) as handle:
        deployment = c.deployment(handle, home)
        who = address or c.account(handle, sender, home).address
        w3 = handle.w3
        free, locked, unbonding = StakeManager(w3, deployment).stake_of(who)
        rows = [
            ("wallet", format_tokens(Token(w3, deployment).balance_of(who)) + " AGR"),
            ("deposit", format_tokens(JobMarket(w3, deployment).balance_of(who)) + " AGR"),
            (
                "stake",
                f"{format_tokens(free)} AGR free, {format_tokens(locked)} locked, {format_tokens(unbonding)} unbonding",
            ),
            ("gas", format_tokens(int(w3.eth.get_balance(who))) + " ETH"),  # type: ignore[arg-type]
        ]
        typer.echo(who)
        for label, value in rows:
            typer.echo(f"  {label:<8} {value}")
