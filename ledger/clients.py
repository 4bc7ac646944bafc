"""Typed clients for the token and the names contracts."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from eth_abi.codec import ABICodec
from eth_abi.grammar import ABIType, BasicType, TupleType
from eth_abi.grammar import parse as parse_abi_type
from eth_utils import (
    function_abi_to_4byte_selector,
    get_abi_input_types,
    get_abi_output_types,
    is_checksum_address,
    to_checksum_address,
)
from web3 import Web3
from web3.contract import Contract

from ._tx import Transactor, mapped_errors
from .artifacts import artifact
from .deployment import Deployment
from .errors import CommitmentTooNew, ContractRevert, LedgerError, NameNotFound, UndecodableAnswer
from .names import namehash, reverse_name, split_agora_name

ZERO_ADDRESS = "0x" + "00" * 20
REGISTER_GAS = 400_000
REGISTER_PATIENCE = 60.0


class _View:
    """A view function's selector and ABI types, for `_Client._call`."""

    def __init__(self, abi: dict[str, Any]) -> None:
        self.selector = function_abi_to_4byte_selector(abi)  # type: ignore[arg-type]
        self.inputs = get_abi_input_types(abi)  # type: ignore[arg-type]
        self.outputs = get_abi_output_types(abi)  # type: ignore[arg-type]
        self.parsed = [parse_abi_type(kind) for kind in self.outputs]

    def encode(self, codec: ABICodec, args: tuple[Any, ...]) -> bytes | None:
        """The call's data, or None for web3's path: arguments that are not plain values (tuples,
        arrays), an address that is not a checksum address (web3 refuses it), or values eth-abi
        does not take as they are."""
        if len(args) != len(self.inputs):
            return None
        if not all(_plain(kind, arg) for kind, arg in zip(self.inputs, args, strict=True)):
            return None
        try:
            return self.selector + codec.encode(self.inputs, args)
        except Exception:  # noqa: BLE001 - web3's path says what is wrong with them
            return None

    def decode(self, codec: ABICodec, answer: bytes) -> Any:
        """As web3 decodes it: with its codec (strict: padding and ranges checked)."""
        try:
            decoded = codec.decode(self.outputs, answer)
        except UnicodeDecodeError:  # a string that is not UTF-8 (a resolver of someone's choosing)
            raise UndecodableAnswer("the answer holds a string that is not UTF-8") from None
        values = [_as_web3(kind, value) for kind, value in zip(self.parsed, decoded, strict=True)]
        return values[0] if len(values) == 1 else values


def _plain(kind: str, value: Any) -> bool:
    if "(" in kind or "[" in kind:
        return False
    if kind == "address":
        return isinstance(value, str) and is_checksum_address(value)
    return True


def _view(contract: Contract, fn: str) -> _View | None:
    """The (cached) `_View` of ``contract``'s function ``fn``, or None when the name is overloaded."""
    key = (id(contract.abi), fn)
    if key not in _VIEWS:
        found = [e for e in contract.abi if e.get("type") == "function" and e.get("name") == fn]
        view = _View(dict(found[0])) if len(found) == 1 else None
        _VIEWS[key] = (contract.abi, view)  # the ABI kept with it: its id is no other ABI's meanwhile
    return _VIEWS[key][1]


_VIEWS: dict[tuple[int, str], tuple[object, _View | None]] = {}


def _as_web3(kind: ABIType, value: Any) -> Any:
    """A decoded value as web3 returns it: addresses checksummed, arrays as lists, tuples kept."""
    if kind.is_array:
        return [_as_web3(kind.item_type, v) for v in value]
    if isinstance(kind, TupleType):
        return tuple(_as_web3(k, v) for k, v in zip(kind.components, value, strict=True))
    if isinstance(kind, BasicType) and kind.base == "address":
        return to_checksum_address(value)
    return value


