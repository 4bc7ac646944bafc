"""State an audit rebuilds from events as it replays them in chain order: the protocol's parameters
as they were at each moment, and every worker's stake (free, locked, unbonding), mirroring
`StakeManager` line by line."""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger import events as ev

from ._audit_report import AuditReport

BPS = 10_000


@dataclass
class Params:
    """The owner-set parameters, as the events that set them say (constructors emit them too)."""

    market: str
    stakes: str
    court: str
    burn_bps: int = 0
    audit_bps: int = 0
    market_court: str | None = None  # the court the market sends disputes to, once set
    challenge_window: int = 0
    vote_window: int = 0
    min_seat_fee: int = 0
    seat_collateral: int = 0
    min_stake: int = 0

    def apply(self, event: ev.Event) -> None:
        if isinstance(event, ev.BurnShareChanged):
            self.burn_bps = event.new_bps
        elif isinstance(event, ev.AuditRateChanged):
            self.audit_bps = event.new_bps
        elif isinstance(event, ev.CourtSet) and event.address == self.market:
            self.market_court = event.court
        elif isinstance(event, ev.ChallengeWindowChanged):
            self.challenge_window = event.new_window
        elif isinstance(event, ev.VoteWindowChanged):
            self.vote_window = event.new_window
        elif isinstance(event, ev.SeatTermsChanged):
            self.min_seat_fee, self.seat_collateral = event.min_seat_fee, event.seat_collateral
        elif isinstance(event, ev.MinStakeChanged):
            self.min_stake = event.new_minimum

    def burned(self, amount: int) -> int:
        """The part of a slash of ``amount`` that is burned."""
        return amount * self.burn_bps // BPS


@dataclass
class Stake:
    free: int = 0
    locked: int = 0
    unbonding: int = 0

    @property
    def total(self) -> int:
        return self.free + self.locked + self.unbonding


STAKE_EVENTS = (
    ev.Staked,
    ev.UnstakeRequested,
    ev.StakeManagerWithdrawn,
    ev.CollateralLocked,
    ev.CollateralReleased,
    ev.Slashed,
)


@dataclass
class StakeBook:
    """Every account's stake rebuilt from `StakeManager`'s events; a move the contract could not
    have made (more released than locked, say) is a finding in ``report``."""

    report: AuditReport
    accounts: dict[str, Stake] = field(default_factory=dict)
    total_staked: int = 0

    def of(self, account: str) -> Stake:
        return self.accounts.setdefault(account, Stake())

    def apply(self, event: ev.Event) -> None:
        if not isinstance(event, STAKE_EVENTS):
            return
        a = self.of(event.worker)
        before = (a.free, a.locked, a.unbonding)
        if isinstance(event, ev.Staked):
            a.free += event.amount
            self.total_staked += event.amount
        elif isinstance(event, ev.UnstakeRequested):
            a.free -= event.amount
            a.unbonding += event.amount
        elif isinstance(event, ev.StakeManagerWithdrawn):
            self._check(event.amount == a.unbonding, event, f"withdrew {event.amount}, unbonding {a.unbonding}")
            a.unbonding -= event.amount
            self.total_staked -= event.amount
        elif isinstance(event, ev.CollateralLocked):
            a.free -= event.amount
            a.locked += event.amount
        elif isinstance(event, ev.CollateralReleased):
            a.locked -= event.amount
            a.free += event.amount
        else:
            self._slash(a, event)  # type: ignore[arg-type]
        if min(a.free, a.locked, a.unbonding) < 0:
            self._check(False, event, f"leaves {event.worker} with negative stake {a} (was {before})")

    def _slash(self, a: Stake, event: ev.Slashed) -> None:
        # Locked collateral first, then free stake, then stake still unbonding (StakeManager.slash).
        left = event.amount
        for part in ("locked", "free", "unbonding"):
            take = min(left, getattr(a, part))
            setattr(a, part, getattr(a, part) - take)
            left -= take
        self._check(left == 0, event, f"takes {event.amount} from {event.worker}, who held less")
        self.total_staked -= event.amount

    def _check(self, condition: bool, event: ev.Event, message: str) -> None:
        job_id = getattr(event, "job_id", None)
        self.report.expect(
            condition, "stake", f"{event.NAME} {message}", job_id=job_id, block=event.block, tx_hash=event.tx_hash
        )
