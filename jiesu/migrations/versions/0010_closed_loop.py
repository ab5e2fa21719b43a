"""closed loop: follow-up surveys and deadline notices

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reply_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name="fk_reply_rounds_ticket_id_tickets"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "round", name="uq_reply_rounds_ticket_round"),
    )
    with op.batch_alter_table("reply_rounds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reply_rounds_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_reply_rounds_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "staff_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("deadline", sa.String(length=16), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name="fk_staff_alerts_ticket_id_tickets"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "kind", "deadline", "due_at", name="uq_staff_alerts_once"),
    )
    with op.batch_alter_table("staff_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_alerts_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_staff_alerts_department"), ["department"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_staff_alerts_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "followup_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("reply_event_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=161), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["reply_event_id"],
            ["status_events.id"],
            name="fk_followup_surveys_reply_event_id_status_events",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name="fk_followup_surveys_ticket_id_tickets"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reply_event_id", name="uq_followup_surveys_reply_event_id"),
    )
    with op.batch_alter_table("followup_surveys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_followup_surveys_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_followup_surveys_sender_id"), ["sender_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_followup_surveys_ticket_id"), ["ticket_id"], unique=False
        )

    op.create_table(
        "survey_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.String(length=24), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=192), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["followup_surveys.id"],
            name="fk_survey_answers_survey_id_followup_surveys",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("survey_id", "question", name="uq_survey_answers_survey_question"),
    )
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_answers_survey_id"), ["survey_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_answers_survey_id"))

    op.drop_table("survey_answers")
    with op.batch_alter_table("followup_surveys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_followup_surveys_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_followup_surveys_sender_id"))
        batch_op.drop_index(batch_op.f("ix_followup_surveys_expires_at"))

    op.drop_table("followup_surveys")
    with op.batch_alter_table("staff_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_alerts_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_staff_alerts_department"))
        batch_op.drop_index(batch_op.f("ix_staff_alerts_created_at"))

    op.drop_table("staff_alerts")
    with op.batch_alter_table("reply_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reply_rounds_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_reply_rounds_due_at"))

    op.drop_table("reply_rounds")
