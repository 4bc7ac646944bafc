"""Chain access: the embedded persistent EVM and its JSON-RPC server, any other node by URL,
contract deployment, typed clients for the token and names, accounts and keystores, and the
terms workers publish in their names' text records (`WorkerTerms`).

The bottom layer: imports nothing of ours. No web3 or eth-tester exception leaves it; contract
reverts surface as `ContractRevert` (name and decoded arguments) on every backend.
"""

from typing import TYPE_CHECKING, Any

from .accounts import CHAIN_ID, DEV_CHAIN_IDS, DEV_MNEMONIC, Key, Keystore, dev_account, dev_key
from .amounts import format_tokens, parse_tokens
from .artifacts import CONTRACT_NAMES, artifact, decode_revert, error_table, manifest
from .errors import (
    AlreadyCommitted,
    AlreadyReleased,
    AlreadyRevealed,
    AuditClosed,
    ChainUnavailable,
    CollateralTooSmall,
    CommitmentTooNew,
    CommitmentTooOld,
    ContractRevert,
    FaucetDisabled,
    InsufficientBalance,
    InsufficientFunds,
    InvalidSignature,
    JobFull,
    JobNotOpen,
    KeystoreError,
    LedgerError,
    LockClosed,
    LockingOpen,
    NameNotAvailable,
    NameNotFound,
    NonceUsed,
    NotAuditable,
    NotDeployed,
    NotDisputable,
    NotFinalizable,
    NothingToClaim,
    NotReleasable,
    NotSettleable,
    NotSlotWorker,
    NotYet,
    RegionNotAllowed,
    RevealNotOpen,
    SeedNotReady,
    StakeBelowMinimum,
    TransactionRejected,
    Unauthorized,
    UndecodableAnswer,
    VoteAlreadyCast,
    WorkerAlreadyLocked,
    WrongPhase,
)
from .model import (
    AUDIT_DECIDED,
    AUDIT_NONE,
    UNAVAILABLE,
    Job,
    JobRequest,
    JobStatus,
    Mode,
    SlashReason,
    Slot,
    Verdict,
    commitment,
    pin_of,
)
from .names import labelhash, namehash, reverse_name, split_agora_name
from .regions import REGIONS, region_code, region_index, regions_in, regions_mask
from .requests import first_round_collateral, new_request
from .terms import TERMS_KEYS, WorkerTerms, parse_terms

if TYPE_CHECKING:
    from . import events
    from ._connect import ChainHandle, open_chain
    from ._embedded import ChainInUse, EmbeddedChain
    from ._tx import Transactor, mapped_errors
    from .clients import Names, Token
    from .clock import ChainClock, format_duration, format_time
    from .court import Case, CasePhase, Court, Vote, vote_commitment
    from .deployment import Deployment, deploy, is_current, load_deployment
    from .events import Event, JobEvent
    from .feed import EventDecoder, JobFeed, job_event_decoder, run_until
    from .logs import LOG_PAGE, fetch_logs
    from .market import JobMarket, StakeManager
    from .provider import EmbeddedProvider, connect
    from .reader import ChainReader
    from .rpc import Dispatcher, RPCError
    from .server import RPCApp, serve
    from .settings import LedgerSettings, get_settings

# What needs web3 or the EVM (a second and more to import) is loaded when first asked for, so a
# command that only signs requests starts quickly (docs/architecture.md, docs/toolchain.md).
_LAZY = {
    "_connect": ("ChainHandle", "open_chain"),
    "_embedded": ("ChainInUse", "EmbeddedChain"),
    "_tx": ("Transactor", "mapped_errors"),
    "clients": ("Names", "Token"),
    "clock": ("ChainClock", "format_duration", "format_time"),
    "court": ("Case", "CasePhase", "Court", "Vote", "vote_commitment"),
    "deployment": ("Deployment", "deploy", "is_current", "load_deployment"),
    "events": ("Event", "JobEvent"),
    "feed": ("EventDecoder", "JobFeed", "job_event_decoder", "run_until"),
    "logs": ("LOG_PAGE", "fetch_logs"),
    "market": ("JobMarket", "StakeManager"),
    "provider": ("EmbeddedProvider", "connect"),
    "reader": ("ChainReader",),
    "rpc": ("Dispatcher", "RPCError"),
    "server": ("RPCApp", "serve"),
    "settings": ("LedgerSettings", "get_settings"),  # pydantic's settings: ~0.1 s
}
_HOME = {name: module for module, names in _LAZY.items() for name in names}


