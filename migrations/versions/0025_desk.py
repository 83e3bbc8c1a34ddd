"""the staff desk: one-time sign-in links and server-side browser sessions

Revision ID: 0025_desk
Revises: 0024_report_forms
Create Date: 2026-12-04 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0025_desk"
down_revision: str | None = "0024_report_forms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("desk_login", "desk_session"):
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("token_hash", sa.String(length=64), nullable=False),
            sa.Column("person_id", sa.Integer(), nullable=False),
            sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
            sa.Column("expires_at", models.types.UTCDateTime(), nullable=False),
            sa.Column(
                "used_at" if table == "desk_login" else "ended_at",
                models.types.UTCDateTime(),
                nullable=True,
            ),
            sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("token_hash"),
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    for table in ("desk_session", "desk_login"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_person_id"))
        op.drop_table(table)
