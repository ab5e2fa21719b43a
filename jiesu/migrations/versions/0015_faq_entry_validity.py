"""faq entries: applicable conditions and valid from/until (GB/T 44191-2024 fields)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("faq_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conditions", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("valid_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("valid_until", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("faq_entries", schema=None) as batch_op:
        for column in ("valid_until", "valid_from", "conditions"):
            batch_op.drop_column(column)
