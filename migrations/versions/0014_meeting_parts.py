"""a meeting's programme: parts from–to, open or closed, with an open part's stream link

Revision ID: 0014_meeting_parts
Revises: 0013_teams_inbox
Create Date: 2026-12-04 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0014_meeting_parts"
down_revision: str | None = "0013_teams_inbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting_part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("starts_at", models.types.UTCDateTime(), nullable=False),
        sa.Column("ends_at", models.types.UTCDateTime(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("stream_link", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("meeting_part", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_part_meeting_id"), ["meeting_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("meeting_part", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_part_meeting_id"))
    op.drop_table("meeting_part")
