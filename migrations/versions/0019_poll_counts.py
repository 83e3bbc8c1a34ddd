"""a closed poll keeps how many answered and finished; its markers keep "asked" only

Polls closed before this revision are brought to the same state: their counts are taken from
the markers, then the markers are blanked and the buttons of their questions are deleted.

Revision ID: 0019_poll_counts
Revises: 0018_join_digest
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_poll_counts"
down_revision: str | None = "0018_join_digest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answered", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("finished", sa.Integer(), nullable=True))
    poll = sa.table(
        "poll",
        sa.column("id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("answered", sa.Integer),
        sa.column("finished", sa.Integer),
    )
    mark = sa.table(
        "poll_participant",
        sa.column("poll_id", sa.Integer),
        sa.column("progress", sa.Integer),
        sa.column("done", sa.Boolean),
        sa.column("reminded", sa.Boolean),
    )
    token = sa.table("action_token", sa.column("payload", sa.String))
    bind = op.get_bind()
    closed = [row[0] for row in bind.execute(sa.select(poll.c.id).where(poll.c.status == "closed"))]
    for poll_id in closed:
        answered = bind.execute(
            sa.select(sa.func.count())
            .select_from(mark)
            .where(mark.c.poll_id == poll_id, mark.c.progress > 0)
        ).scalar_one()
        finished = bind.execute(
            sa.select(sa.func.count())
            .select_from(mark)
            .where(mark.c.poll_id == poll_id, mark.c.done.is_(True))
        ).scalar_one()
        bind.execute(
            sa.update(poll).where(poll.c.id == poll_id).values(answered=answered, finished=finished)
        )
        bind.execute(
            sa.update(mark)
            .where(mark.c.poll_id == poll_id)
            .values(progress=0, done=False, reminded=False)
        )
        bind.execute(
            sa.delete(token).where(
                sa.or_(
                    token.c.payload == f"/ankieta {poll_id}",
                    token.c.payload.startswith(f"/ankieta {poll_id} "),
                )
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.drop_column("finished")
        batch_op.drop_column("answered")
