"""the meeting's note and materials (files stored once, links, the note), kept per network

Revision ID: 0023_materials
Revises: 0022_outbox_reply_lane
Create Date: 2026-12-04 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0023_materials"
down_revision: str | None = "0022_outbox_reply_lane"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "material",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("blob_id", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("open_part", sa.Boolean(), nullable=False),
        sa.Column("sent_to", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["blob_id"], ["blob.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["person.id"]),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.ForeignKeyConstraint(["network_id"], ["network.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("material", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_material_network_id"), ["network_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_material_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_material_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("material", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_material_created_at"))
        batch_op.drop_index(batch_op.f("ix_material_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_material_network_id"))
    op.drop_table("material")
