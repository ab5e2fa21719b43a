"""ticket console: co-handling departments, ticket changes, routing feedback, told notes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# VARCHAR(16) without a CHECK constraint, like the ticket statuses.
CHANGE_KIND = sa.Enum(
    "department",
    "category",
    "co_added",
    "co_removed",
    name="changekind",
    native_enum=False,
    length=16,
)


def upgrade() -> None:
    op.create_table(
        "ticket_co_handlers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=192), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name="fk_ticket_co_handlers_ticket_id_tickets"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "department", name="uq_ticket_co_handlers_department"),
    )
    with op.batch_alter_table("ticket_co_handlers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_co_handlers_ticket_id"), ["ticket_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ticket_co_handlers_department"), ["department"], unique=False
        )
    op.create_table(
        "ticket_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", CHANGE_KIND, nullable=False),
        sa.Column("old_value", sa.String(length=160), nullable=True),
        sa.Column("new_value", sa.String(length=160), nullable=True),
        sa.Column("actor", sa.String(length=192), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name="fk_ticket_changes_ticket_id_tickets"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ticket_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_changes_ticket_id"), ["ticket_id"], unique=False
        )
    op.create_table(
        "routing_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("routed_category", sa.String(length=64), nullable=True),
        sa.Column("routed_subcategory", sa.String(length=64), nullable=True),
        sa.Column("routed_department", sa.String(length=64), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("subcategory", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=192), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name="fk_routing_feedback_ticket_id_tickets"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("routing_feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_routing_feedback_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_routing_feedback_ticket_id"), ["ticket_id"], unique=False
        )
    with op.batch_alter_table("ticket_notes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("told_resident", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("ticket_notes", schema=None) as batch_op:
        batch_op.drop_column("told_resident")
    op.drop_table("routing_feedback")
    op.drop_table("ticket_changes")
    op.drop_table("ticket_co_handlers")
