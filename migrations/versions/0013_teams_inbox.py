"""teams: the inbox of change notifications (stored before Graph is answered) and each
person's 1:1 chat

Revision ID: 0013_teams_inbox
Revises: 0012_scale
Create Date: 2026-12-04 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0013_teams_inbox"
down_revision: str | None = "0012_scale"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "teams_inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=True),
        sa.Column("lane", sa.String(length=300), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", models.types.UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("received_at", models.types.UTCDateTime(), nullable=False),
        sa.Column("done_at", models.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("teams_inbox", schema=None) as batch_op:
        batch_op.create_index("ix_teams_inbox_lane", ["status", "lane", "id"], unique=False)
    op.create_table(
        "teams_private_chat",
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("chat_id", sa.String(length=300), nullable=False),
        sa.Column("learned_at", models.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
        sa.UniqueConstraint("chat_id"),
    )


def downgrade() -> None:
    op.drop_table("teams_private_chat")
    with op.batch_alter_table("teams_inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_teams_inbox_lane")
    op.drop_table("teams_inbox")
