"""a person's function as the office's roster sheet writes it ("Funkcja"), kept on export

Revision ID: 0016_office_title
Revises: 0015_poll_message
Create Date: 2026-12-04 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_office_title"
down_revision: str | None = "0015_poll_message"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("office_title", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("office_title")
