"""A worker's start: gas and tokens on a development chain, its name and records, its stake."""

from __future__ import annotations

from collections.abc import Callable

from ledger import DEV_CHAIN_IDS, Token, Transactor, dev_account, region_code

from ._shared import Shared
from .errors import WorkerError
from .policy import amount

Say = Callable[[str], None]


def fund(w: Shared, stake: int, say: Say) -> None:
    """On a development chain, gas money and tokens for the stake come from account 0 and the
    faucet; elsewhere the operator funds the key."""
    if w.transactor.chain_id() not in DEV_CHAIN_IDS:
        return
    token = Token(w.w3, w.deployment, w.transactor)
    free, locked, unbonding = w.stakes.stake_of(w.address)
    missing = stake - (free + locked + unbonding) - token.balance_of(w.address)
    if int(w.w3.eth.get_balance(w.address)) < 10**18:  # type: ignore[arg-type]
        say("funding gas from development account 0 (10 ETH)")
        Transactor(w.w3, dev_account(0)).send(to=w.address, value=10 * 10**18)
    if missing > 0:
        say(f"taking {amount(missing)} from the development faucet for the stake")
        token.faucet(w.address, missing)


def name_and_records(w: Shared, name: str, records: dict[str, str], say: Say) -> None:
    """Registers ``name``.agora for this key (refusing one another key owns), sets ``records``
    (only those that differ) and the reverse record."""
    full = f"{name}.agora"
    owner = w.names.owner(name)
    if owner is None:
        say(f"registering {full} (commit, wait, register)")
        w.names.register(name)
    elif owner.lower() != w.address.lower():
        raise WorkerError(f"{full} belongs to {owner}, not to this worker's key {w.address}")
    for key, value in records.items():
        if w.names.text(name, key) != value:
            say(f"setting {full} text record {key} = {value!r}")
            w.names.set_text(name, key, value)
    if w.names.reverse(w.address) != full:
        say(f"pointing {w.address} back at {full}")
        w.names.set_reverse(name)


def region_to_declare(w: Shared, configured: int | None) -> int:
    """The configured region, else the one declared, else global."""
    if configured is not None:
        return configured
    return w.stakes.region_of(w.address) or 0


def stake(w: Shared, target: int, configured_region: int | None, say: Say) -> None:
    """Tops the stake up to ``target`` (never withdraws); declares a configured region that differs."""
    free, locked, _unbonding = w.stakes.stake_of(w.address)
    held = free + locked
    declared = w.stakes.region_of(w.address)
    if held < target:
        missing = target - held
        balance = Token(w.w3, w.deployment).balance_of(w.address)
        if balance < missing:
            raise WorkerError(
                f"staking {amount(missing)} more needs AGR this worker's key {w.address} does not hold "
                f"(it has {amount(balance)}): fund it, or start with a smaller --stake"
            )
        say(f"staking {amount(missing)} (to {amount(target)})")
        w.stakes.stake(missing, region_to_declare(w, configured_region))
    elif configured_region is not None and declared != configured_region:
        say(f"declaring region {region_code(configured_region)} (effective after the unbonding delay)")
        w.stakes.declare_region(configured_region)
