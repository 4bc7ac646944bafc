"""Random EVM programs for a differential test of our VM against py-evm's own Prague.

Contracts made of snippets (the four CALL kinds to programs, precompiles 0x01-0x11, empty and
EIP-7702-delegated accounts; CREATE and CREATE2 with collisions; SSTORE resets and transient
storage; logs; SELFDESTRUCT to self, others and RIPEMD160; reverts and invalid opcodes), guarded
by bits of their calldata, and transactions calling them, creating contracts or delegating a
sender (type 4). Both chains start from the same genesis; `run` gives each block's roots, gas,
logs and each transaction's error and refund, which must be equal.
"""

from __future__ import annotations

import random
from typing import Any

from eth.chains.base import MiningChain
from eth.constants import ZERO_ADDRESS
from eth.db.atomic import AtomicDB
from eth.db.backends.memory import MemoryDB
from eth.vm.forks import PragueVM
from eth_account import Account
from eth_tester.backends.pyevm.main import get_default_genesis_params
from eth_typing import BlockNumber

from ledger import dev_account
from ledger._embedded import GAS_LIMIT
from ledger._evm import deadline


class StockChain(MiningChain):
    """py-evm's Prague with our chain's constant gas limit (which sets the base fee)."""

    chain_id = 31337
    vm_configuration = ((BlockNumber(0), PragueVM),)

    def create_header_from_parent(self, parent_header: Any, **header_params: Any) -> Any:
        return super().create_header_from_parent(parent_header, **{**header_params, "gas_limit": GAS_LIMIT})


SENDERS = [dev_account(i) for i in range(3)]
SENDER_ADDR = [bytes.fromhex(a.address[2:]) for a in SENDERS]


def addr(n: int) -> bytes:
    return n.to_bytes(20, "big")


C = [addr(0xC0 + i) for i in range(4)]  # random programs
T = [addr(0x70 + i) for i in range(3)]  # init-code templates
D = [addr(0xD0 + i) for i in range(2)]  # EIP-7702 delegated accounts
EMPTY = [addr(0xE0 + i) for i in range(3)]  # nothing there (some with balance)
PRE = [addr(i) for i in range(1, 0x12)]

OP = {
    "STOP": 0x00,
    "ADD": 0x01,
    "SUB": 0x03,
    "LT": 0x10,
    "ISZERO": 0x15,
    "AND": 0x16,
    "SHA3": 0x20,
    "ADDRESS": 0x30,
    "BALANCE": 0x31,
    "ORIGIN": 0x32,
    "CALLER": 0x33,
    "CALLVALUE": 0x34,
    "CALLDATALOAD": 0x35,
    "CALLDATASIZE": 0x36,
    "RETURNDATASIZE": 0x3D,
    "RETURNDATACOPY": 0x3E,
    "EXTCODESIZE": 0x3B,
    "EXTCODECOPY": 0x3C,
    "EXTCODEHASH": 0x3F,
    "SELFBALANCE": 0x47,
    "POP": 0x50,
    "MLOAD": 0x51,
    "MSTORE": 0x52,
    "MSTORE8": 0x53,
    "SLOAD": 0x54,
    "SSTORE": 0x55,
    "JUMP": 0x56,
    "JUMPI": 0x57,
    "GAS": 0x5A,
    "JUMPDEST": 0x5B,
    "TLOAD": 0x5C,
    "TSTORE": 0x5D,
    "MCOPY": 0x5E,
    "CREATE": 0xF0,
    "CALL": 0xF1,
    "CALLCODE": 0xF2,
    "RETURN": 0xF3,
    "DELEGATECALL": 0xF4,
    "CREATE2": 0xF5,
    "STATICCALL": 0xFA,
    "REVERT": 0xFD,
    "INVALID": 0xFE,
    "SELFDESTRUCT": 0xFF,
}


