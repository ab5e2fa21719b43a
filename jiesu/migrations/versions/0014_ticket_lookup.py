"""ticket look-ups: the query code told to the resident, and failed look-ups

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("query_code", sa.String(length=8), nullable=True))
    op.create_table(
        "ticket_lookup_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=161), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name="fk_ticket_lookup_failures_ticket_id_tickets"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ticket_lookup_failures", schema=None) as batch_op:
        for column in ("failed_at", "sender_id", "ticket_id"):
            batch_op.create_index(
                batch_op.f(f"ix_ticket_lookup_failures_{column}"), [column], unique=False
            )


def downgrade() -> None:
    op.drop_table("ticket_lookup_failures")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("query_code")
