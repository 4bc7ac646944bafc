"""blobs uploaded through the API, per uploader (its quota)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "uploads",
        sa.Column("uploader", sa.String(length=42), nullable=False),
        sa.Column("blob_cid", sa.String(length=100), nullable=False),
        sa.Column("manifest_cid", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("uploaded_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("uploader", "blob_cid"),
    )


def downgrade() -> None:
    op.drop_table("uploads")
