"""web chats the resident ended: their cookies no longer count

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 18:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ended_chats",
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id"),
    )
    with op.batch_alter_table("ended_chats", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ended_chats_ended_at"), ["ended_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ended_chats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ended_chats_ended_at"))
    op.drop_table("ended_chats")
