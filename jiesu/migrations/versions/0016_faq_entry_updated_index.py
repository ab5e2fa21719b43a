"""faq entries: an index on updated_at, so the base's version is read without a scan

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 09:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("faq_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_faq_entries_updated_at"), ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("faq_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_faq_entries_updated_at"))
