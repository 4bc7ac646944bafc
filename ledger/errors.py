"""The ledger's exceptions: nothing from web3 or eth-tester leaves this package."""

from __future__ import annotations

from typing import Any, ClassVar

from .amounts import format_tokens


class LedgerError(Exception):
    """Root of every error the ledger package raises."""


class ChainUnavailable(LedgerError):
    """Raised when the chain cannot be reached or opened."""


class NotDeployed(LedgerError):
    """Raised when the contracts have no deployment record for the connected chain."""


class TransactionRejected(LedgerError):
    """Raised when the node refuses a transaction before running it (nonce, funds, gas, format)."""


class InsufficientFunds(TransactionRejected):
    """Raised when the sender has too little ether for a transaction's gas (and value)."""

    def __init__(self, account: str, balance: int) -> None:
        self.account, self.balance = account, balance
        super().__init__(
            f"{account} has {balance / 10**18:.6g} ETH, too little for this transaction's gas: "
            "send it some ether first (on a development chain, `agora account fund ADDRESS`)"
        )


class KeystoreError(LedgerError):
    """Raised when a key cannot be created, found, imported or decrypted."""


class NameNotFound(LedgerError):
    """Raised when a name has no owner or no record of the kind asked for."""


AGR_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "InsufficientBalance": ("balance", "needed"),
    "ERC20InsufficientBalance": ("balance", "needed"),
    "ERC20InsufficientAllowance": ("allowance", "needed"),
    "InsufficientFreeStake": ("requested", "free"),
    "StakeBelowMinimum": ("stake", "minimum"),
    "NothingToWithdraw": ("unbonding",),
    "NothingToActivate": ("maturing",),
    "CollateralTooSmall": ("collateral", "needed"),
    "InvertedPriceRange": ("minPrice", "maxPrice"),
    "BondTooSmall": ("amount", "minimum"),
}
"""Arguments of contract errors that are token amounts: shown in AGR (`to_json` keeps the wei)."""


