"""What the resident reads while an appeal is taken down, filed and followed up."""

from __future__ import annotations

import json
from typing import Any

from jiesu.appeals.dialogue import FIELD_ENTITY
from jiesu.appeals.filing import Assessment, Draft
from jiesu.appeals.intake import appeal_fields
from jiesu.labels import department_name, moment_text
from jiesu.tickets.models import AppealType, Ticket
from jiesu.tickets.workflow import AWAITING_STAFF, Status
from jiesu.vocabulary import intent_label, wording

Button = dict[str, str]


def appeal_label(appeal_type: AppealType) -> str:
    """The appeal type as the resident reads it (求助, 投诉或反映问题…)."""
    return intent_label(appeal_type.value)


def ask_description(appeal_type: AppealType) -> str:
    """The question for what happened, worded for the kind of appeal."""
    return wording("appeal", "ask_description", appeal_type.value)


def ask_phone(appeal_type: AppealType) -> tuple[str, list[Button]]:
    """The phone question, with the button to stay anonymous (offered first for reports)."""
    key = "ask_phone_report" if appeal_type is AppealType.REPORT else "ask_phone"
    return wording("appeal", key), [
        {"title": wording("appeal", "anonymous_button"), "payload": "/deny"}
    ]


def _edit_payload(field: str) -> str:
    return "/inform" + json.dumps({FIELD_ENTITY: field}, separators=(",", ":"))


def edit_buttons(appeal_type: AppealType) -> list[Button]:
    """One button per field the resident can correct."""
    return [
        {"title": wording("appeal", f"edit_{field}_button"), "payload": _edit_payload(field)}
        for field in appeal_fields(appeal_type)
    ]


def summary(draft: Draft, assessment: Assessment) -> tuple[str, list[Button]]:
    """The draft for the resident to check, with the category chosen, and its buttons."""
    lines = [
        wording("appeal", "summary_title", appeal_type=appeal_label(draft.appeal_type)),
        wording("appeal", "summary_description", description=draft.description),
    ]
    if draft.address:
        lines.append(wording("appeal", "summary_address", address=draft.address))
        if assessment.place:
            lines.append(wording("appeal", "summary_place", place=assessment.place))
    if draft.happened:
        lines.append(wording("appeal", "summary_happened", happened=draft.happened))
    lines.append(
        wording("appeal", "summary_phone", phone=draft.phone)
        if draft.phone
        else wording("appeal", "summary_anonymous")
    )
    chosen = assessment.route
    if chosen.needs_dispatcher:
        lines.append(wording("appeal", "summary_route_unsure"))
    else:
        category = "/".join(part for part in (chosen.category, chosen.subcategory) if part)
        lines.append(
            wording("appeal", "summary_route", category=category, department=chosen.department)
        )
    lines.append(wording("appeal", "summary_ask"))
    buttons = [
        {"title": wording("appeal", "confirm_button"), "payload": "/affirm"},
        *edit_buttons(draft.appeal_type),
        {"title": wording("appeal", "cancel_button"), "payload": "/cancel"},
    ]
    return "\n".join(lines), buttons


def filed_message(ticket: Ticket) -> str:
    """The one message that tells the resident the number, the department and the deadline."""
    values: dict[str, Any] = {
        "appeal_type": appeal_label(ticket.appeal_type),
        "number": ticket.number,
        "department": department_name(ticket.department),
        "reply_due": moment_text(ticket.reply_due_at) if ticket.reply_due_at else "",
        "dispatch_due": moment_text(ticket.dispatch_due_at) if ticket.dispatch_due_at else "",
    }
    key = "filed" if ticket.status is Status.DISPATCHED else "filed_unrouted"
    # A report is shown to no other conversation (`jiesu.tickets.lookup`): no code to tell.
    if ticket.appeal_type is AppealType.REPORT or ticket.query_code is None:
        lookup = wording("appeal", "lookup_here_only")
    else:
        lookup = wording("appeal", "lookup_code", number=ticket.number, code=ticket.query_code)
    return f"{wording('appeal', key, **values)}{lookup}"


def _reply_due_line(ticket: Ticket) -> list[str]:
    if ticket.reply_due_at and ticket.status in AWAITING_STAFF:
        return [wording("status", "reply_due", reply_due=moment_text(ticket.reply_due_at))]
    return []


def verified_status_message(ticket: Ticket) -> str:
    """A ticket's status for a conversation that did not file it but proved it knows it:
    the status and the deadline, nothing about what it is or who handles it."""
    lines = [
        wording(
            "status",
            "verified_line",
            number=ticket.number,
            status=wording("status", "labels", ticket.status.value),
        ),
        *_reply_due_line(ticket),
    ]
    return "\n".join(lines)


def status_message(ticket: Ticket, latest_note: str | None, merged_into: str | None) -> str:
    """A ticket's status for its resident: no personal data, only where it stands."""
    lines = [
        wording(
            "status",
            "line",
            number=ticket.number,
            appeal_type=appeal_label(ticket.appeal_type),
            created=moment_text(ticket.created_at),
            status=wording("status", "labels", ticket.status.value),
        )
    ]
    if ticket.department and ticket.status is not Status.RECEIVED:
        lines.append(wording("status", "department", department=department_name(ticket.department)))
    if latest_note:
        lines.append(wording("status", "latest", note=latest_note))
    if merged_into:
        lines.append(wording("status", "merged_into", number=merged_into))
    else:
        lines.extend(_reply_due_line(ticket))
    return "\n".join(lines)