def push(v: int | bytes) -> bytes:
    if isinstance(v, bytes):
        v = int.from_bytes(v, "big")
    if v == 0:
        return b"\x5f"
    n = (v.bit_length() + 7) // 8
    return bytes([0x5F + n]) + v.to_bytes(n, "big")


def ops(*names: str) -> bytes:
    return bytes(OP[n] for n in names)


class Gen:
    def __init__(self, rng: random.Random) -> None:
        self.r = rng

    def target(self) -> bytes:
        r = self.r.random()
        if r < 0.35:
            return push(self.r.choice(C))
        if r < 0.45:
            return push(self.r.choice(D))
        if r < 0.65:
            return push(self.r.choice(PRE))
        if r < 0.72:
            return push(self.r.choice(EMPTY))
        if r < 0.78:
            return ops("ADDRESS")
        if r < 0.82:
            return ops("CALLER")
        if r < 0.86:
            return push(self.r.choice(SENDER_ADDR))
        return push(0x200) + ops("MLOAD")  # the last created contract (or 0)

    def gas(self) -> bytes:
        return self.r.choice(
            [
                push(0),
                push(1),
                push(100),
                push(700),
                push(2300),
                push(5000),
                push(30000),
                push(120000),
                ops("GAS"),
                ops("GAS"),
            ]
        )

    def prepare_input(self) -> bytes:
        """Writes a mode word at 0 and sometimes precompile-friendly input after it."""
        out = push(self.r.getrandbits(16)) + push(0) + ops("MSTORE")
        if self.r.random() < 0.3:
            for off in (32, 64, 96, 128):
                out += push(self.r.choice([0, 1, 2, 32, 0xFF, self.r.getrandbits(256)])) + push(off) + ops("MSTORE")
        return out

    def call(self) -> bytes:
        op = self.r.choice(["CALL", "CALL", "CALL", "CALLCODE", "DELEGATECALL", "STATICCALL"])
        in_size = self.r.choice([0, 32, 64, 96, 128, 192, 213, 256])
        out = self.prepare_input()
        out += push(32) + push(0x100) + push(in_size) + push(0)
        if op in ("CALL", "CALLCODE"):
            out += push(self.r.choice([0, 0, 1, 7]))
        out += self.target() + self.gas() + ops(op)
        out += push(self.r.randrange(8, 24)) + ops("SSTORE")  # the success flag
        if self.r.random() < 0.3:
            out += ops("RETURNDATASIZE") + push(self.r.randrange(24, 28)) + ops("SSTORE")
        return out

    def create(self) -> bytes:
        """Copies a template's init code to memory and CREATEs (or CREATE2s) it; remembers the address."""
        t = self.r.choice(T)
        out = push(t) + ops("EXTCODESIZE") + push(0) + push(0x400) + push(t) + ops("EXTCODECOPY")
        if self.r.random() < 0.5:
            salt = push(self.r.randrange(2))
            out += salt + push(t) + ops("EXTCODESIZE") + push(0x400) + push(self.r.choice([0, 0, 1])) + ops("CREATE2")
        else:
            out += push(t) + ops("EXTCODESIZE") + push(0x400) + push(self.r.choice([0, 0, 1])) + ops("CREATE")
        out += bytes([0x80]) + push(0x200) + ops("MSTORE")  # DUP1; remember it
        out += push(self.r.randrange(28, 32)) + ops("SSTORE")
        return out

    def storage(self) -> bytes:
        return push(self.r.choice([0, 0, 1, 2, 3])) + push(self.r.randrange(4)) + ops("SSTORE")

    def log(self) -> bytes:
        n = self.r.randrange(5)
        out = b"".join(push(self.r.getrandbits(16)) for _ in range(n))
        out += push(self.r.choice([0, 1, 32, 40])) + push(0) + bytes([0xA0 + n])
        return out

    def misc(self) -> bytes:
        k = self.r.randrange(7)
        if k == 0:
            return push(self.r.randrange(4)) + ops("SLOAD", "POP")
        if k == 1:
            return push(self.r.randrange(3)) + push(self.r.randrange(3)) + ops("TSTORE")
        if k == 2:
            return push(self.r.randrange(3)) + ops("TLOAD") + push(self.r.randrange(32, 36)) + ops("SSTORE")
        if k == 3:
            return self.target() + ops("BALANCE") + push(36) + ops("SSTORE")
        if k == 4:
            return self.target() + ops("EXTCODEHASH", "POP")
        if k == 5:
            return ops("SELFBALANCE") + push(37) + ops("SSTORE")
        return ops("RETURNDATASIZE") + push(0) + push(0x300) + ops("RETURNDATACOPY")

    def selfdestruct(self) -> bytes:
        r = self.r.random()
        if r < 0.25:
            b = ops("ADDRESS")
        elif r < 0.35:
            b = push(3)
        elif r < 0.5:
            b = push(self.r.choice(EMPTY))
        elif r < 0.6:
            b = push(addr(0xBEEF00 + self.r.randrange(4)))
        else:
            b = self.target()
        return b + ops("SELFDESTRUCT")

    def ending(self) -> bytes:
        k = self.r.random()
        if k < 0.3:
            return ops("STOP")
        if k < 0.5:
            return push(self.r.choice([0, 32, 64])) + push(0) + ops("REVERT")
        if k < 0.6:
            return push(self.r.choice([0, 32])) + push(0) + ops("RETURN")
        if k < 0.65:
            return ops("INVALID")
        return self.selfdestruct()

    def snippet(self, depth: int = 0) -> bytes:
        k = self.r.random()
        if k < 0.33:
            return self.call()
        if k < 0.45:
            return self.create()
        if k < 0.6:
            return self.storage()
        if k < 0.72:
            return self.log()
        if k < 0.85:
            return self.misc()
        if k < 0.92:
            return self.ending()
        return self.selfdestruct()

    def program(self, n: int | None = None) -> bytes:
        """Snippets, each maybe guarded by a bit of the mode word (calldata word 0)."""
        n = n if n is not None else self.r.randrange(2, 9)
        code = bytearray()
        for _ in range(n):
            body = self.snippet()
            if self.r.random() < 0.5:
                bit = 1 << self.r.randrange(16)
                # skip body when bit is clear: PUSH bit PUSH0 CALLDATALOAD AND ISZERO PUSH2 dest JUMPI body JUMPDEST
                head = push(bit) + push(0) + ops("CALLDATALOAD", "AND", "ISZERO")
                dest = len(code) + len(head) + 4 + len(body)
                code += head + bytes([0x61]) + dest.to_bytes(2, "big") + ops("JUMPI") + body + ops("JUMPDEST")
            else:
                code += body
        code += self.ending()
        return bytes(code)

    def init_code(self) -> bytes:
        code = bytearray()
        for _ in range(self.r.randrange(0, 4)):
            code += self.snippet()
        r = self.r.random()
        if r < 0.7:
            k = self.r.choice(C)
            code += push(k) + ops("EXTCODESIZE") + push(0) + push(0) + push(k) + ops("EXTCODECOPY")
            code += push(k) + ops("EXTCODESIZE") + push(0) + ops("RETURN")
        elif r < 0.8:
            code += push(0) + push(0) + ops("RETURN")
        elif r < 0.9:
            code += self.selfdestruct()
        else:
            code += push(0) + push(0) + ops("REVERT")
        return bytes(code)


