"""duplicate checks keyed by conversation: a message id is unique within one chat only

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 09:15:00
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# table: (old constraint, old columns, new constraint, new columns)
_CHANGES = {
    "inbound_messages": (
        "uq_inbound_channel_msg",
        ["channel", "external_id"],
        "uq_inbound_chat_msg",
        ["channel", "chat_id", "external_id"],
    ),
    "tickets": (
        "uq_tickets_channel_message",
        ["channel", "source_message_id"],
        "uq_tickets_sender_message",
        ["channel", "sender_id", "source_message_id"],
    ),
    "attachments": (
        "uq_attachments_channel_message",
        ["channel", "source_message_id"],
        "uq_attachments_sender_message",
        ["channel", "sender_id", "source_message_id"],
    ),
}


def upgrade() -> None:
    for table, (old, _, new, columns) in _CHANGES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(old, type_="unique")
            batch_op.create_unique_constraint(new, columns)


def downgrade() -> None:
    for table, (old, columns, new, _) in _CHANGES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(new, type_="unique")
            batch_op.create_unique_constraint(old, columns)
