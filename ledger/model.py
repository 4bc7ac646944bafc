"""The market's data, without chain access: the request a requester signs (`JobRequest`, EIP-712),
a job's and a slot's on-chain state, the enums the contracts use, and the digests workers commit.

Imports no web3 and no EVM, so a client that only builds and signs requests (`agora job submit`,
the API's client) stays quick to start; `ledger.market` talks to the contracts with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import astuple, dataclass, replace
from enum import IntEnum
from typing import TYPE_CHECKING, Any, cast

from ._abi import encode_static, keccak

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from eth_typing import Hash32

    from .keys import Key

ZERO32 = b"\x00" * 32
UNAVAILABLE = keccak(b"agora.unavailable")
"""The digest revealed (or voted) when a job's program or input cannot be had: never slashed,
never a result (docs/protocol.md)."""


class Mode(IntEnum):
    REDUNDANT = 0
    ZK = 1


class JobStatus(IntEnum):
    NONE = 0
    OPEN = 1
    SETTLED = 2
    UNRESOLVED = 3
    EXPIRED = 4
    PROVISIONAL = 5  # a quorum agreed; final after the challenge window
    VOID = 6  # nothing could resolve it: every revealer paid its price, nobody slashed
    DISPUTED = 7  # reveals disagreed, or the provisional outcome was disputed: the court decides


class Verdict(IntEnum):
    """The proof court's verdict on a `ZK` job's proof (`IProofCourt.Verdict`)."""

    INVALID = 0  # slashed InvalidProof
    VALID = 1  # paid
    UNVERIFIABLE = 2  # the pinned verifier failed: the job is voided and the worker paid

    def describe(self) -> str:
        return self.name.lower()


class SlashReason(IntEnum):
    """Why a worker was slashed; `describe` gives the words every tool shows."""

    WRONG_RESULT = 0
    NO_REVEAL = 1
    DEADLINE_MISSED = 2
    INVALID_PROOF = 3
    LOST_DISPUTE = 4

    def describe(self) -> str:
        return self.name.replace("_", " ").lower()


_REQUEST_FIELDS = [
    ("requester", "address"),
    ("programId", "bytes32"),
    ("inputDigest", "bytes32"),
    ("verifierPin", "bytes32"),
    ("minPrice", "uint96"),
    ("maxPrice", "uint96"),
    ("ramp", "uint32"),
    ("collateral", "uint96"),
    ("redundancy", "uint8"),
    ("quorum", "uint8"),
    ("mode", "uint8"),
    ("fuelLimit", "uint64"),
    ("lockDeadline", "uint40"),
    ("commitDeadline", "uint40"),
    ("revealDeadline", "uint40"),
    ("regions", "uint32"),
    ("nonce", "uint256"),
    ("expiry", "uint40"),
]
JOB_REQUEST_TYPE = "JobRequest(" + ",".join(f"{t} {n}" for n, t in _REQUEST_FIELDS) + ")"
JOB_REQUEST_TYPEHASH = keccak(JOB_REQUEST_TYPE.encode())
_DOMAIN_TYPEHASH = keccak(b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")


@dataclass(frozen=True)
class JobRequest:
    """What a requester signs. Field order and types are the Solidity struct's."""

    requester: str
    program_id: bytes
    input_digest: bytes
    verifier_pin: bytes
    min_price: int
    max_price: int
    ramp: int
    collateral: int
    redundancy: int
    quorum: int
    mode: Mode
    fuel_limit: int
    lock_deadline: int
    commit_deadline: int
    reveal_deadline: int
    regions: int
    nonce: int
    expiry: int

    def as_tuple(self) -> tuple[Any, ...]:
        return tuple(int(v) if isinstance(v, IntEnum) else v for v in astuple(self))

    def to_abi(self) -> dict[str, Any]:
        """The fields under the names the contract's ABI gives them (``programId``, ...)."""
        return {name: value for (name, _), value in zip(_REQUEST_FIELDS, self.as_tuple(), strict=True)}

    @classmethod
    def from_abi(cls, values: Mapping[str, Any]) -> JobRequest:
        """The request from its ABI-named fields (a decoded event, or `to_abi` output); bytes32
        fields may be bytes or hex."""
        args: list[Any] = []
        for name, kind in _REQUEST_FIELDS:
            value = values[name]
            if kind == "bytes32":
                args.append(bytes.fromhex(value.removeprefix("0x")) if isinstance(value, str) else bytes(value))
            elif kind == "address":
                args.append(str(value))
            else:
                args.append(int(value))
        request = cls(*args)
        return replace(request, mode=Mode(request.mode))

    def struct_hash(self) -> bytes:
        """The EIP-712 hashStruct, which is also the job's id."""
        return keccak(JOB_REQUEST_TYPEHASH + encode_static([t for _, t in _REQUEST_FIELDS], self.as_tuple()))

    def typed_data(self, *, chain_id: int, market: str) -> dict[str, Any]:
        message = self.to_abi()
        return {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "JobRequest": [{"name": n, "type": t} for n, t in _REQUEST_FIELDS],
            },
            "primaryType": "JobRequest",
            "domain": {"name": "AgoraJobMarket", "version": "1", "chainId": chain_id, "verifyingContract": market},
            "message": message,
        }

    def signing_hash(self, *, chain_id: int, market: str) -> bytes:
        """The EIP-712 hash a requester signs: the market's domain and `struct_hash` (`typed_data`
        hashed, in three keccaks; tests/unit/test_ledger_keys.py checks they agree)."""
        domain = keccak(
            _DOMAIN_TYPEHASH
            + keccak(b"AgoraJobMarket")
            + keccak(b"1")
            + encode_static(["uint256", "address"], [chain_id, market])
        )
        return keccak(b"\x19\x01" + domain + self.struct_hash())

    def sign(self, account: Key | LocalAccount, *, chain_id: int, market: str) -> bytes:
        """The requester's EIP-712 signature (65 bytes, low-s)."""
        return bytes(
            account.unsafe_sign_hash(cast("Hash32", self.signing_hash(chain_id=chain_id, market=market))).signature
        )


