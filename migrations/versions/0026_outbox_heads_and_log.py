"""the outbox: chats' heads for an O(batch) claim; files stored once; the delivery log

Revision ID: 0026_outbox_heads_and_log
Revises: 0025_desk
Create Date: 2026-12-04 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

import models.types
from alembic import op

revision: str = "0026_outbox_heads_and_log"
down_revision: str | None = "0025_desk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The triggers as models.outbox.HEAD_DDL had them at this revision.
SQLITE_NEXT = """
    UPDATE outbox_message SET head = 1
    WHERE id = (SELECT min(id) FROM outbox_message
                WHERE platform = OLD.platform AND chat_id = OLD.chat_id AND status = 'pending')
      AND head = 0;
"""
TRIGGERS: dict[str, tuple[str, ...]] = {
    "sqlite": (
        """CREATE TRIGGER outbox_head_queued AFTER INSERT ON outbox_message
        WHEN NEW.status = 'pending' AND EXISTS (
            SELECT 1 FROM outbox_message o WHERE o.platform = NEW.platform
            AND o.chat_id = NEW.chat_id AND o.status = 'pending' AND o.id < NEW.id)
        BEGIN UPDATE outbox_message SET head = 0 WHERE id = NEW.id; END""",
        f"""CREATE TRIGGER outbox_head_done AFTER UPDATE OF status ON outbox_message
        WHEN OLD.status = 'pending' AND NEW.status <> 'pending' AND OLD.head
        BEGIN {SQLITE_NEXT} END""",
        """CREATE TRIGGER outbox_head_again AFTER UPDATE OF status ON outbox_message
        WHEN OLD.status <> 'pending' AND NEW.status = 'pending' AND NOT NEW.head
        BEGIN UPDATE outbox_message SET head = 1 WHERE id = NEW.id; END""",
        f"""CREATE TRIGGER outbox_head_moved AFTER UPDATE OF platform, chat_id ON outbox_message
        WHEN OLD.status = 'pending' AND OLD.head
        BEGIN {SQLITE_NEXT} END""",
        f"""CREATE TRIGGER outbox_head_deleted AFTER DELETE ON outbox_message
        WHEN OLD.status = 'pending' AND OLD.head
        BEGIN {SQLITE_NEXT} END""",
    ),
    "postgresql": (
        """CREATE OR REPLACE FUNCTION outbox_head_queued() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.status = 'pending' THEN
                PERFORM 1 FROM outbox_message o
                WHERE o.platform = NEW.platform AND o.chat_id = NEW.chat_id
                  AND o.status = 'pending' AND o.id < NEW.id
                ORDER BY o.id LIMIT 1 FOR SHARE SKIP LOCKED;
                NEW.head := NOT FOUND;
            END IF;
            RETURN NEW;
        END $$""",
        """CREATE OR REPLACE FUNCTION outbox_head_next() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            next_id bigint;
        BEGIN
            LOOP
                SELECT min(id) INTO next_id FROM outbox_message
                WHERE platform = OLD.platform AND chat_id = OLD.chat_id AND status = 'pending';
                EXIT WHEN next_id IS NULL;
                UPDATE outbox_message SET head = true
                WHERE id = next_id AND status = 'pending';
                EXIT WHEN FOUND;
            END LOOP;
            RETURN NULL;
        END $$""",
        """CREATE TRIGGER outbox_head_queued BEFORE INSERT ON outbox_message
        FOR EACH ROW EXECUTE FUNCTION outbox_head_queued()""",
        """CREATE TRIGGER outbox_head_again BEFORE UPDATE OF status ON outbox_message
        FOR EACH ROW WHEN (OLD.status <> 'pending' AND NEW.status = 'pending')
        EXECUTE FUNCTION outbox_head_queued()""",
        """CREATE TRIGGER outbox_head_done AFTER UPDATE OF status ON outbox_message
        FOR EACH ROW WHEN (OLD.status = 'pending' AND NEW.status <> 'pending' AND OLD.head)
        EXECUTE FUNCTION outbox_head_next()""",
        """CREATE TRIGGER outbox_head_moved AFTER UPDATE OF platform, chat_id ON outbox_message
        FOR EACH ROW WHEN (OLD.status = 'pending' AND OLD.head)
        EXECUTE FUNCTION outbox_head_next()""",
        """CREATE TRIGGER outbox_head_deleted AFTER DELETE ON outbox_message
        FOR EACH ROW WHEN (OLD.status = 'pending' AND OLD.head)
        EXECUTE FUNCTION outbox_head_next()""",
    ),
}
NAMES = ("queued", "done", "again", "moved", "deleted")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("head", sa.Boolean(), nullable=False, server_default=sa.true()))
    # only each chat's oldest pending row is its head
    op.execute(
        """UPDATE outbox_message SET head = (id IN (
            SELECT min(id) FROM outbox_message WHERE status = 'pending'
            GROUP BY platform, chat_id))"""
    )
    op.create_index(
        "ix_outbox_head",
        "outbox_message",
        ["not_before", "id"],
        unique=False,
        sqlite_where=sa.text("status = 'pending' AND head = 1"),
        postgresql_where=sa.text("status = 'pending' AND head"),
    )
    for statement in TRIGGERS.get(dialect, ()):
        op.execute(statement)
    if dialect == "postgresql":  # leases and marks rewrite their row in place (HOT updates)
        op.execute("ALTER TABLE outbox_message SET (fillfactor = 80)")
    with op.batch_alter_table("blob") as batch:
        batch.add_column(sa.Column("digest", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("used_at", models.types.UTCDateTime(), nullable=True))
        batch.create_unique_constraint("uq_blob_digest", ["digest"])
    op.create_table(
        "outbox_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.Column("announcement_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("dedupe_key", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", models.types.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["announcement_id"], ["announcement.id"]),
        sa.ForeignKeyConstraint(["network_id"], ["network.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    op.create_index("ix_outbox_delivery_announcement_id", "outbox_delivery", ["announcement_id"])
    op.create_index("ix_outbox_delivery_person_id", "outbox_delivery", ["person_id"])


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index("ix_outbox_delivery_person_id", table_name="outbox_delivery")
    op.drop_index("ix_outbox_delivery_announcement_id", table_name="outbox_delivery")
    op.drop_table("outbox_delivery")
    with op.batch_alter_table("blob") as batch:
        batch.drop_constraint("uq_blob_digest", type_="unique")
        batch.drop_column("used_at")
        batch.drop_column("digest")
    for name in NAMES:
        on = " ON outbox_message" if dialect == "postgresql" else ""
        op.execute(f"DROP TRIGGER IF EXISTS outbox_head_{name}{on}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS outbox_head_queued()")
        op.execute("DROP FUNCTION IF EXISTS outbox_head_next()")
    if dialect == "postgresql":
        op.execute("ALTER TABLE outbox_message RESET (fillfactor)")
    op.drop_index("ix_outbox_head", table_name="outbox_message")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("head")
