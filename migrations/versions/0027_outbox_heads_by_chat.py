"""the outbox's head triggers read the chat's own rows on PostgreSQL

Revision ID: 0027_outbox_heads_by_chat
Revises: 0026_outbox_heads_and_log
Create Date: 2026-12-05 02:30:00

The trigger functions of 0026 asked for "status = 'pending'", which PostgreSQL's generic plan
served from the (status, not_before) index: while a fan-out is queued every row's trigger read
every pending row (1.3 ms a row at 10,000). The same functions, the status condition written so
that only the chat's indexes serve it. SQLite's triggers are unchanged.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027_outbox_heads_by_chat"
down_revision: str | None = "0026_outbox_heads_and_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _functions(status: str) -> tuple[str, str]:
    """The two trigger functions as models.outbox.HEAD_DDL has them, with `status` the
    condition on the status column."""
    queued = f"""CREATE OR REPLACE FUNCTION outbox_head_queued() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.status = 'pending' THEN
                PERFORM 1 FROM outbox_message o
                WHERE o.platform = NEW.platform AND o.chat_id = NEW.chat_id
                  AND {status.format(t="o.")} AND o.id < NEW.id
                ORDER BY o.id LIMIT 1 FOR SHARE SKIP LOCKED;
                NEW.head := NOT FOUND;
            END IF;
            RETURN NEW;
        END $$"""
    following = f"""CREATE OR REPLACE FUNCTION outbox_head_next() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            next_id bigint;
        BEGIN
            LOOP
                SELECT min(id) INTO next_id FROM outbox_message
                WHERE platform = OLD.platform AND chat_id = OLD.chat_id
                  AND {status.format(t="")};
                EXIT WHEN next_id IS NULL;
                UPDATE outbox_message SET head = true
                WHERE id = next_id AND status = 'pending';
                EXIT WHEN FOUND;
            END LOOP;
            RETURN NULL;
        END $$"""
    return queued, following


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _functions("({t}status || '') = 'pending'"):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _functions("{t}status = 'pending'"):
            op.execute(statement)