_SUBMODULES = {"events"}
"""Modules exported whole (``ledger.events.JobPosted``)."""


def __getattr__(name: str) -> Any:
    from importlib import import_module

    if name in _SUBMODULES:
        return import_module(f".{name}", __name__)  # which sets it on the package
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # asked once
    return value


__all__ = [
    "CONTRACT_NAMES",
    "AUDIT_DECIDED",
    "AUDIT_NONE",
    "UNAVAILABLE",
    "AuditClosed",
    "LockingOpen",
    "NotAuditable",
    "Case",
    "CasePhase",
    "CollateralTooSmall",
    "Court",
    "NotDisputable",
    "NothingToClaim",
    "NotYet",
    "SeedNotReady",
    "Vote",
    "VoteAlreadyCast",
    "WrongPhase",
    "vote_commitment",
    "ChainClock",
    "run_until",
    "Event",
    "EventDecoder",
    "JobEvent",
    "JobFeed",
    "job_event_decoder",
    "first_round_collateral",
    "new_request",
    "events",
    "NotFinalizable",
    "NotReleasable",
    "NotSettleable",
    "NotSlotWorker",
    "RevealNotOpen",
    "AlreadyRevealed",
    "AlreadyCommitted",
    "AlreadyReleased",
    "RegionNotAllowed",
    "LOG_PAGE",
    "fetch_logs",
    "CHAIN_ID",
    "DEV_CHAIN_IDS",
    "DEV_MNEMONIC",
    "Key",
    "dev_key",
    "REGIONS",
    "ChainHandle",
    "ChainInUse",
    "ChainUnavailable",
    "InvalidSignature",
    "Job",
    "JobFull",
    "JobMarket",
    "JobNotOpen",
    "JobRequest",
    "JobStatus",
    "LockClosed",
    "Mode",
    "NonceUsed",
    "UndecodableAnswer",
    "SlashReason",
    "Slot",
    "StakeBelowMinimum",
    "StakeManager",
    "Verdict",
    "WorkerAlreadyLocked",
    "commitment",
    "pin_of",
    "CommitmentTooNew",
    "CommitmentTooOld",
    "ContractRevert",
    "Deployment",
    "Dispatcher",
    "EmbeddedChain",
    "EmbeddedProvider",
    "FaucetDisabled",
    "InsufficientBalance",
    "InsufficientFunds",
    "Keystore",
    "KeystoreError",
    "LedgerError",
    "LedgerSettings",
    "NameNotAvailable",
    "NameNotFound",
    "Names",
    "NotDeployed",
    "RPCApp",
    "RPCError",
    "Token",
    "TransactionRejected",
    "Transactor",
    "Unauthorized",
    "artifact",
    "connect",
    "ChainReader",
    "decode_revert",
    "deploy",
    "dev_account",
    "error_table",
    "format_duration",
    "format_time",
    "format_tokens",
    "parse_tokens",
    "get_settings",
    "is_current",
    "labelhash",
    "load_deployment",
    "manifest",
    "mapped_errors",
    "namehash",
    "open_chain",
    "region_code",
    "region_index",
    "regions_in",
    "regions_mask",
    "reverse_name",
    "serve",
    "split_agora_name",
    "TERMS_KEYS",
    "WorkerTerms",
    "parse_terms",
]
