"""roster history (role start/end) and join requests

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 19:47:36.365983
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types


revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "join_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("username", sa.String(length=128), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=True),
        sa.Column("city_name", sa.String(length=120), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("position", sa.String(length=200), nullable=True),
        sa.Column("office", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("networks", sa.JSON(), nullable=False),
        sa.Column("decisions", sa.JSON(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.Column("submitted_at", models.types.UTCDateTime(), nullable=True),
        sa.Column("expires_at", models.types.UTCDateTime(), nullable=True),
        sa.Column("decided_at", models.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("join_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_join_request_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_join_request_status"), ["status"], unique=False)
        batch_op.create_index(
            "uq_join_request_open_account",
            ["platform", "external_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('draft', 'open')"),
            postgresql_where=sa.text("status IN ('draft', 'open')"),
        )

    with op.batch_alter_table("network_role", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_at", models.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("ended_at", models.types.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_network_role_ended_at"), ["ended_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("network_role", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_role_ended_at"))
        batch_op.drop_column("ended_at")
        batch_op.drop_column("started_at")

    with op.batch_alter_table("join_request", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_join_request_open_account",
            sqlite_where=sa.text("status IN ('draft', 'open')"),
            postgresql_where=sa.text("status IN ('draft', 'open')"),
        )
        batch_op.drop_index(batch_op.f("ix_join_request_status"))
        batch_op.drop_index(batch_op.f("ix_join_request_person_id"))

    op.drop_table("join_request")