class ContractRevert(LedgerError):
    """Raised when a contract call reverts; carries the custom error's name and decoded arguments.

    Subclasses exist for errors callers handle; ``ContractRevert.build`` picks the right one, so
    ``except NameNotAvailable`` works on every backend.
    """

    error_name: ClassVar[str] = ""
    _by_name: ClassVar[dict[str, type[ContractRevert]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.error_name:
            ContractRevert._by_name[cls.error_name] = cls

    def __init__(self, name: str, args: dict[str, Any], data: bytes = b"") -> None:
        self.name = name
        self.args_by_name = args
        self.data = data
        tokens = AGR_ARGUMENTS.get(name, ())
        rendered = ", ".join(
            f"{k}={format_tokens(v)} AGR" if k in tokens and isinstance(v, int) else f"{k}={_render(v)}"
            for k, v in args.items()
        )
        super().__init__(f"{name}({rendered})")

    @classmethod
    def build(cls, name: str, args: dict[str, Any], data: bytes = b"") -> ContractRevert:
        """The most specific subclass for ``name``."""
        return cls._by_name.get(name, ContractRevert)(name, args, data)

    def to_json(self) -> dict[str, Any]:
        """Name and arguments, JSON-ready (bytes as 0x-hex, ints as ints)."""
        return {"error": self.name, "args": {k: _render(v) for k, v in self.args_by_name.items()}}


class UndecodableAnswer(ContractRevert):
    """Raised when a call returns what its ABI cannot decode (no code there, or a contract of
    someone's choosing answering garbage): as good as a revert to whoever asked."""

    def __init__(self, detail: str) -> None:
        super().__init__("UndecodableAnswer", {"detail": detail})


def _render(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (list, tuple)):
        return [_render(v) for v in value]
    return value


class Unauthorized(ContractRevert):
    """Raised when the caller may not change a name node or its records."""

    error_name = "Unauthorized"


class NameNotAvailable(ContractRevert):
    """Raised when registering a name that is taken."""

    error_name = "NameNotAvailable"


class CommitmentTooNew(ContractRevert):
    """Raised when a registration is revealed before its commitment is old enough."""

    error_name = "CommitmentTooNew"


class CommitmentTooOld(ContractRevert):
    """Raised when a registration is revealed after its commitment expired."""

    error_name = "CommitmentTooOld"


class FaucetDisabled(ContractRevert):
    """Raised when the faucet is used on a chain that is not a development chain."""

    error_name = "FaucetDisabled"


class InsufficientBalance(ContractRevert):
    """Raised when a token transfer exceeds the sender's balance."""

    error_name = "ERC20InsufficientBalance"


class JobNotOpen(ContractRevert):
    """Raised when a job is not open (settled, expired, unresolved or unknown)."""

    error_name = "JobNotOpen"


class LockClosed(ContractRevert):
    """Raised when locking a job after its lock deadline."""

    error_name = "LockClosed"


class JobFull(ContractRevert):
    """Raised when every slot of a job is taken."""

    error_name = "JobFull"


class WorkerAlreadyLocked(ContractRevert):
    """Raised when a worker tries to take a second slot of the same job."""

    error_name = "WorkerAlreadyLocked"


class NotSlotWorker(ContractRevert):
    """Raised when the caller does not hold the slot it names (another's, or its own since moved)."""

    error_name = "NotSlotWorker"


class AlreadyReleased(ContractRevert):
    """Raised when a worker that gave a job's slot back tries to lock that job again."""

    error_name = "AlreadyReleased"


class NotReleasable(ContractRevert):
    """Raised when a slot can no longer be given back (committed, its window or the lock
    deadline passed, or the job's audit seed is known)."""

    error_name = "NotReleasable"


class NonceUsed(ContractRevert):
    """Raised when a job request's nonce was used before (a replay)."""

    error_name = "NonceUsed"


class InvalidSignature(ContractRevert):
    """Raised when a job request is not signed by its requester (or for another chain or market)."""

    error_name = "InvalidSignature"


class StakeBelowMinimum(ContractRevert):
    """Raised when a worker without the minimum stake tries to lock a job."""

    error_name = "StakeBelowMinimum"


class RegionNotAllowed(ContractRevert):
    """Raised when a worker's declared region is not among the job's allowed regions."""

    error_name = "RegionNotAllowed"


class AlreadyCommitted(ContractRevert):
    """Raised when a slot commits a second time (a commitment sent before a crash is on chain)."""

    error_name = "AlreadyCommitted"


class AlreadyRevealed(ContractRevert):
    """Raised when a slot reveals a second time."""

    error_name = "AlreadyRevealed"


class RevealNotOpen(ContractRevert):
    """Raised when revealing before every slot committed and before the commit deadline."""

    error_name = "RevealNotOpen"


class NotSettleable(ContractRevert):
    """Raised when settling before every slot revealed and before the reveal deadline."""

    error_name = "NotSettleable"


class NotFinalizable(ContractRevert):
    """Raised when finalizing a job that is not provisional, or before its challenge window passed."""

    error_name = "NotFinalizable"


class NotDisputable(ContractRevert):
    """Raised when disputing a job that is not provisional, or after its challenge window."""

    error_name = "NotDisputable"


class CollateralTooSmall(ContractRevert):
    """Raised when a redundant request's collateral cannot pay the first drawn round's seats."""

    error_name = "CollateralTooSmall"


class WrongPhase(ContractRevert):
    """Raised when a court case is not in the phase a call needs (already drawn, counted, final)."""

    error_name = "WrongPhase"


class SeedNotReady(ContractRevert):
    """Raised when drawing a round before its seed block is mined."""

    error_name = "SeedNotReady"


class NotAuditable(ContractRevert):
    """Raised when a job's audit is not waiting to be scheduled or decided (none, or decided)."""

    error_name = "NotAuditable"


class AuditClosed(ContractRevert):
    """Raised when an audit could no longer be drawn in time (it lapsed; its fee is refunded)."""

    error_name = "AuditClosed"


class LockingOpen(ContractRevert):
    """Raised when scheduling an audit while slots may still be taken."""

    error_name = "LockingOpen"


class NotYet(ContractRevert):
    """Raised when counting a round's votes, or making a ruling final, before its time."""

    error_name = "NotYet"


class VoteAlreadyCast(ContractRevert):
    """Raised when a juror commits or reveals twice in one round."""

    error_name = "VoteAlreadyCast"


class NothingToClaim(ContractRevert):
    """Raised when an account has no winning (or refundable) bond in a case."""

    error_name = "NothingToClaim"
