"""the outbox's reply lane: answers to people who just wrote are claimed ahead of bulk work

Revision ID: 0022_outbox_reply_lane
Revises: 0021_consultations
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022_outbox_reply_lane"
down_revision: str | None = "0021_consultations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_lane", "outbox_message", ["kind", "status", "not_before"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_lane", table_name="outbox_message")