class _Client:
    """``call_gas`` caps the gas of each read (None: the node's own cap): a read of a contract
    someone else chose, such as a name's resolver, then costs at most that much."""

    def __init__(
        self, w3: Web3, deployment: Deployment, transactor: Transactor | None = None, *, call_gas: int | None = None
    ) -> None:
        self.w3 = w3
        self.deployment = deployment
        self.transactor = transactor
        self.call_gas = call_gas
        self._contracts: dict[tuple[str, str], Contract] = {}

    def _contract(self, name: str, address: str | None = None) -> Contract:
        key = (name, address or self.deployment.address(name))
        if key not in self._contracts:
            self._contracts[key] = self.w3.eth.contract(address=to_checksum_address(key[1]), abi=artifact(name)["abi"])
        return self._contracts[key]

    def _call(self, contract: Contract, fn: str, *args: Any) -> Any:
        """The view's result as web3's contract call gives it (one output unwrapped, several as a
        list, addresses checksummed), by one `eth_call` with the arguments encoded and the answer
        decoded here: web3's own path took ~6 ms more a read (`JobMarket.job`: 12.8 against
        7.0 ms in-process). Arguments only web3 would convert (a hex string for bytes) and
        overloaded names take web3's path."""
        tx = {} if self.call_gas is None else {"gas": self.call_gas}
        view = _view(contract, fn)
        data = view.encode(self.w3.codec, args) if view is not None else None
        with mapped_errors():
            if view is None or data is None:
                return contract.functions[fn](*args).call(tx or None)  # type: ignore[arg-type]
            answer = self.w3.eth.call({"to": contract.address, "data": data, **tx})  # type: ignore[typeddict-item]
            return view.decode(self.w3.codec, bytes(answer))

    def _send(
        self, contract: Contract, fn: str, *args: Any, gas: int | None = None, preflight: bool = False
    ) -> dict[str, Any]:
        if self.transactor is None:
            raise LedgerError(f"{fn} sends a transaction: this client has no account")
        data = contract.encode_abi(fn, args=list(args))
        return self.transactor.send(to=contract.address, data=data, gas=gas, preflight=preflight)


class Token(_Client):
    """The AGR token."""

    @property
    def contract(self) -> Contract:
        return self._contract("AgoraToken")

    def balance_of(self, account: str) -> int:
        return int(self._call(self.contract, "balanceOf", account))

    def total_supply(self) -> int:
        return int(self._call(self.contract, "totalSupply"))

    def allowance(self, owner: str, spender: str) -> int:
        return int(self._call(self.contract, "allowance", owner, spender))

    def transfer(self, to: str, amount: int) -> dict[str, Any]:
        return self._send(self.contract, "transfer", to, amount)

    def approve(self, spender: str, amount: int) -> dict[str, Any]:
        return self._send(self.contract, "approve", spender, amount)

    def allow(self, spender: str, amount: int) -> None:
        """Lets ``spender`` pull at least ``amount`` from this client's account: approves without
        limit when the allowance is short (once per spender), sends nothing otherwise."""
        if self.transactor is None:
            raise LedgerError("approving sends a transaction: this client has no account")
        if self.allowance(self.transactor.address, spender) < amount:
            self.approve(spender, 2**256 - 1)

    def faucet(self, to: str, amount: int) -> dict[str, Any]:
        """Mints ``amount`` to ``to`` (development chains only: `FaucetDisabled` elsewhere)."""
        return self._send(self.contract, "faucet", to, amount)