def pin_of(verifier: str, code_hash: bytes) -> bytes:
    """`ProofCourt.pinOf`: the verifier's address, then the first 12 bytes of its code hash."""
    return bytes.fromhex(verifier.removeprefix("0x")) + bytes(code_hash)[:12]


def commitment(digest: bytes, salt: bytes, worker: str) -> bytes:
    """keccak256(abi.encode(digest, salt, worker)): what a worker commits before revealing."""
    return keccak(encode_static(["bytes32", "bytes32", "address"], [digest, salt, worker]))


@dataclass(frozen=True)
class Job:
    requester: str
    posted_at: int
    status: JobStatus
    mode: Mode
    k: int
    q: int
    locked: int
    committed_mask: int
    revealed_mask: int
    min_price: int
    max_price: int
    ramp: int
    regions: int
    collateral: int
    lock_deadline: int
    commit_deadline: int
    reveal_deadline: int
    challenge_window: int  # the market's window when the job was posted
    audit: int  # AUDIT_NONE, AUDIT_AWAITING, AUDIT_DECIDED, or the block whose hash decides it

    @property
    def audited(self) -> bool:
        """Whether the job escrowed an audit fee (an auditor may take slot k)."""
        return self.audit != AUDIT_NONE

    @property
    def audit_deadline(self) -> int:
        """Until when an auditor may be drawn: half-way through the compute window."""
        return self.lock_deadline + (self.commit_deadline - self.lock_deadline) // 2

    def audit_pending(self, now: int) -> bool:
        """Whether reveals wait for the audit (an auditor must commit before any digest is seen)."""
        return self.audit not in (AUDIT_NONE, AUDIT_DECIDED) and now <= self.audit_deadline

    def reveals_open(self, now: int) -> bool:
        """The contract's rule: locking and the audit done and every slot committed, or the commit
        deadline passed."""
        if now > self.commit_deadline:
            return True
        locking_done = self.locked >= self.k or now > self.lock_deadline
        return locking_done and not self.audit_pending(now) and self.committed_mask == (1 << self.locked) - 1


AUDIT_NONE, AUDIT_AWAITING, AUDIT_DECIDED = 0, 1, 2
"""`Job.audit` below 3: no audit (no fee); waiting for locking to end; decided (auditor or none)."""


@dataclass(frozen=True)
class Slot:
    worker: str
    price: int
    sealed: bytes
