"""the first tables: events, jobs, slots, settlements, the cursor

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blocks",
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_table(
        "cursor",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("job_id", sa.String(length=66), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("block", "log_index"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_job", ["job_id", "block", "log_index"], unique=False)

    op.create_table(
        "jobs",
        sa.Column("job_id", sa.String(length=66), nullable=False),
        sa.Column("requester", sa.String(length=42), nullable=False),
        sa.Column("program_id", sa.String(length=66), nullable=False),
        sa.Column("input_digest", sa.String(length=66), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("redundancy", sa.Integer(), nullable=False),
        sa.Column("quorum", sa.Integer(), nullable=False),
        sa.Column("min_price", sa.Numeric(precision=78, scale=0), nullable=False),
        sa.Column("max_price", sa.Numeric(precision=78, scale=0), nullable=False),
        sa.Column("collateral", sa.Numeric(precision=78, scale=0), nullable=False),
        sa.Column("escrow", sa.Numeric(precision=78, scale=0), nullable=False),
        sa.Column("regions", sa.BigInteger(), nullable=False),
        sa.Column("fuel_limit", sa.Numeric(precision=78, scale=0), nullable=False),
        sa.Column("lock_deadline", sa.BigInteger(), nullable=False),
        sa.Column("commit_deadline", sa.BigInteger(), nullable=False),
        sa.Column("reveal_deadline", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("result_digest", sa.String(length=66), nullable=True),
        sa.Column("posted_block", sa.BigInteger(), nullable=False),
        sa.Column("posted_tx", sa.String(length=66), nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("job_id"),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_program", ["program_id", "posted_block"], unique=False)
        batch_op.create_index("ix_jobs_requester", ["requester", "posted_block"], unique=False)
        batch_op.create_index("ix_jobs_status", ["status", "posted_block"], unique=False)

    op.create_table(
        "settlements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(length=66), nullable=False),
        sa.Column("account", sa.String(length=42), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=78, scale=0), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.job_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.create_index("ix_settlements_account", ["account", "block"], unique=False)
        batch_op.create_index("ix_settlements_job", ["job_id"], unique=False)

    op.create_table(
        "slots",
        sa.Column("job_id", sa.String(length=66), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=42), nullable=False),
        sa.Column("price", sa.Numeric(precision=78, scale=0), nullable=False),
        sa.Column("auditor", sa.Boolean(), nullable=False),
        sa.Column("committed", sa.Boolean(), nullable=False),
        sa.Column("digest", sa.String(length=66), nullable=True),
        sa.Column("result_cid", sa.String(length=66), nullable=True),
        sa.Column("locked_block", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.job_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id", "slot"),
    )
    with op.batch_alter_table("slots", schema=None) as batch_op:
        batch_op.create_index("ix_slots_worker", ["worker"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("slots", schema=None) as batch_op:
        batch_op.drop_index("ix_slots_worker")

    op.drop_table("slots")
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.drop_index("ix_settlements_job")
        batch_op.drop_index("ix_settlements_account")

    op.drop_table("settlements")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_status")
        batch_op.drop_index("ix_jobs_requester")
        batch_op.drop_index("ix_jobs_program")

    op.drop_table("jobs")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_job")

    op.drop_table("events")
    op.drop_table("cursor")
    op.drop_table("blocks")
