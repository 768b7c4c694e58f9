"""clip metadata: manifest columns voxcart has no field for, kept per clip

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing clips get an empty object from the constant server default, on both backends;
    # a plain ADD COLUMN (no batch copy of the table, which foreign keys to clips would block).
    op.add_column("clips", sa.Column("meta", sa.JSON(), server_default="{}", nullable=False))


def downgrade() -> None:
    op.drop_column("clips", "meta")