def genesis(g: Gen, *, empties: bool = False) -> dict[bytes, dict[str, Any]]:
    r = g.r
    state: dict[bytes, dict[str, Any]] = {}
    for a in SENDER_ADDR:
        state[a] = {"balance": 10**24, "nonce": 0, "code": b"", "storage": {}}
    for c in C:
        storage = {s: r.choice([0, 1, 2]) for s in range(4) if r.random() < 0.6}
        storage = {k: v for k, v in storage.items() if v}
        state[c] = {"balance": r.choice([0, 0, 10, 10**18]), "nonce": 1, "code": g.program(), "storage": storage}
    for t in T:
        state[t] = {"balance": 0, "nonce": 1, "code": g.init_code(), "storage": {}}
    for d in D:
        state[d] = {"balance": r.choice([0, 5]), "nonce": 1, "code": b"\xef\x01\x00" + r.choice(C), "storage": {}}
    for e in EMPTY[:1]:
        state[e] = {"balance": 3, "nonce": 0, "code": b"", "storage": {}}
    if empties:  # existing but empty accounts: a touch deletes them (EIP-161)
        for e in PRE + EMPTY[1:]:
            state[e] = {"balance": 0, "nonce": 0, "code": b"", "storage": {1: 1} if r.random() < 0.3 else {}}
    return state


