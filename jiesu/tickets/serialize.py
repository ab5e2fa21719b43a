"""Tickets as plain dicts (JSON-ready) for the CLI, the console and the actions.

Times are ISO 8601 in the city's local time zone, with its offset; statuses and
appeal types come with their Chinese labels.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from jiesu.config import local_timezone
from jiesu.labels import department_name, label
from jiesu.tickets.assignment import changes
from jiesu.tickets.models import ChangeKind, StatusEvent, Ticket, TicketChange, TicketNote
from jiesu.tickets.service import history, merged_into, notes
from jiesu.tickets.workflow import status_label
from jiesu.vocabulary import intent_label


def timestamp(moment: datetime | None) -> str | None:
    """`moment` as ISO 8601 in the local time zone, e.g. 2026-11-28T10:00:00+08:00."""
    return moment.astimezone(local_timezone()).isoformat() if moment is not None else None


def event_as_dict(event: StatusEvent) -> dict[str, Any]:
    """One audit event: who, when, from which status to which, and the note."""
    return {
        "actor": event.actor,
        "at": timestamp(event.created_at),
        "from": event.from_status.value if event.from_status is not None else None,
        "from_label": status_label(event.from_status) if event.from_status is not None else None,
        "to": event.to_status.value,
        "to_label": status_label(event.to_status),
        "note": event.note,
    }


def change_as_dict(change: TicketChange) -> dict[str, Any]:
    """One department, category or co-handler change: who, when, what, old → new, why.

    `old_label` and `new_label` are what staff read (department names, categories).
    """
    readable = _same if change.kind is ChangeKind.CATEGORY else _department
    return {
        "actor": change.actor,
        "at": timestamp(change.created_at),
        "kind": change.kind.value,
        "kind_label": label("changes", change.kind.value),
        "old": change.old_value,
        "new": change.new_value,
        "old_label": readable(change.old_value),
        "new_label": readable(change.new_value),
        "note": change.note,
    }


def note_as_dict(note: TicketNote) -> dict[str, Any]:
    """One progress note (办理进展): who, when, what, and whether the resident was told."""
    return {
        "actor": note.actor,
        "at": timestamp(note.created_at),
        "text": note.text,
        "told": note.told_resident,
    }


def timeline(session: Session, ticket: Ticket) -> list[dict[str, Any]]:
    """Everything that happened to `ticket`, oldest first: status events (`entry`
    "status"), department, category and co-handler changes ("change") and progress
    notes ("note"), each with its fields as above."""
    entries = [{"entry": "status", **event_as_dict(e)} for e in history(session, ticket)]
    entries += [{"entry": "change", **change_as_dict(c)} for c in changes(session, ticket)]
    entries += [{"entry": "note", **note_as_dict(n)} for n in notes(session, ticket)]
    return sorted(entries, key=lambda entry: entry["at"] or "")


def _same(value: str | None) -> str | None:
    return value


def _department(department_id: str | None) -> str | None:
    return department_name(department_id) if department_id else None


def ticket_as_dict(ticket: Ticket, *, merged_into: str | None = None) -> dict[str, Any]:
    """Every field of `ticket`.

    `merged_into` is the number of the ticket this one was merged into (the
    row stores only its id).
    """
    data: dict[str, Any] = {
        "number": ticket.number,
        "status": ticket.status.value,
        "status_label": status_label(ticket.status),
        "appeal_type": ticket.appeal_type.value,
        "appeal_type_label": intent_label(ticket.appeal_type.value),
        "category": ticket.category,
        "subcategory": ticket.subcategory,
        "department": ticket.department,
        "grid": ticket.grid,
        "urgency": ticket.urgency,
        "description": ticket.description,
        "address": ticket.address,
        "phone": ticket.phone,
        "anonymous": ticket.anonymous,
        "channel": ticket.channel,
        "sender_id": ticket.sender_id,
        "merged_into": merged_into,
        "dispatch_due_at": timestamp(ticket.dispatch_due_at),
        "reply_due_at": timestamp(ticket.reply_due_at),
        "created_at": timestamp(ticket.created_at),
        "updated_at": timestamp(ticket.updated_at),
    }
    return data


def describe_ticket(
    session: Session, ticket: Ticket, *, with_history: bool = True
) -> dict[str, Any]:
    """`ticket_as_dict` with what it needs read from the database; with the history, its
    `timeline` under `history` (the console's ticket page and `jiesu tickets show`)."""
    into = merged_into(session, ticket)
    data = ticket_as_dict(ticket, merged_into=into.number if into is not None else None)
    if with_history:
        data["history"] = timeline(session, ticket)
    return data
