"""join requests: one summary per network at most every few minutes instead of a message per
request (what its coordinators have not been told yet, and when the last summary went)

Revision ID: 0018_join_digest
Revises: 0017_funding_match
Create Date: 2026-12-05 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0018_join_digest"
down_revision: str | None = "0017_funding_match"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "join_digest",
        sa.Column("network_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sent_at", models.types.UTCDateTime(), nullable=True),
        sa.Column("fresh", sa.JSON(), nullable=False),
        sa.Column("lapsing", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["network.id"]),
        sa.PrimaryKeyConstraint("network_id"),
    )


def downgrade() -> None:
    op.drop_table("join_digest")
