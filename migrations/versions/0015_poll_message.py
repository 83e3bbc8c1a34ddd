"""the platform's message id of a native poll, so that closing the poll stops it there

Revision ID: 0015_poll_message
Revises: 0014_meeting_parts
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_poll_message"
down_revision: str | None = "0014_meeting_parts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.add_column(sa.Column("native_message_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.drop_column("native_message_id")
