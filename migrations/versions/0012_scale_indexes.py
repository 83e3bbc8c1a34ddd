"""indexes for scheduled work at scale: meetings by start (the funding-review sweep on every
tick), due tasks by subject (cancelling or moving a meeting's reminders)

Revision ID: 0012_scale
Revises: 0006
Create Date: 2026-11-23 23:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_scale"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_starts_at", ["starts_at"], unique=False)
    with op.batch_alter_table("due_task", schema=None) as batch_op:
        batch_op.create_index("ix_due_task_ref", ["kind", "ref_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("due_task", schema=None) as batch_op:
        batch_op.drop_index("ix_due_task_ref")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_starts_at")
