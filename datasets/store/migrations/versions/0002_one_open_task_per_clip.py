"""one open task per clip and queue

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 21:30:00

Before this index, two processes enqueuing the same clip at the same moment could both insert
an open task. Duplicates left by that are cancelled (the oldest open task of a clip and queue
is kept), then a partial unique index makes it impossible.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OPEN = "state IN ('pending', 'leased')"


def upgrade() -> None:
    op.execute(
        "UPDATE tasks SET state = 'cancelled', leased_by = NULL, lease_expires_at = NULL "
        f"WHERE {OPEN} AND id NOT IN ("
        f"SELECT keep FROM (SELECT MIN(id) AS keep FROM tasks WHERE {OPEN} "
        "GROUP BY clip_id, kind) AS kept)"
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(
            "uq_tasks_open_clip_kind",
            ["clip_id", "kind"],
            unique=True,
            sqlite_where=sa.text(OPEN),
            postgresql_where=sa.text(OPEN),
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("uq_tasks_open_clip_kind")
