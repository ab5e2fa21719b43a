"""WeChat's numbered choices come from what the conversation was last shown
(jiesu.choices), as every channel's typed labels do: the followers' own copy goes

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wechat_followers") as batch:
        batch.drop_column("choices")


def downgrade() -> None:
    with op.batch_alter_table("wechat_followers") as batch:
        batch.add_column(sa.Column("choices", sa.JSON(), nullable=True))
