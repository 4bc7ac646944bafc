"""Chain access: the embedded persistent EVM and its JSON-RPC server, any other node by URL,
contract deployment, typed clients for the token and names, accounts and keystores.

The bottom layer: imports nothing of ours. No web3 or eth-tester exception leaves it; contract
reverts surface as `ContractRevert` (name and decoded arguments) on every backend.
"""

from ._connect import ChainHandle, open_chain
from ._embedded import CHAIN_ID, DEV_MNEMONIC, ChainInUse, EmbeddedChain
from ._tx import Transactor, mapped_errors
from .accounts import DEV_CHAIN_IDS, Keystore, dev_account
from .amounts import format_tokens, parse_tokens
from .artifacts import artifact, decode_revert, error_table, manifest
from .clients import Names, Token
from .clock import ChainClock
from .deploy import Deployment, deploy, is_current, load_deployment
from .errors import (
    AlreadyCommitted,
    AlreadyRevealed,
    ChainUnavailable,
    CommitmentTooNew,
    CommitmentTooOld,
    ContractRevert,
    FaucetDisabled,
    InsufficientBalance,
    InvalidSignature,
    JobFull,
    JobNotOpen,
    KeystoreError,
    LedgerError,
    LockClosed,
    NameNotAvailable,
    NameNotFound,
    NonceUsed,
    NotDeployed,
    NotFinalizable,
    NotSettleable,
    RegionNotAllowed,
    RevealNotOpen,
    StakeBelowMinimum,
    TransactionRejected,
    Unauthorized,
    WorkerAlreadyLocked,
)
from .feed import JobFeed, MarketEvent, run_until
from .logs import LOG_PAGE, fetch_logs
from .market import Job, JobMarket, JobRequest, JobStatus, Mode, SlashReason, Slot, StakeManager, commitment
from .names import labelhash, namehash, reverse_name, split_agora_name
from .provider import EmbeddedProvider, connect
from .regions import REGIONS, region_code, region_index, regions_in, regions_mask
from .rpc import Dispatcher, RPCError
from .server import RPCApp, serve
from .settings import LedgerSettings, get_settings

__all__ = [
    "ChainClock",
    "run_until",
    "JobFeed",
    "MarketEvent",
    "NotFinalizable",
    "NotSettleable",
    "RevealNotOpen",
    "AlreadyRevealed",
    "AlreadyCommitted",
    "RegionNotAllowed",
    "LOG_PAGE",
    "fetch_logs",
    "CHAIN_ID",
    "DEV_CHAIN_IDS",
    "DEV_MNEMONIC",
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
    "SlashReason",
    "Slot",
    "StakeBelowMinimum",
    "StakeManager",
    "WorkerAlreadyLocked",
    "commitment",
    "CommitmentTooNew",
    "CommitmentTooOld",
    "ContractRevert",
    "Deployment",
    "Dispatcher",
    "EmbeddedChain",
    "EmbeddedProvider",
    "FaucetDisabled",
    "InsufficientBalance",
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
    "decode_revert",
    "deploy",
    "dev_account",
    "error_table",
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
]
