"""consultations on the network's results (opinions, named, by city) and the cities' needs

Revision ID: 0021_consultations
Revises: 0020_work_plan
Create Date: 2026-12-10 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0021_consultations"
down_revision: str | None = "0020_work_plan"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consultation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("blob_id", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("audience", sa.String(length=12), nullable=False),
        sa.Column("deadline", models.types.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.Column("closed_at", models.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["blob_id"],
            ["blob.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["network.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consultation_network_id"), ["network_id"], unique=False
        )

    op.create_table(
        "need",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["city.id"],
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["network.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_need_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_need_network_id"), ["network_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_need_person_id"), ["person_id"], unique=False)

    op.create_table(
        "consultation_opinion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["city.id"],
        ),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("consultation_id", "person_id"),
    )
    with op.batch_alter_table("consultation_opinion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consultation_opinion_consultation_id"), ["consultation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_consultation_opinion_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("consultation_opinion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_opinion_person_id"))
        batch_op.drop_index(batch_op.f("ix_consultation_opinion_consultation_id"))

    op.drop_table("consultation_opinion")

    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_need_person_id"))
        batch_op.drop_index(batch_op.f("ix_need_network_id"))
        batch_op.drop_index(batch_op.f("ix_need_created_at"))

    op.drop_table("need")

    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_network_id"))

    op.drop_table("consultation")
