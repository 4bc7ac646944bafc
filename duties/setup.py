"""A staked account's start: gas and tokens on a development chain, and its stake."""

from __future__ import annotations

from collections.abc import Callable

from ledger import DEV_CHAIN_IDS, Token, Transactor, dev_account, region_code

from .errors import StakeUnfunded
from .party import Party, amount

Say = Callable[[str], None]


def fund(w: Party, tokens: int, say: Say, *, purpose: str = "the stake") -> None:
    """On a development chain, gas money from account 0 and, from the faucet, what the account
    lacks to hold ``tokens`` AGR between its stake and its wallet (for ``purpose``, as it says);
    elsewhere the operator funds the key."""
    if w.transactor.chain_id() not in DEV_CHAIN_IDS:
        return
    token = Token(w.w3, w.deployment, w.transactor)
    free, locked, unbonding = w.stakes.stake_of(w.address)
    missing = tokens - (free + locked + unbonding) - token.balance_of(w.address)
    if int(w.w3.eth.get_balance(w.address)) < 10**18:  # type: ignore[arg-type]
        say("funding gas from development account 0 (10 ETH)")
        Transactor(w.w3, dev_account(0)).send(to=w.address, value=10 * 10**18)
    if missing > 0:
        say(f"taking {amount(missing)} from the development faucet for {purpose}")
        token.faucet(w.address, missing)


def region_to_declare(w: Party, configured: int | None) -> int:
    """The configured region, else the one declared, else global."""
    if configured is not None:
        return configured
    return w.stakes.region_of(w.address) or 0


def stake(w: Party, target: int, configured_region: int | None, say: Say, *, who: str = "worker") -> None:
    """Tops the stake up to ``target`` (never withdraws); declares a configured region that differs.

    Raises `StakeUnfunded` when the wallet cannot cover what is missing (``who`` names the account
    in its message: "worker", "verifier")."""
    free, locked, _unbonding = w.stakes.stake_of(w.address)
    held = free + locked
    declared = w.stakes.region_of(w.address)
    if held < target:
        missing = target - held
        balance = Token(w.w3, w.deployment).balance_of(w.address)
        if balance < missing:
            raise StakeUnfunded(
                f"staking {amount(missing)} more needs AGR this {who}'s key {w.address} does not hold "
                f"(it has {amount(balance)}): fund it, or start with a smaller --stake"
            )
        say(f"staking {amount(missing)} (to {amount(target)})")
        w.stakes.stake(missing, region_to_declare(w, configured_region))
    elif configured_region is not None and declared != configured_region:
        say(f"declaring region {region_code(configured_region)} (effective after the unbonding delay)")
        w.stakes.declare_region(configured_region)
