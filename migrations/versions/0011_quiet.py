"""outbox parts and live (editable) messages; per-chat order index

Revision ID: 0006
Revises: 0009
Create Date: 2026-11-23 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("parts_done", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("sent_ids", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column("live_key", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_outbox_chat", ["platform", "chat_id", "status", "id"], unique=False
        )
        batch_op.create_index("ix_outbox_live", ["platform", "chat_id", "live_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_live")
        batch_op.drop_index("ix_outbox_chat")
        batch_op.drop_column("live_key")
        batch_op.drop_column("sent_ids")
        batch_op.drop_column("parts_done")
