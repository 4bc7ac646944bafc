"""Typed records of every contract event, generated from the shipped ABIs by tools/events.py
(`make contracts`). Do not edit: `tools/artifacts.py --check` fails when this is stale."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .model import JobRequest, SlashReason, Verdict

__all__ = [
    "EVENTS",
    "Event",
    "JobEvent",
    "AddrChanged",
    "Approval",
    "ApprovalForAll",
    "AuditRateChanged",
    "AuditScheduled",
    "AuditSkipped",
    "AuditorDrawn",
    "BurnShareChanged",
    "CaseDecided",
    "CaseVoid",
    "ChallengeWindowChanged",
    "ClaimPaid",
    "CollateralLocked",
    "CollateralReleased",
    "CommitmentMade",
    "ContenthashChanged",
    "CourtSet",
    "Deposited",
    "Disputed",
    "EIP712DomainChanged",
    "FaucetDripped",
    "JobEscalated",
    "JobExpired",
    "JobLocked",
    "JobPosted",
    "JobProvisional",
    "JobSettled",
    "JobUnresolved",
    "JobVoid",
    "JurorDrawn",
    "JurorPaid",
    "MarketSet",
    "MaxJobDurationChanged",
    "MinStakeChanged",
    "MinWindowsChanged",
    "NameChanged",
    "NameRegistered",
    "NewOwner",
    "NewResolver",
    "NewTTL",
    "NonceCancelled",
    "OwnershipTransferStarted",
    "OwnershipTransferred",
    "PoolWeightChanged",
    "PostRefused",
    "ProofAccepted",
    "ProofChecked",
    "ProofCourtSet",
    "ProofRejected",
    "Refunded",
    "RegionDeclared",
    "ResultCommitted",
    "ResultRevealed",
    "ReverseClaimed",
    "RoundDrawn",
    "RoundResolved",
    "RoundScheduled",
    "SeatTermsChanged",
    "Slashed",
    "SlotReleased",
    "Staked",
    "TextChanged",
    "AgoraTokenTransfer",
    "NameRegistryTransfer",
    "UnbondingDelayChanged",
    "UnstakeRequested",
    "VoteCommitted",
    "VoteRevealed",
    "VoteWindowChanged",
    "StakeManagerWithdrawn",
    "JobMarketWithdrawn",
    "WorkerPaid",
    "WorkerSlashed",
]


@dataclass(frozen=True, kw_only=True)
class Event:
    """Where an event was logged: block, position in it, transaction, emitting contract."""

    block: int
    log_index: int
    tx_hash: bytes
    address: str
    NAME: ClassVar[str] = ""
    CONTRACTS: ClassVar[tuple[str, ...]] = ()
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = ()
    """(ABI name, field, kind) of each argument, in ABI order."""


@dataclass(frozen=True, kw_only=True)
class JobEvent(Event):
    """An event about one job (every market and court event that names one)."""

    job_id: bytes


@dataclass(frozen=True, kw_only=True)
class AddrChanged(Event):
    """`AddrChanged` of PublicResolver."""

    node: bytes
    a: str
    NAME: ClassVar[str] = "AddrChanged"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("PublicResolver",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("node", "node", "bytes"), ("a", "a", "str"))


@dataclass(frozen=True, kw_only=True)
class Approval(Event):
    """`Approval` of AgoraToken."""

    owner: str
    spender: str
    value: int
    NAME: ClassVar[str] = "Approval"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("AgoraToken",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("owner", "owner", "str"),
        ("spender", "spender", "str"),
        ("value", "value", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class ApprovalForAll(Event):
    """`ApprovalForAll` of NameRegistry."""

    owner: str
    operator: str
    approved: bool
    NAME: ClassVar[str] = "ApprovalForAll"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("NameRegistry",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("owner", "owner", "str"),
        ("operator", "operator", "str"),
        ("approved", "approved", "bool"),
    )


@dataclass(frozen=True, kw_only=True)
class AuditRateChanged(Event):
    """`AuditRateChanged` of JobMarket."""

    old_bps: int
    new_bps: int
    NAME: ClassVar[str] = "AuditRateChanged"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("oldBps", "old_bps", "int"), ("newBps", "new_bps", "int"))


@dataclass(frozen=True, kw_only=True)
class AuditScheduled(JobEvent):
    """`AuditScheduled` of Court."""

    seed_block: int
    NAME: ClassVar[str] = "AuditScheduled"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("Court",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("seedBlock", "seed_block", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class AuditSkipped(JobEvent):
    """`AuditSkipped` of Court."""

    sampled: bool
    NAME: ClassVar[str] = "AuditSkipped"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("Court",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("jobId", "job_id", "bytes"), ("sampled", "sampled", "bool"))


@dataclass(frozen=True, kw_only=True)
class AuditorDrawn(JobEvent):
    """`AuditorDrawn` of Court."""

    auditor: str
    NAME: ClassVar[str] = "AuditorDrawn"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("Court",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("jobId", "job_id", "bytes"), ("auditor", "auditor", "str"))


@dataclass(frozen=True, kw_only=True)
class BurnShareChanged(Event):
    """`BurnShareChanged` of StakeManager."""

    old_bps: int
    new_bps: int
    NAME: ClassVar[str] = "BurnShareChanged"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("StakeManager",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("oldBps", "old_bps", "int"), ("newBps", "new_bps", "int"))


@dataclass(frozen=True, kw_only=True)
class CaseDecided(JobEvent):
    """`CaseDecided` of Court."""

    digest: bytes
    pot: int
    juror_fees: int
    winners_share: int
    NAME: ClassVar[str] = "CaseDecided"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("Court",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("digest", "digest", "bytes"),
        ("pot", "pot", "int"),
        ("jurorFees", "juror_fees", "int"),
        ("winnersShare", "winners_share", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class CaseVoid(JobEvent):
    """`CaseVoid` of Court."""

    round: int
    NAME: ClassVar[str] = "CaseVoid"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("Court",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("jobId", "job_id", "bytes"), ("round", "round", "int"))


@dataclass(frozen=True, kw_only=True)
class ChallengeWindowChanged(Event):
    """`ChallengeWindowChanged` of JobMarket."""

    old_window: int
    new_window: int
    NAME: ClassVar[str] = "ChallengeWindowChanged"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("oldWindow", "old_window", "int"),
        ("newWindow", "new_window", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class ClaimPaid(JobEvent):
    """`ClaimPaid` of Court."""

    account: str
    amount: int
    NAME: ClassVar[str] = "ClaimPaid"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("Court",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("account", "account", "str"),
        ("amount", "amount", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class CollateralLocked(JobEvent):
    """`CollateralLocked` of StakeManager."""

    worker: str
    amount: int
    NAME: ClassVar[str] = "CollateralLocked"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("StakeManager",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("worker", "worker", "str"),
        ("jobId", "job_id", "bytes"),
        ("amount", "amount", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class CollateralReleased(JobEvent):
    """`CollateralReleased` of StakeManager."""

    worker: str
    amount: int
    NAME: ClassVar[str] = "CollateralReleased"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("StakeManager",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("worker", "worker", "str"),
        ("jobId", "job_id", "bytes"),
        ("amount", "amount", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class CommitmentMade(Event):
    """`CommitmentMade` of AgoraRegistrar, ProgramRegistrar."""

    commitment: bytes
    timestamp: int
    NAME: ClassVar[str] = "CommitmentMade"
    CONTRACTS: ClassVar[tuple[str, ...]] = (
        "AgoraRegistrar",
        "ProgramRegistrar",
    )
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("commitment", "commitment", "bytes"),
        ("timestamp", "timestamp", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class ContenthashChanged(Event):
    """`ContenthashChanged` of PublicResolver."""

    node: bytes
    hash: bytes
    NAME: ClassVar[str] = "ContenthashChanged"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("PublicResolver",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("node", "node", "bytes"), ("hash", "hash", "bytes"))


@dataclass(frozen=True, kw_only=True)
class CourtSet(Event):
    """`CourtSet` of StakeManager, JobMarket."""

    court: str
    NAME: ClassVar[str] = "CourtSet"
    CONTRACTS: ClassVar[tuple[str, ...]] = (
        "StakeManager",
        "JobMarket",
    )
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("court", "court", "str"),)


@dataclass(frozen=True, kw_only=True)
class Deposited(Event):
    """`Deposited` of JobMarket."""

    account: str
    amount: int
    NAME: ClassVar[str] = "Deposited"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("account", "account", "str"), ("amount", "amount", "int"))


@dataclass(frozen=True, kw_only=True)
class Disputed(JobEvent):
    """`Disputed` of Court."""

    account: str
    digest: bytes
    amount: int
    round: int
    NAME: ClassVar[str] = "Disputed"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("Court",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("account", "account", "str"),
        ("digest", "digest", "bytes"),
        ("amount", "amount", "int"),
        ("round", "round", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class EIP712DomainChanged(Event):
    """`EIP712DomainChanged` of AgoraToken, JobMarket."""

    NAME: ClassVar[str] = "EIP712DomainChanged"
    CONTRACTS: ClassVar[tuple[str, ...]] = (
        "AgoraToken",
        "JobMarket",
    )
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = ()


@dataclass(frozen=True, kw_only=True)
class FaucetDripped(Event):
    """`FaucetDripped` of AgoraToken."""

    to: str
    amount: int
    NAME: ClassVar[str] = "FaucetDripped"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("AgoraToken",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("to", "to", "str"), ("amount", "amount", "int"))


@dataclass(frozen=True, kw_only=True)
class JobEscalated(JobEvent):
    """`JobEscalated` of JobMarket."""

    NAME: ClassVar[str] = "JobEscalated"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("jobId", "job_id", "bytes"),)


@dataclass(frozen=True, kw_only=True)
class JobExpired(JobEvent):
    """`JobExpired` of JobMarket."""

    NAME: ClassVar[str] = "JobExpired"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("jobId", "job_id", "bytes"),)


@dataclass(frozen=True, kw_only=True)
class JobLocked(JobEvent):
    """`JobLocked` of JobMarket."""

    worker: str
    slot: int
    price: int
    NAME: ClassVar[str] = "JobLocked"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("worker", "worker", "str"),
        ("slot", "slot", "int"),
        ("price", "price", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class JobPosted(JobEvent):
    """`JobPosted` of JobMarket."""

    requester: str
    request: JobRequest
    escrow: int
    NAME: ClassVar[str] = "JobPosted"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("requester", "requester", "str"),
        ("request", "request", "JobRequest"),
        ("escrow", "escrow", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class JobProvisional(JobEvent):
    """`JobProvisional` of JobMarket."""

    digest: bytes
    agreeing: int
    final_after: int
    NAME: ClassVar[str] = "JobProvisional"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("digest", "digest", "bytes"),
        ("agreeing", "agreeing", "int"),
        ("finalAfter", "final_after", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class JobSettled(JobEvent):
    """`JobSettled` of JobMarket."""

    winning_digest: bytes
    agreeing: int
    NAME: ClassVar[str] = "JobSettled"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("winningDigest", "winning_digest", "bytes"),
        ("agreeing", "agreeing", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class JobUnresolved(JobEvent):
    """`JobUnresolved` of JobMarket."""

    largest_group: int
    quorum: int
    NAME: ClassVar[str] = "JobUnresolved"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("largestGroup", "largest_group", "int"),
        ("quorum", "quorum", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class JobVoid(JobEvent):
    """`JobVoid` of JobMarket."""

    revealed: int
    NAME: ClassVar[str] = "JobVoid"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("jobId", "job_id", "bytes"), ("revealed", "revealed", "int"))


@dataclass(frozen=True, kw_only=True)
class JurorDrawn(JobEvent):
    """`JurorDrawn` of Court."""

    juror: str
    round: int
    seats: int
    NAME: ClassVar[str] = "JurorDrawn"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("Court",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("juror", "juror", "str"),
        ("round", "round", "int"),
        ("seats", "seats", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class JurorPaid(JobEvent):
    """`JurorPaid` of Court."""

    juror: str
    amount: int
    NAME: ClassVar[str] = "JurorPaid"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("Court",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("juror", "juror", "str"),
        ("amount", "amount", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class MarketSet(Event):
    """`MarketSet` of StakeManager."""

    market: str
    NAME: ClassVar[str] = "MarketSet"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("StakeManager",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("market", "market", "str"),)


@dataclass(frozen=True, kw_only=True)
class MaxJobDurationChanged(Event):
    """`MaxJobDurationChanged` of JobMarket."""

    old_duration: int
    new_duration: int
    NAME: ClassVar[str] = "MaxJobDurationChanged"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("oldDuration", "old_duration", "int"),
        ("newDuration", "new_duration", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class MinStakeChanged(Event):
    """`MinStakeChanged` of StakeManager."""

    old_minimum: int
    new_minimum: int
    NAME: ClassVar[str] = "MinStakeChanged"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("StakeManager",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("oldMinimum", "old_minimum", "int"),
        ("newMinimum", "new_minimum", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class MinWindowsChanged(Event):
    """`MinWindowsChanged` of JobMarket."""

    compute_window: int
    reveal_window: int
    NAME: ClassVar[str] = "MinWindowsChanged"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("computeWindow", "compute_window", "int"),
        ("revealWindow", "reveal_window", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class NameChanged(Event):
    """`NameChanged` of PublicResolver."""

    node: bytes
    name: str
    NAME: ClassVar[str] = "NameChanged"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("PublicResolver",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("node", "node", "bytes"), ("name", "name", "str"))


@dataclass(frozen=True, kw_only=True)
class NameRegistered(Event):
    """`NameRegistered` of AgoraRegistrar, ProgramRegistrar."""

    name: str
    label: bytes
    node: bytes
    owner: str
    NAME: ClassVar[str] = "NameRegistered"
    CONTRACTS: ClassVar[tuple[str, ...]] = (
        "AgoraRegistrar",
        "ProgramRegistrar",
    )
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("name", "name", "str"),
        ("label", "label", "bytes"),
        ("node", "node", "bytes"),
        ("owner", "owner", "str"),
    )


@dataclass(frozen=True, kw_only=True)
class NewOwner(Event):
    """`NewOwner` of NameRegistry."""

    node: bytes
    label: bytes
    owner: str
    NAME: ClassVar[str] = "NewOwner"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("NameRegistry",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("node", "node", "bytes"),
        ("label", "label", "bytes"),
        ("owner", "owner", "str"),
    )


@dataclass(frozen=True, kw_only=True)
class NewResolver(Event):
    """`NewResolver` of NameRegistry."""

    node: bytes
    resolver: str
    NAME: ClassVar[str] = "NewResolver"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("NameRegistry",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("node", "node", "bytes"), ("resolver", "resolver", "str"))


@dataclass(frozen=True, kw_only=True)
class NewTTL(Event):
    """`NewTTL` of NameRegistry."""

    node: bytes
    ttl: int
    NAME: ClassVar[str] = "NewTTL"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("NameRegistry",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("node", "node", "bytes"), ("ttl", "ttl", "int"))


@dataclass(frozen=True, kw_only=True)
class NonceCancelled(Event):
    """`NonceCancelled` of JobMarket."""

    requester: str
    nonce: int
    NAME: ClassVar[str] = "NonceCancelled"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("requester", "requester", "str"), ("nonce", "nonce", "int"))


@dataclass(frozen=True, kw_only=True)
class OwnershipTransferStarted(Event):
    """`OwnershipTransferStarted` of StakeManager, JobMarket, Court."""

    previous_owner: str
    new_owner: str
    NAME: ClassVar[str] = "OwnershipTransferStarted"
    CONTRACTS: ClassVar[tuple[str, ...]] = (
        "StakeManager",
        "JobMarket",
        "Court",
    )
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("previousOwner", "previous_owner", "str"),
        ("newOwner", "new_owner", "str"),
    )


@dataclass(frozen=True, kw_only=True)
class OwnershipTransferred(Event):
    """`OwnershipTransferred` of StakeManager, JobMarket, Court."""

    previous_owner: str
    new_owner: str
    NAME: ClassVar[str] = "OwnershipTransferred"
    CONTRACTS: ClassVar[tuple[str, ...]] = (
        "StakeManager",
        "JobMarket",
        "Court",
    )
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("previousOwner", "previous_owner", "str"),
        ("newOwner", "new_owner", "str"),
    )


@dataclass(frozen=True, kw_only=True)
class PoolWeightChanged(Event):
    """`PoolWeightChanged` of StakeManager."""

    worker: str
    region: int
    weight: int
    NAME: ClassVar[str] = "PoolWeightChanged"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("StakeManager",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("worker", "worker", "str"),
        ("region", "region", "int"),
        ("weight", "weight", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class PostRefused(Event):
    """`PostRefused` of JobBatcher."""

    index: int
    reason: bytes
    NAME: ClassVar[str] = "PostRefused"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobBatcher",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("index", "index", "int"), ("reason", "reason", "bytes"))


@dataclass(frozen=True, kw_only=True)
class ProofAccepted(JobEvent):
    """`ProofAccepted` of JobMarket."""

    worker: str
    digest: bytes
    result_cid: bytes
    NAME: ClassVar[str] = "ProofAccepted"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("worker", "worker", "str"),
        ("digest", "digest", "bytes"),
        ("resultCid", "result_cid", "bytes"),
    )


@dataclass(frozen=True, kw_only=True)
class ProofChecked(JobEvent):
    """`ProofChecked` of ProofCourt."""

    worker: str
    verifier: str
    verdict: Verdict
    digest: bytes
    result_cid: bytes
    NAME: ClassVar[str] = "ProofChecked"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("ProofCourt",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("worker", "worker", "str"),
        ("verifier", "verifier", "str"),
        ("verdict", "verdict", "Verdict"),
        ("digest", "digest", "bytes"),
        ("resultCid", "result_cid", "bytes"),
    )


@dataclass(frozen=True, kw_only=True)
class ProofCourtSet(Event):
    """`ProofCourtSet` of JobMarket."""

    proof_court: str
    NAME: ClassVar[str] = "ProofCourtSet"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("proofCourt", "proof_court", "str"),)


@dataclass(frozen=True, kw_only=True)
class ProofRejected(JobEvent):
    """`ProofRejected` of JobMarket."""

    worker: str
    digest: bytes
    NAME: ClassVar[str] = "ProofRejected"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("worker", "worker", "str"),
        ("digest", "digest", "bytes"),
    )


@dataclass(frozen=True, kw_only=True)
class Refunded(JobEvent):
    """`Refunded` of JobMarket."""

    requester: str
    amount: int
    NAME: ClassVar[str] = "Refunded"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("requester", "requester", "str"),
        ("amount", "amount", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class RegionDeclared(Event):
    """`RegionDeclared` of StakeManager."""

    worker: str
    region: int
    effective_at: int
    NAME: ClassVar[str] = "RegionDeclared"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("StakeManager",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("worker", "worker", "str"),
        ("region", "region", "int"),
        ("effectiveAt", "effective_at", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class ResultCommitted(JobEvent):
    """`ResultCommitted` of JobMarket."""

    worker: str
    slot: int
    commitment: bytes
    NAME: ClassVar[str] = "ResultCommitted"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("worker", "worker", "str"),
        ("slot", "slot", "int"),
        ("commitment", "commitment", "bytes"),
    )


@dataclass(frozen=True, kw_only=True)
class ResultRevealed(JobEvent):
    """`ResultRevealed` of JobMarket."""

    worker: str
    slot: int
    digest: bytes
    result_cid: bytes
    NAME: ClassVar[str] = "ResultRevealed"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("worker", "worker", "str"),
        ("slot", "slot", "int"),
        ("digest", "digest", "bytes"),
        ("resultCid", "result_cid", "bytes"),
    )


@dataclass(frozen=True, kw_only=True)
class ReverseClaimed(Event):
    """`ReverseClaimed` of ReverseRegistrar."""

    addr: str
    node: bytes
    owner: str
    NAME: ClassVar[str] = "ReverseClaimed"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("ReverseRegistrar",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("addr", "addr", "str"),
        ("node", "node", "bytes"),
        ("owner", "owner", "str"),
    )


@dataclass(frozen=True, kw_only=True)
class RoundDrawn(JobEvent):
    """`RoundDrawn` of Court."""

    round: int
    seats: int
    checkpoint_fuel: int
    commit_deadline: int
    reveal_deadline: int
    NAME: ClassVar[str] = "RoundDrawn"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("Court",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("round", "round", "int"),
        ("seats", "seats", "int"),
        ("checkpointFuel", "checkpoint_fuel", "int"),
        ("commitDeadline", "commit_deadline", "int"),
        ("revealDeadline", "reveal_deadline", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class RoundResolved(JobEvent):
    """`RoundResolved` of Court."""

    round: int
    majority: bool
    digest: bytes
    appeal_deadline: int
    NAME: ClassVar[str] = "RoundResolved"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("Court",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("round", "round", "int"),
        ("majority", "majority", "bool"),
        ("digest", "digest", "bytes"),
        ("appealDeadline", "appeal_deadline", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class RoundScheduled(JobEvent):
    """`RoundScheduled` of Court."""

    round: int
    pool_block: int
    seed_block: int
    NAME: ClassVar[str] = "RoundScheduled"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("Court",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("round", "round", "int"),
        ("poolBlock", "pool_block", "int"),
        ("seedBlock", "seed_block", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class SeatTermsChanged(Event):
    """`SeatTermsChanged` of Court."""

    min_seat_fee: int
    seat_collateral: int
    NAME: ClassVar[str] = "SeatTermsChanged"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("Court",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("minSeatFee", "min_seat_fee", "int"),
        ("seatCollateral", "seat_collateral", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class Slashed(JobEvent):
    """`Slashed` of StakeManager."""

    worker: str
    amount: int
    burned: int
    reason: SlashReason
    beneficiary: str
    NAME: ClassVar[str] = "Slashed"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("StakeManager",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("worker", "worker", "str"),
        ("jobId", "job_id", "bytes"),
        ("amount", "amount", "int"),
        ("burned", "burned", "int"),
        ("reason", "reason", "SlashReason"),
        ("beneficiary", "beneficiary", "str"),
    )


@dataclass(frozen=True, kw_only=True)
class SlotReleased(JobEvent):
    """`SlotReleased` of JobMarket."""

    worker: str
    slot: int
    moved_from: int
    NAME: ClassVar[str] = "SlotReleased"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("worker", "worker", "str"),
        ("slot", "slot", "int"),
        ("movedFrom", "moved_from", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class Staked(Event):
    """`Staked` of StakeManager."""

    worker: str
    amount: int
    NAME: ClassVar[str] = "Staked"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("StakeManager",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("worker", "worker", "str"), ("amount", "amount", "int"))


@dataclass(frozen=True, kw_only=True)
class TextChanged(Event):
    """`TextChanged` of PublicResolver."""

    node: bytes
    indexed_key: str
    key: str
    value: str
    NAME: ClassVar[str] = "TextChanged"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("PublicResolver",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("node", "node", "bytes"),
        ("indexedKey", "indexed_key", "str"),
        ("key", "key", "str"),
        ("value", "value", "str"),
    )


@dataclass(frozen=True, kw_only=True)
class AgoraTokenTransfer(Event):
    """`Transfer` of AgoraToken."""

    from_: str
    to: str
    value: int
    NAME: ClassVar[str] = "Transfer"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("AgoraToken",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("from", "from_", "str"),
        ("to", "to", "str"),
        ("value", "value", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class NameRegistryTransfer(Event):
    """`Transfer` of NameRegistry."""

    node: bytes
    owner: str
    NAME: ClassVar[str] = "Transfer"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("NameRegistry",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("node", "node", "bytes"), ("owner", "owner", "str"))


@dataclass(frozen=True, kw_only=True)
class UnbondingDelayChanged(Event):
    """`UnbondingDelayChanged` of StakeManager."""

    old_delay: int
    new_delay: int
    NAME: ClassVar[str] = "UnbondingDelayChanged"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("StakeManager",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("oldDelay", "old_delay", "int"),
        ("newDelay", "new_delay", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class UnstakeRequested(Event):
    """`UnstakeRequested` of StakeManager."""

    worker: str
    amount: int
    ready_at: int
    NAME: ClassVar[str] = "UnstakeRequested"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("StakeManager",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("worker", "worker", "str"),
        ("amount", "amount", "int"),
        ("readyAt", "ready_at", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class VoteCommitted(JobEvent):
    """`VoteCommitted` of Court."""

    juror: str
    round: int
    NAME: ClassVar[str] = "VoteCommitted"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("Court",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("juror", "juror", "str"),
        ("round", "round", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class VoteRevealed(JobEvent):
    """`VoteRevealed` of Court."""

    juror: str
    round: int
    digest: bytes
    checkpoint: bytes
    NAME: ClassVar[str] = "VoteRevealed"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("Court",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("juror", "juror", "str"),
        ("round", "round", "int"),
        ("digest", "digest", "bytes"),
        ("checkpoint", "checkpoint", "bytes"),
    )


@dataclass(frozen=True, kw_only=True)
class VoteWindowChanged(Event):
    """`VoteWindowChanged` of Court."""

    old_window: int
    new_window: int
    NAME: ClassVar[str] = "VoteWindowChanged"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("Court",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("oldWindow", "old_window", "int"),
        ("newWindow", "new_window", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class StakeManagerWithdrawn(Event):
    """`Withdrawn` of StakeManager."""

    worker: str
    amount: int
    NAME: ClassVar[str] = "Withdrawn"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("StakeManager",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("worker", "worker", "str"), ("amount", "amount", "int"))


@dataclass(frozen=True, kw_only=True)
class JobMarketWithdrawn(Event):
    """`Withdrawn` of JobMarket."""

    account: str
    amount: int
    NAME: ClassVar[str] = "Withdrawn"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("account", "account", "str"), ("amount", "amount", "int"))


@dataclass(frozen=True, kw_only=True)
class WorkerPaid(JobEvent):
    """`WorkerPaid` of JobMarket."""

    worker: str
    amount: int
    NAME: ClassVar[str] = "WorkerPaid"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("worker", "worker", "str"),
        ("amount", "amount", "int"),
    )


@dataclass(frozen=True, kw_only=True)
class WorkerSlashed(JobEvent):
    """`WorkerSlashed` of JobMarket."""

    worker: str
    amount: int
    reason: SlashReason
    NAME: ClassVar[str] = "WorkerSlashed"
    CONTRACTS: ClassVar[tuple[str, ...]] = ("JobMarket",)
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("jobId", "job_id", "bytes"),
        ("worker", "worker", "str"),
        ("amount", "amount", "int"),
        ("reason", "reason", "SlashReason"),
    )


EVENTS: dict[tuple[str, str], type[Event]] = {
    ("PublicResolver", "AddrChanged"): AddrChanged,
    ("AgoraToken", "Approval"): Approval,
    ("NameRegistry", "ApprovalForAll"): ApprovalForAll,
    ("JobMarket", "AuditRateChanged"): AuditRateChanged,
    ("Court", "AuditScheduled"): AuditScheduled,
    ("Court", "AuditSkipped"): AuditSkipped,
    ("Court", "AuditorDrawn"): AuditorDrawn,
    ("StakeManager", "BurnShareChanged"): BurnShareChanged,
    ("Court", "CaseDecided"): CaseDecided,
    ("Court", "CaseVoid"): CaseVoid,
    ("JobMarket", "ChallengeWindowChanged"): ChallengeWindowChanged,
    ("Court", "ClaimPaid"): ClaimPaid,
    ("StakeManager", "CollateralLocked"): CollateralLocked,
    ("StakeManager", "CollateralReleased"): CollateralReleased,
    ("AgoraRegistrar", "CommitmentMade"): CommitmentMade,
    ("ProgramRegistrar", "CommitmentMade"): CommitmentMade,
    ("PublicResolver", "ContenthashChanged"): ContenthashChanged,
    ("StakeManager", "CourtSet"): CourtSet,
    ("JobMarket", "CourtSet"): CourtSet,
    ("JobMarket", "Deposited"): Deposited,
    ("Court", "Disputed"): Disputed,
    ("AgoraToken", "EIP712DomainChanged"): EIP712DomainChanged,
    ("JobMarket", "EIP712DomainChanged"): EIP712DomainChanged,
    ("AgoraToken", "FaucetDripped"): FaucetDripped,
    ("JobMarket", "JobEscalated"): JobEscalated,
    ("JobMarket", "JobExpired"): JobExpired,
    ("JobMarket", "JobLocked"): JobLocked,
    ("JobMarket", "JobPosted"): JobPosted,
    ("JobMarket", "JobProvisional"): JobProvisional,
    ("JobMarket", "JobSettled"): JobSettled,
    ("JobMarket", "JobUnresolved"): JobUnresolved,
    ("JobMarket", "JobVoid"): JobVoid,
    ("Court", "JurorDrawn"): JurorDrawn,
    ("Court", "JurorPaid"): JurorPaid,
    ("StakeManager", "MarketSet"): MarketSet,
    ("JobMarket", "MaxJobDurationChanged"): MaxJobDurationChanged,
    ("StakeManager", "MinStakeChanged"): MinStakeChanged,
    ("JobMarket", "MinWindowsChanged"): MinWindowsChanged,
    ("PublicResolver", "NameChanged"): NameChanged,
    ("AgoraRegistrar", "NameRegistered"): NameRegistered,
    ("ProgramRegistrar", "NameRegistered"): NameRegistered,
    ("NameRegistry", "NewOwner"): NewOwner,
    ("NameRegistry", "NewResolver"): NewResolver,
    ("NameRegistry", "NewTTL"): NewTTL,
    ("JobMarket", "NonceCancelled"): NonceCancelled,
    ("StakeManager", "OwnershipTransferStarted"): OwnershipTransferStarted,
    ("JobMarket", "OwnershipTransferStarted"): OwnershipTransferStarted,
    ("Court", "OwnershipTransferStarted"): OwnershipTransferStarted,
    ("StakeManager", "OwnershipTransferred"): OwnershipTransferred,
    ("JobMarket", "OwnershipTransferred"): OwnershipTransferred,
    ("Court", "OwnershipTransferred"): OwnershipTransferred,
    ("StakeManager", "PoolWeightChanged"): PoolWeightChanged,
    ("JobBatcher", "PostRefused"): PostRefused,
    ("JobMarket", "ProofAccepted"): ProofAccepted,
    ("ProofCourt", "ProofChecked"): ProofChecked,
    ("JobMarket", "ProofCourtSet"): ProofCourtSet,
    ("JobMarket", "ProofRejected"): ProofRejected,
    ("JobMarket", "Refunded"): Refunded,
    ("StakeManager", "RegionDeclared"): RegionDeclared,
    ("JobMarket", "ResultCommitted"): ResultCommitted,
    ("JobMarket", "ResultRevealed"): ResultRevealed,
    ("ReverseRegistrar", "ReverseClaimed"): ReverseClaimed,
    ("Court", "RoundDrawn"): RoundDrawn,
    ("Court", "RoundResolved"): RoundResolved,
    ("Court", "RoundScheduled"): RoundScheduled,
    ("Court", "SeatTermsChanged"): SeatTermsChanged,
    ("StakeManager", "Slashed"): Slashed,
    ("JobMarket", "SlotReleased"): SlotReleased,
    ("StakeManager", "Staked"): Staked,
    ("PublicResolver", "TextChanged"): TextChanged,
    ("AgoraToken", "Transfer"): AgoraTokenTransfer,
    ("NameRegistry", "Transfer"): NameRegistryTransfer,
    ("StakeManager", "UnbondingDelayChanged"): UnbondingDelayChanged,
    ("StakeManager", "UnstakeRequested"): UnstakeRequested,
    ("Court", "VoteCommitted"): VoteCommitted,
    ("Court", "VoteRevealed"): VoteRevealed,
    ("Court", "VoteWindowChanged"): VoteWindowChanged,
    ("StakeManager", "Withdrawn"): StakeManagerWithdrawn,
    ("JobMarket", "Withdrawn"): JobMarketWithdrawn,
    ("JobMarket", "WorkerPaid"): WorkerPaid,
    ("JobMarket", "WorkerSlashed"): WorkerSlashed,
}
"""The record of each (contract, event name)."""
