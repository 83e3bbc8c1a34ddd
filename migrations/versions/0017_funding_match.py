"""funding_match: what fits each network, kept current, so a digest reads instead of classifying

Revision ID: 0017_funding_match
Revises: 0016_office_title
Create Date: 2026-12-04 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_funding_match"
down_revision: str | None = "0016_office_title"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # matched_at stays NULL on existing profiles: the first digest or list classifies them once
    with op.batch_alter_table("funding_profile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("matched_at", sa.DateTime(), nullable=True))
    op.create_table(
        "funding_match",
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("programme", sa.String(length=120), nullable=True),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["funding_call.id"]),
        sa.ForeignKeyConstraint(["network_id"], ["network.id"]),
        sa.PrimaryKeyConstraint("network_id", "call_id"),
    )
    with op.batch_alter_table("funding_match", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_funding_match_call_id"), ["call_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("funding_match", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_funding_match_call_id"))
    op.drop_table("funding_match")
    with op.batch_alter_table("funding_profile", schema=None) as batch_op:
        batch_op.drop_column("matched_at")
