"""Request and answer models of the market's insight endpoints (marketplace/insight_routes.py):
strict, so the OpenAPI document says exactly what is sent and answered."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from .intake import _uint
from .problems import Strict

HEX32 = r"^0x[0-9a-fA-F]{64}$"


def _opt(bits: int) -> AfterValidator:
    """`POST /v1/jobs`'s integers (up to 2^bits, a number or a string of digits), or null."""
    check = _uint(bits).func
    return AfterValidator(lambda value: None if value is None else check(value))


DeclineKind = Literal["price", "region", "fuel", "size", "capacity", "stake"]


class QuoteIn(BaseModel):
    """A would-be job's terms, as `POST /v1/jobs` takes them (amounts in wei, numbers or strings of
    digits); what is left out takes `ledger.new_request`'s default."""

    model_config = ConfigDict(extra="forbid", strict=True)

    program_id: Annotated[str, Field(pattern=HEX32)]
    input_digest: Annotated[str | None, Field(pattern=HEX32)] = None
    min_price: Annotated[int | str | None, _opt(96), Field(description="wei; default 1 AGR")] = None
    max_price: Annotated[int | str | None, _opt(96), Field(description="wei; default 10 AGR")] = None
    ramp: Annotated[int | None, _opt(32), Field(description="seconds; default 600")] = None
    collateral: Annotated[
        int | str | None, _opt(96), Field(description="wei; default max(50 AGR, the market's least)")
    ] = None
    redundancy: Annotated[int, Field(ge=1, le=8)] = 3
    quorum: Annotated[int | None, Field(ge=1, le=8, description="default a majority of the slots")] = None
    fuel_limit: Annotated[int | str | None, _opt(64), Field(description="default 1,000,000")] = None
    regions: Annotated[
        int | list[Annotated[str, Field(max_length=8)]] | None,
        Field(description="allowed regions: a mask (`ledger.regions_mask`) or a list of codes; default anywhere"),
    ] = None
    lock_deadline: Annotated[int | None, _opt(40), Field(description="unix seconds; default in an hour")] = None
    commit_deadline: Annotated[int | None, _opt(40), Field(description="default an hour after the lock")] = None
    reveal_deadline: Annotated[int | None, _opt(40), Field(description="default an hour after the commit")] = None


class TermsOut(Strict):
    min_price: str = Field(description="AGR")
    max_price: str = Field(description="AGR")
    ramp: int
    collateral: str = Field(description="AGR")
    redundancy: int
    quorum: int
    fuel_limit: int | str = Field(description="beyond 2^53 a decimal string")
    regions: list[str] = Field(description="allowed regions; empty: anywhere")
    lock_deadline: int
    commit_deadline: int
    reveal_deadline: int


class DeclineOut(Strict):
    kind: DeclineKind
    says: str = Field(description="the reason in words")


class QuoteWorker(Strict):
    address: str
    name: str | None
    eligible: bool
    min_price: str | None = Field(description="AGR it takes at least; null: it published none")
    lock_after: int | None = Field(description="seconds after posting until the ask reaches its minimum price")
    busy: int = Field(description="slots it holds in open jobs and has not committed yet")
    terms_published: bool
    declines: list[DeclineOut]


class ClearingPrice(Strict):
    job_id: str
    price: str = Field(description="AGR a slot of this program was locked at")
    block: int


class QuoteOut(Strict):
    summary: str
    reasons: list[str] = Field(description="why the workers that would not take it would not, in words")
    notes: list[str]
    terms: TermsOut
    now: int = Field(description="the chain's time the quote was made at")
    staked: int = Field(description="accounts that ever staked (the index's `Staked` events)")
    registered: int = Field(description="registered workers considered (stake and a verified reverse name)")
    eligible: int
    declines: dict[str, int] = Field(description="workers declining, by kind of reason (one may have several)")
    workers: list[QuoteWorker]
    seconds_to_first: int | None = Field(description="after posting, until the ask reaches one eligible minimum")
    seconds_to_quorum: int | None = Field(description="… until it reaches a quorum of them (docs/api.md)")
    seconds_to_full: int | None = Field(description="… until it reaches as many as the job has slots")
    quorum_before_lock_deadline: bool
    clearing_prices: list[ClearingPrice] = Field(description="recent lock prices of the same program, newest first")
    median_clearing_price: str | None = Field(description="AGR")


class SlashOut(Strict):
    worker: str
    name: str | None
    amount: str = Field(description="AGR")
    reason: str
    why: str = Field(description="the reason in a sentence")
    block: int
    tx_hash: str


class Figures(Strict):
    now: int | None = None
    ask: str | None = Field(default=None, description="AGR, now")
    min_price: str | None = None
    max_price: str | None = None
    ramp: int | None = None
    posted_at: int | None = None
    redundancy: int | None = None
    quorum: int | None = None
    slots_taken: int | None = None
    committed: int | None = None
    revealed: int | None = None
    lock_deadline: int | None = None
    commit_deadline: int | None = None
    reveal_deadline: int | None = None
    final_after: int | None = None
    staked: int | None = None
    registered: int | None = None
    eligible: int | None = None
    min_prices: list[str] | None = Field(default=None, description="lowest and highest, AGR, of the eligible")
    quorum_in: int | None = Field(default=None, description="seconds until the ask reaches a quorum of them")
    full_in: int | None = Field(default=None, description="seconds until it reaches as many as it has slots")


class ExplainOut(Strict):
    job_id: str
    status: str
    summary: str = Field(description="one sentence")
    reasons: list[str]
    next: str | None = Field(description="what happens next")
    next_at: int | None = Field(description="when (chain time), where a deadline decides")
    figures: Figures
    slashes: list[SlashOut]


class WorkerTermsOut(Strict):
    min_price: str | None = Field(description="AGR")
    max_fuel: int | str | None
    max_blob: int | str | None = Field(description="bytes")
    capacity: int | None
    regions: list[str] | None


class WorkerItem(Strict):
    address: str
    name: str | None = Field(description="its verified reverse name")
    registered: bool = Field(description="holds stake and has a verified reverse name")
    region: str | None = Field(description="declared with its stake")
    stake_free: str = Field(description="AGR")
    stake_locked: str = Field(description="AGR")
    stake_unbonding: str = Field(description="AGR")
    terms: WorkerTermsOut
    jobs: int = Field(description="slots it took")
    paid_jobs: int
    earned: str = Field(description="AGR")
    slashes: int
    reputation: float | None = Field(description="paid jobs ÷ (paid jobs + slashes) (docs/api.md)")
    first_staked_block: int


class WorkerPage(Strict):
    items: list[WorkerItem]
    next: str | None


class NameOut(Strict):
    name: str
    node: str
    owner: str
    address: str | None = Field(description="its address record")
    text: dict[str, str] = Field(description="its text records among the well-known keys (docs/api.md)")
    contenthash: str | None = Field(description="0x-hex (EIP-1577)")


class ProgramOut(Strict):
    program_id: str
    cid: str = Field(description="the program's store manifest CID")
    jobs: int
    last_posted_block: int
    last_clearing_price: str | None = Field(description="AGR of its latest lock")


class ProgramPage(Strict):
    items: list[ProgramOut]
    next: str | None
