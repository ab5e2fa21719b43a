"""retention purges: how many conversations were pseudonymised

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("retention_purges", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("conversations", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("retention_purges", schema=None) as batch_op:
        batch_op.drop_column("conversations")
