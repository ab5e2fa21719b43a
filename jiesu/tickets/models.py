"""Ticket tables: the ticket, its append-only status history, and the daily number counter."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jiesu.db import Base, UtcDateTime
from jiesu.models import utcnow
from jiesu.tickets.workflow import Deadlined, Status


class AppealType(StrEnum):
    """What the resident asks for; the values are the NLU intent names."""

    SEEK_HELP = "seek_help"
    COMPLAIN = "complain"
    REPORT = "report"
    SUGGEST = "suggest"
    PRAISE = "praise"
    CONSULT = "consult"


def _enum_by_value(enum: type[StrEnum]) -> Enum:
    """A VARCHAR holding the member values, without a CHECK, so adding a member needs no DDL."""
    return Enum(
        enum,
        native_enum=False,
        length=16,
        values_callable=lambda members: [member.value for member in members],
    )


class Ticket(Deadlined, Base):
    """One appeal (工单). Its status moves only through `jiesu.tickets.service.change_status`;
    which deadline runs, and whether it has passed, is `Deadlined`'s.

    The unique (channel, sender_id, source_message_id) triple makes filing idempotent per
    resident message: a retried action finds the ticket it already created, and another
    conversation using the same message id (web chat ids are the browser's) files its own.
    """

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint(
            "channel", "sender_id", "source_message_id", name="uq_tickets_sender_message"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True, index=True)
    appeal_type: Mapped[AppealType] = mapped_column(_enum_by_value(AppealType))
    status: Mapped[Status] = mapped_column(_enum_by_value(Status), index=True)
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(255), default=None)
    # When it happened, in the resident's words ("昨天晚上十点").
    happened: Mapped[str | None] = mapped_column(String(128), default=None)
    phone: Mapped[str | None] = mapped_column(String(32), default=None)
    # The 查询码 told in the filing message: another conversation that gives it sees the
    # status (`jiesu.tickets.lookup`). None for tickets filed before codes, and once erased.
    query_code: Mapped[str | None] = mapped_column(String(8), default=None)
    anonymous: Mapped[bool] = mapped_column(default=False)
    channel: Mapped[str] = mapped_column(String(32))
    # "<channel>:<chat id>", the Rasa conversation id, with inbound_messages' widths.
    sender_id: Mapped[str] = mapped_column(String(161), index=True)
    source_message_id: Mapped[str] = mapped_column(String(128))
    category: Mapped[str | None] = mapped_column(String(64), default=None)
    subcategory: Mapped[str | None] = mapped_column(String(64), default=None)
    department: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    grid: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    urgency: Mapped[str] = mapped_column(String(16), default="normal")
    dispatch_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reply_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", name="fk_tickets_merged_into_id_tickets"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
    # Co-handling departments (协办单位); `department` stays the lead. Changed only
    # through `jiesu.tickets.assignment`.
    co_handlers: Mapped[list[CoHandler]] = relationship(order_by="CoHandler.id")

    @property
    def co_departments(self) -> list[str]:
        """The ids of the co-handling departments, in the order they were added."""
        return [co.department for co in self.co_handlers]


class StatusEvent(Base):
    """One status change of a ticket: who, when, from what, to what, and why. Never updated."""

    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", name="fk_status_events_ticket_id_tickets"), index=True
    )
    from_status: Mapped[Status | None] = mapped_column(_enum_by_value(Status))
    to_status: Mapped[Status] = mapped_column(_enum_by_value(Status))
    # "resident:<sender id>", "staff:<username>" or "system".
    actor: Mapped[str] = mapped_column(String(192))
    note: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class LookupFailure(Base):
    """A look-up of a ticket number by another conversation that did not prove it knows the
    ticket; counted per conversation and per ticket to limit guessing (`jiesu.tickets.lookup`)."""

    __tablename__ = "ticket_lookup_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(161), index=True)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", name="fk_ticket_lookup_failures_ticket_id_tickets"),
        index=True,
        default=None,
    )
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class TicketNote(Base):
    """A progress note (办理进展) a handler of the lead or a co-handling department adds."""

    __tablename__ = "ticket_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", name="fk_ticket_notes_ticket_id_tickets"), index=True
    )
    actor: Mapped[str] = mapped_column(String(192))
    text: Mapped[str] = mapped_column(Text)
    # Whether the note was also sent to the resident (告知居民).
    told_resident: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class TicketCounter(Base):
    """The last ticket number handed out on one local day."""

    __tablename__ = "ticket_counters"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_value: Mapped[int]


class Attachment(Base):
    """A photo a resident sent. It waits, unlinked, until their next ticket is filed.

    Unique per message of a conversation, so a re-delivered update stores nothing twice.
    """

    __tablename__ = "attachments"
    __table_args__ = (
        UniqueConstraint(
            "channel", "sender_id", "source_message_id", name="uq_attachments_sender_message"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    source_message_id: Mapped[str] = mapped_column(String(128))
    sender_id: Mapped[str] = mapped_column(String(161), index=True)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", name="fk_attachments_ticket_id_tickets"),
        index=True,
        default=None,
    )
    file_name: Mapped[str] = mapped_column(String(64))  # inside the attachments folder
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class CoHandler(Base):
    """A department asked to help with a ticket (吹哨报到): it sees it and adds progress notes."""

    __tablename__ = "ticket_co_handlers"
    __table_args__ = (
        UniqueConstraint("ticket_id", "department", name="uq_ticket_co_handlers_department"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", name="fk_ticket_co_handlers_ticket_id_tickets"), index=True
    )
    department: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(192))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ChangeKind(StrEnum):
    """What a `TicketChange` changed; the value is what the database stores."""

    DEPARTMENT = "department"
    CATEGORY = "category"
    CO_HANDLER_ADDED = "co_added"
    CO_HANDLER_REMOVED = "co_removed"


class TicketChange(Base):
    """One change of a ticket other than its status (department, category, co-handlers).

    The audit twin of `StatusEvent`: who, when, old and new value, and why. Never updated.
    """

    __tablename__ = "ticket_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", name="fk_ticket_changes_ticket_id_tickets"), index=True
    )
    kind: Mapped[ChangeKind] = mapped_column(_enum_by_value(ChangeKind))
    # A department id, or a category as "category/subcategory".
    old_value: Mapped[str | None] = mapped_column(String(160), default=None)
    new_value: Mapped[str | None] = mapped_column(String(160), default=None)
    actor: Mapped[str] = mapped_column(String(192))
    note: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class RoutingFeedback(Base):
    """A category corrected by staff, beside what the router chose at filing (for retraining)."""

    __tablename__ = "routing_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", name="fk_routing_feedback_ticket_id_tickets"), index=True
    )
    text: Mapped[str] = mapped_column(Text)  # the resident's words
    routed_category: Mapped[str | None] = mapped_column(String(64), default=None)
    routed_subcategory: Mapped[str | None] = mapped_column(String(64), default=None)
    routed_department: Mapped[str | None] = mapped_column(String(64), default=None)
    category: Mapped[str] = mapped_column(String(64))
    subcategory: Mapped[str | None] = mapped_column(String(64), default=None)
    actor: Mapped[str] = mapped_column(String(192))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
