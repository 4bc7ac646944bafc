"""amounts as decimal text on SQLite (its NUMERIC keeps only 64-bit integers exactly)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

On PostgreSQL nothing changes (NUMERIC(78, 0) is exact). On SQLite the amount columns become
text, so a uint256 is kept digit for digit; amounts an earlier version stored there may already
be rounded: `agora index rebuild` writes them again from events.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

AMOUNTS = {
    "jobs": ("min_price", "max_price", "collateral", "escrow", "fuel_limit"),
    "slots": ("price",),
    "settlements": ("amount",),
    "intake": ("escrow",),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in AMOUNTS.items():
        with op.batch_alter_table(table, recreate="always") as batch:
            for column in columns:
                batch.alter_column(column, type_=sa.String(78), existing_type=sa.Numeric(78, 0))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in AMOUNTS.items():
        with op.batch_alter_table(table, recreate="always") as batch:
            for column in columns:
                batch.alter_column(column, type_=sa.Numeric(78, 0), existing_type=sa.String(78))
