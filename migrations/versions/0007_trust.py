"""trust: voided invitations, code guesses, link requests, button owners

Revision ID: 0005
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0005"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "code_guess",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("burst_started", models.types.UTCDateTime(), nullable=False),
        sa.Column("locked_until", models.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "external_id"),
    )
    op.create_table(
        "link_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("username", sa.String(length=128), nullable=True),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", models.types.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", models.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["decided_by"], ["person.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("link_request") as batch_op:
        batch_op.create_index(batch_op.f("ix_link_request_person_id"), ["person_id"], unique=False)
    with op.batch_alter_table("invitation") as batch_op:
        batch_op.add_column(sa.Column("voided_at", models.types.UTCDateTime(), nullable=True))
    with op.batch_alter_table("action_token") as batch_op:
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_action_token_person_id"), ["person_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_action_token_person_id_person", "person", ["person_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("action_token") as batch_op:
        batch_op.drop_constraint("fk_action_token_person_id_person", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_action_token_person_id"))
        batch_op.drop_column("person_id")
    with op.batch_alter_table("invitation") as batch_op:
        batch_op.drop_column("voided_at")
    with op.batch_alter_table("link_request") as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_request_person_id"))
    op.drop_table("link_request")
    op.drop_table("code_guess")