def make_chain(cls: type[MiningChain], state: dict[bytes, Any]) -> MiningChain:
    params = get_default_genesis_params({"gas_limit": GAS_LIMIT, "timestamp": 1_700_000_000})
    return cls.from_genesis(AtomicDB(MemoryDB()), params, state)


def txs_for(g: Gen) -> list[list[dict[str, Any]]]:
    """Blocks of (unsigned tx dict, sender index)."""
    r = g.r
    blocks = []
    nonces = [0, 0, 0]
    for _ in range(r.randrange(1, 3)):
        block = []
        for _ in range(r.randrange(1, 3)):
            s = r.randrange(2)
            fees = {"maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9, "chainId": 31337}
            kind = r.random()
            gas = r.choice([120_000, 400_000, 1_500_000])
            if kind < 0.75:
                to = r.choice(C + D)
                data = r.getrandbits(256).to_bytes(32, "big")
                tx = {"to": to, "data": data, "gas": gas, "value": r.choice([0, 0, 1]), **fees}
            elif kind < 0.9:
                tx = {"data": g.init_code(), "gas": gas, "value": r.choice([0, 1]), **fees}
            else:
                # EIP-7702: the other sender (index 2) delegates to a program; we then call it
                auth = Account.sign_authorization(
                    {"chainId": 31337, "address": r.choice(C), "nonce": nonces[2]}, SENDERS[2].key
                )
                nonces[2] += 1
                tx = {
                    "type": 4,
                    "to": SENDER_ADDR[2],
                    "data": r.getrandbits(256).to_bytes(32, "big"),
                    "gas": gas,
                    "value": 0,
                    "authorizationList": [auth],
                    **fees,
                }
            tx["nonce"] = nonces[s]
            nonces[s] += 1
            block.append((tx, s))
        blocks.append(block)
    return blocks


def run(cls: type[MiningChain], state: dict[bytes, Any], blocks: list[Any], use_deadline: bool) -> list[Any]:
    chain = make_chain(cls, state)
    out = []
    stamp = 1_700_000_001
    for block in blocks:
        transactions = []
        for tx, s in block:
            raw = SENDERS[s].sign_transaction({**tx, "to": tx.get("to", b"")} if "to" in tx else tx).raw_transaction
            transactions.append(chain.get_vm().get_transaction_builder().decode(bytes(raw)))
        try:
            with deadline(600 if use_deadline else None):
                result, receipts, comps = chain.mine_all(
                    transactions, coinbase=ZERO_ADDRESS, mix_hash=b"\0" * 32, timestamp=stamp
                )
        except Exception as exc:  # noqa: BLE001 - an exception is an outcome to compare too
            out.append(("exception", type(exc).__name__, str(exc)[:200]))
            return out
        h = result.imported_block.header
        out.append(
            (
                h.state_root.hex(),
                h.receipt_root.hex(),
                h.gas_used,
                [(r.gas_used, r.state_root, r.logs) for r in receipts],
                [(c.is_error, type(c.error).__name__ if c.is_error else None, c.get_gas_refund()) for c in comps],
            )
        )
        stamp += 1
    return out
