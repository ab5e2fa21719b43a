"""tickets

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 06:11:24.988776
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# VARCHAR(16) without a CHECK constraint: adding a member later needs no migration.
STATUS = sa.Enum(
    "received",
    "dispatched",
    "in_progress",
    "replied",
    "closed",
    "returned",
    "reopened",
    "merged",
    name="status",
    native_enum=False,
    length=16,
)
APPEAL_TYPE = sa.Enum(
    "seek_help",
    "complain",
    "report",
    "suggest",
    "praise",
    "consult",
    name="appealtype",
    native_enum=False,
    length=16,
)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_counters",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("appeal_type", APPEAL_TYPE, nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("address", sa.String(length=255), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("sender_id", sa.String(length=161), nullable=False),
        sa.Column("source_message_id", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("subcategory", sa.String(length=64), nullable=True),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("grid", sa.String(length=64), nullable=True),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("dispatch_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reply_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["tickets.id"], name="fk_tickets_merged_into_id_tickets"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "source_message_id", name="uq_tickets_channel_message"),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_department"), ["department"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_grid"), ["grid"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_number"), ["number"], unique=True)
        batch_op.create_index(batch_op.f("ix_tickets_sender_id"), ["sender_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_status"), ["status"], unique=False)

    op.create_table(
        "status_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("from_status", STATUS, nullable=True),
        sa.Column("to_status", STATUS, nullable=False),
        sa.Column("actor", sa.String(length=192), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name="fk_status_events_ticket_id_tickets"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_status_events_ticket_id"), ["ticket_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_events_ticket_id"))

    op.drop_table("status_events")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_status"))
        batch_op.drop_index(batch_op.f("ix_tickets_sender_id"))
        batch_op.drop_index(batch_op.f("ix_tickets_number"))
        batch_op.drop_index(batch_op.f("ix_tickets_grid"))
        batch_op.drop_index(batch_op.f("ix_tickets_department"))

    op.drop_table("tickets")
    op.drop_table("ticket_counters")
