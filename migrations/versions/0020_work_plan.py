"""the network's work plan: goals, the planned calendar of meetings, actions with an owner, a
due date and a status (and each status line), the contract's versions and each city's
acknowledgement

Revision ID: 0020_work_plan
Revises: 0019_poll_counts
Create Date: 2026-12-10 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0020_work_plan"
down_revision: str | None = "0019_poll_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contract",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=True),
        sa.Column("set_at", models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["network.id"],
        ),
        sa.ForeignKeyConstraint(
            ["set_by"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("network_id", "version"),
    )
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_network_id"), ["network_id"], unique=False)

    op.create_table(
        "contract_ack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("at", models.types.UTCDateTime(), nullable=False),
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
        sa.UniqueConstraint("network_id", "city_id", "version"),
    )
    with op.batch_alter_table("contract_ack", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_ack_network_id"), ["network_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_contract_ack_person_id"), ["person_id"], unique=False)

    op.create_table(
        "plan_goal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.Column("removed_at", models.types.UTCDateTime(), nullable=True),
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
    with op.batch_alter_table("plan_goal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_goal_network_id"), ["network_id"], unique=False)

    op.create_table(
        "plan_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("owner_city_id", sa.Integer(), nullable=True),
        sa.Column("owner_person_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("status_at", models.types.UTCDateTime(), nullable=True),
        sa.Column("done_at", models.types.UTCDateTime(), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["network.id"],
        ),
        sa.ForeignKeyConstraint(
            ["owner_city_id"],
            ["city.id"],
        ),
        sa.ForeignKeyConstraint(
            ["owner_person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("plan_action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_action_network_id"), ["network_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_plan_action_owner_person_id"), ["owner_person_id"], unique=False
        )

    op.create_table(
        "plan_meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.Column("removed_at", models.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["network.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("plan_meeting", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_meeting_meeting_id"), ["meeting_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_plan_meeting_network_id"), ["network_id"], unique=False
        )

    op.create_table(
        "plan_action_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("at", models.types.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["plan_action.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("plan_action_update", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_action_update_action_id"), ["action_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_plan_action_update_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("plan_action_update", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_action_update_person_id"))
        batch_op.drop_index(batch_op.f("ix_plan_action_update_action_id"))

    op.drop_table("plan_action_update")

    with op.batch_alter_table("plan_meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_meeting_network_id"))
        batch_op.drop_index(batch_op.f("ix_plan_meeting_meeting_id"))

    op.drop_table("plan_meeting")

    with op.batch_alter_table("plan_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_action_owner_person_id"))
        batch_op.drop_index(batch_op.f("ix_plan_action_network_id"))

    op.drop_table("plan_action")

    with op.batch_alter_table("plan_goal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_goal_network_id"))

    op.drop_table("plan_goal")

    with op.batch_alter_table("contract_ack", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_ack_person_id"))
        batch_op.drop_index(batch_op.f("ix_contract_ack_network_id"))

    op.drop_table("contract_ack")

    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_network_id"))

    op.drop_table("contract")