class Names(_Client):
    """`.agora` names: registration, records, and reverse lookup."""

    @property
    def registry(self) -> Contract:
        return self._contract("NameRegistry")

    @property
    def registrar(self) -> Contract:
        return self._contract("AgoraRegistrar")

    def _resolver_of(self, node: bytes) -> Contract | None:
        address = self._call(self.registry, "resolver", node)
        return None if address == ZERO_ADDRESS else self._contract("PublicResolver", address)

    def owner(self, name: str) -> str | None:
        owner = self._call(self.registry, "owner", namehash(_full(name)))
        return None if owner == ZERO_ADDRESS else str(owner)

    def _registrar_for(self, name: str) -> tuple[Contract, str, str]:
        """The registrar that hands out ``name``, its label there, and its parent: program names
        (``NAME.programs.agora``) come from the `ProgramRegistrar`, every other from `AgoraRegistrar`."""
        if name.endswith("." + PROGRAMS):
            label = split_agora_name(name.removesuffix("." + PROGRAMS))
            return self._contract("ProgramRegistrar"), label, PROGRAMS
        return self.registrar, split_agora_name(name), "agora"

    def available(self, name: str) -> bool:
        registrar, label, _ = self._registrar_for(name)
        return bool(self._call(registrar, "available", label))

    def resolve(self, name: str) -> str:
        """The address record of ``name``; raises `NameNotFound` when it has none."""
        resolver = self._resolver_of(namehash(_full(name)))
        address = None if resolver is None else self._call(resolver, "addr", namehash(_full(name)))
        if not address or address == ZERO_ADDRESS:
            raise NameNotFound(f"{_full(name)} has no address record")
        return str(address)

    def text(self, name: str, key: str) -> str:
        resolver = self._resolver_of(namehash(_full(name)))
        return "" if resolver is None else str(self._call(resolver, "text", namehash(_full(name)), key))

    def records(self, name: str, keys: Iterable[str]) -> dict[str, str | None]:
        """The text records ``keys`` of ``name``, its resolver looked up once. A record that cannot
        be read (the resolver reverts, or needs more than ``call_gas``) is None, and so is every
        record after it: a resolver that fails once is asked nothing more."""
        node = namehash(_full(name))
        resolver = self._resolver_of(node)
        out: dict[str, str | None] = dict.fromkeys(keys)
        for key in out:
            try:
                out[key] = "" if resolver is None else str(self._call(resolver, "text", node, key))
            except ContractRevert:
                break
        return out

    def contenthash(self, name: str) -> bytes:
        resolver = self._resolver_of(namehash(_full(name)))
        return b"" if resolver is None else bytes(self._call(resolver, "contenthash", namehash(_full(name))))

    def _owned_resolver(self, name: str) -> Contract:
        resolver = self._resolver_of(namehash(_full(name)))
        if resolver is None:
            raise NameNotFound(f"{_full(name)} has no resolver")
        return resolver

    def set_text(self, name: str, key: str, value: str) -> dict[str, Any]:
        return self._send(self._owned_resolver(name), "setText", namehash(_full(name)), key, value)

    def set_addr(self, name: str, address: str) -> dict[str, Any]:
        return self._send(self._owned_resolver(name), "setAddr", namehash(_full(name)), address)

    def set_contenthash(self, name: str, value: bytes) -> dict[str, Any]:
        return self._send(self._owned_resolver(name), "setContenthash", namehash(_full(name)), value)

    def register(
        self,
        name: str,
        *,
        owner: str | None = None,
        on_progress: Callable[[str, float], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> bytes:
        """Registers ``name``.agora (or ``NAME.programs.agora``) by commit, wait, reveal; returns its node.

        ``on_progress(stage, fraction)`` is called while waiting out the commitment age.
        """
        if self.transactor is None:
            raise LedgerError("registering a name needs an account")
        registrar, label, parent = self._registrar_for(name)
        owner = owner or self.transactor.address
        resolver = self.deployment.address("PublicResolver")
        secret = os.urandom(32)
        args = (label, owner, secret, resolver, owner)
        commitment = self._call(registrar, "makeCommitment", *args)
        self._send(registrar, "commit", commitment)
        min_age = int(self._call(registrar, "minCommitmentAge"))
        gas: int | None = None
        seen: set[int] = set()
        deadline = time.monotonic() + min_age + REGISTER_PATIENCE
        while True:
            # The chain's clock decides: ask it, and wait out what it says is left.
            try:
                self._send(registrar, "register", *args, gas=gas)
                break
            except CommitmentTooNew as exc:
                if time.monotonic() > deadline:
                    raise
                ready, current = int(exc.args_by_name["minimumTimestamp"]), int(exc.args_by_name["currentTimestamp"])
                if current in seen:
                    # The node judged by its latest block, and none was mined meanwhile: send
                    # without estimating, so the new block's own timestamp decides.
                    gas = REGISTER_GAS
                seen.add(current)
                if on_progress:
                    on_progress("waiting for the commitment to mature", 1 - (ready - current) / max(1, min_age))
                sleep(min(max(ready - current, 0.05), 1.0))
        if on_progress:
            on_progress("registered", 1.0)
        return namehash(f"{label}.{parent}")

    def set_reverse(self, name: str) -> dict[str, Any]:
        """Makes the account's address resolve back to ``name``."""
        return self._send(self._contract("ReverseRegistrar"), "setName", _full(name))

    def reverse(self, address: str) -> str | None:
        """The name ``address`` claims, if that name's addr record points back at it."""
        node = namehash(reverse_name(address))
        resolver = self._resolver_of(node)
        if resolver is None:
            return None
        claimed = str(self._call(resolver, "name", node))
        if not claimed:
            return None
        try:
            forward = self.resolve(claimed)
        except NameNotFound:
            return None
        return claimed if forward.lower() == address.lower() else None


PROGRAMS = "programs.agora"
"""Where programs are named (`ProgramRegistrar`)."""


def _full(name: str) -> str:
    return name if name.endswith(".agora") or "." in name else f"{name}.agora"
