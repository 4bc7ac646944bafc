"""The marketplace's database: chain events as they were indexed, and what they say of jobs.

`events` holds every job event of the market and the court, one row per log, in chain order; it
is the only table written from the chain. `jobs`, `slots` and `settlements` are projections of
it (marketplace/indexer.py), rebuilt from it for any job a chain reorganisation touched; the
chain stays the source of truth (`agora index rebuild` yields the same rows from events alone).
Token amounts are exact integers of wei (`NUMERIC(78)`: any uint256), hashes and addresses text.
The schema is Alembic's (marketplace/migrations); a change to these models comes with a revision.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine


class Wei(TypeDecorator[Decimal]):
    """Wei: any uint256, exactly. NUMERIC(78, 0) on PostgreSQL; decimal text on SQLite, whose
    NUMERIC keeps only 64-bit integers exactly (beyond, a float) and whose driver binds a
    Decimal as a float (1.001666666666666666 AGR came back …624). Sum amounts in Python, not in
    SQL: SQLite would add them as floats."""

    impl = Numeric(78, 0)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(String(78) if dialect.name == "sqlite" else Numeric(78, 0))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        exact = int(value)
        return str(exact) if dialect.name == "sqlite" else Decimal(exact)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:  # noqa: ARG002 - the API's
        return None if value is None else Decimal(value)


Amount = Wei()
"""Wei: any uint256, exactly."""


class Base(DeclarativeBase):
    pass


class Cursor(Base):
    """How far the indexer got: the last block whose events are all in `events`, and its hash
    (a different hash at that height later means the chain reorganised under it)."""

    __tablename__ = "cursor"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    block: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(66))


class BlockSeen(Base):
    """The hash of every block the indexer took events from (and of each batch's last block):
    where a reorganisation forked is the highest of these the chain still agrees with."""

    __tablename__ = "blocks"

    number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[str] = mapped_column(String(66))


class EventRow(Base):
    """One job event, as decoded from its log (`ledger.events`); or a worker's `Staked`, whose
    `job_id` is empty (marketplace/indexer.py `NO_JOB`)."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("block", "log_index"), Index("ix_events_job", "job_id", "block", "log_index"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    block: Mapped[int] = mapped_column(BigInteger)
    log_index: Mapped[int] = mapped_column(Integer)
    tx_hash: Mapped[str] = mapped_column(String(66))
    contract: Mapped[str] = mapped_column(String(42))
    name: Mapped[str] = mapped_column(String(64))
    job_id: Mapped[str] = mapped_column(String(66))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class JobRow(Base):
    """A job as its events describe it."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_requester", "requester", "posted_block"),
        Index("ix_jobs_status", "status", "posted_block"),
        Index("ix_jobs_program", "program_id", "posted_block"),
    )

    job_id: Mapped[str] = mapped_column(String(66), primary_key=True)
    requester: Mapped[str] = mapped_column(String(42))
    program_id: Mapped[str] = mapped_column(String(66))
    input_digest: Mapped[str] = mapped_column(String(66))
    mode: Mapped[str] = mapped_column(String(16))
    redundancy: Mapped[int] = mapped_column(Integer)
    quorum: Mapped[int] = mapped_column(Integer)
    min_price: Mapped[Decimal] = mapped_column(Amount)
    max_price: Mapped[Decimal] = mapped_column(Amount)
    collateral: Mapped[Decimal] = mapped_column(Amount)
    escrow: Mapped[Decimal] = mapped_column(Amount)
    regions: Mapped[int] = mapped_column(BigInteger)
    fuel_limit: Mapped[Decimal] = mapped_column(Amount)
    lock_deadline: Mapped[int] = mapped_column(BigInteger)
    commit_deadline: Mapped[int] = mapped_column(BigInteger)
    reveal_deadline: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    result_digest: Mapped[str | None] = mapped_column(String(66), nullable=True)
    posted_block: Mapped[int] = mapped_column(BigInteger)
    posted_tx: Mapped[str] = mapped_column(String(66))
    updated_block: Mapped[int] = mapped_column(BigInteger)


class SlotRow(Base):
    """A slot of a job: who took it at what price, and what it revealed."""

    __tablename__ = "slots"
    __table_args__ = (Index("ix_slots_worker", "worker"),)

    job_id: Mapped[str] = mapped_column(String(66), ForeignKey("jobs.job_id", ondelete="CASCADE"), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True)
    worker: Mapped[str] = mapped_column(String(42))
    price: Mapped[Decimal] = mapped_column(Amount)
    auditor: Mapped[bool] = mapped_column(default=False)
    committed: Mapped[bool] = mapped_column(default=False)
    digest: Mapped[str | None] = mapped_column(String(66), nullable=True)
    result_cid: Mapped[str | None] = mapped_column(String(66), nullable=True)
    locked_block: Mapped[int] = mapped_column(BigInteger)


class SettlementRow(Base):
    """Money a job moved: a worker paid or slashed, the requester refunded, a court claim paid."""

    __tablename__ = "settlements"
    __table_args__ = (Index("ix_settlements_account", "account", "block"), Index("ix_settlements_job", "job_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(String(66), ForeignKey("jobs.job_id", ondelete="CASCADE"))
    account: Mapped[str] = mapped_column(String(42))
    kind: Mapped[str] = mapped_column(String(16))  # paid, slashed, refunded, claim, juror
    amount: Mapped[Decimal] = mapped_column(Amount)
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    block: Mapped[int] = mapped_column(BigInteger)
    log_index: Mapped[int] = mapped_column(Integer)
    tx_hash: Mapped[str] = mapped_column(String(66))


class IntakeRow(Base):
    """A signed request the API acknowledged (`202`), durable before the answer, until the relayer
    has posted it (or the chain refused it)."""

    __tablename__ = "intake"
    __table_args__ = (UniqueConstraint("requester", "nonce"), Index("ix_intake_status", "status", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(String(66), unique=True)
    requester: Mapped[str] = mapped_column(String(42))
    nonce: Mapped[str] = mapped_column(String(78))  # a uint256, as decimal text
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    signature: Mapped[str] = mapped_column(String(132))
    escrow: Mapped[Decimal] = mapped_column(Amount)
    status: Mapped[str] = mapped_column(String(16))  # accepted, posted, failed
    accepted_at: Mapped[float] = mapped_column()
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class UploadRow(Base):
    """A blob an uploader stored through the API: what its quota counts (once per blob)."""

    __tablename__ = "uploads"

    uploader: Mapped[str] = mapped_column(String(42), primary_key=True)
    blob_cid: Mapped[str] = mapped_column(String(100), primary_key=True)
    manifest_cid: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    uploaded_at: Mapped[float] = mapped_column()
