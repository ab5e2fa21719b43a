"""attachments: residents' photos, linked to the ticket filed after them

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 10:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("source_message_id", sa.String(length=128), nullable=False),
        sa.Column("sender_id", sa.String(length=161), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name="fk_attachments_ticket_id_tickets"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "source_message_id", name="uq_attachments_channel_message"),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_sender_id"), ["sender_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachments_ticket_id"), ["ticket_id"], unique=False)


def downgrade() -> None:
    op.drop_table("attachments")
