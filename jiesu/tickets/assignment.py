"""Who handles a ticket and how it is classified, each change with its audit record.

Dispatch and re-dispatch (改派) set the lead department; co-handling departments
(协办单位, 吹哨报到) help it; staff correct the category (改分类), which also stores
routing feedback. Re-dispatching changes the department, not the status: the
workflow table says where a ticket is in its life, and a ticket moved to another
department before anyone accepted it is still 派单 (or still 重办), with the
same reply deadline for the resident. So these changes are `TicketChange` rows
beside the status events, not transitions.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiesu.city import current_city
from jiesu.models import utcnow
from jiesu.tickets.models import ChangeKind, CoHandler, RoutingFeedback, Ticket, TicketChange
from jiesu.tickets.workflow import WORKING, Status, is_open

# A ticket dispatched but not yet accepted, or reopened, may go to another department.
REDISPATCHABLE: frozenset[Status] = frozenset({Status.DISPATCHED, Status.REOPENED})


class AssignmentError(ValueError):
    """A change the rules refuse; the message is in Chinese, for staff."""


def check_department(department_id: str | None) -> str:
    """`department_id` if the city has that department; AssignmentError otherwise."""
    chosen = (department_id or "").strip()
    if not chosen:
        raise AssignmentError("请选择承办单位。")
    try:
        current_city().department(chosen)
    except KeyError:
        raise AssignmentError(f"没有编号为 {chosen} 的承办单位。") from None
    return chosen


def _record(
    session: Session,
    ticket: Ticket,
    kind: ChangeKind,
    old: str | None,
    new: str | None,
    *,
    actor: str,
    note: str | None = None,
    now: datetime | None = None,
) -> TicketChange:
    change = TicketChange(
        ticket_id=ticket.id,
        kind=kind,
        old_value=old,
        new_value=new,
        actor=actor,
        note=note,
        created_at=now or utcnow(),
    )
    session.add(change)
    session.flush()
    return change


def assign_department(
    session: Session,
    ticket: Ticket,
    department: str,
    *,
    actor: str,
    note: str | None = None,
    now: datetime | None = None,
) -> TicketChange | None:
    """Make `department` the lead, recording old → new (nothing if it already leads).

    A co-handling department that becomes the lead stops co-handling.
    """
    chosen = check_department(department)
    if chosen == ticket.department:
        return None
    for co in [co for co in ticket.co_handlers if co.department == chosen]:
        ticket.co_handlers.remove(co)
        session.delete(co)
        _record(session, ticket, ChangeKind.CO_HANDLER_REMOVED, chosen, None, actor=actor, now=now)
    change = _record(
        session,
        ticket,
        ChangeKind.DEPARTMENT,
        ticket.department,
        chosen,
        actor=actor,
        note=note,
        now=now,
    )
    ticket.department = chosen
    session.flush()
    return change


def redispatch(
    session: Session,
    ticket: Ticket,
    department: str,
    *,
    actor: str,
    reason: str | None,
    now: datetime | None = None,
) -> TicketChange:
    """Send a dispatched-not-accepted or reopened ticket to another department (改派)."""
    if ticket.status not in REDISPATCHABLE:
        raise AssignmentError("只有已派单尚未签收、或重办中的工单可以改派。")
    chosen = check_department(department)
    if chosen == ticket.department:
        raise AssignmentError("工单已在该单位，请选择其他承办单位。")
    reason = (reason or "").strip()
    if not reason:
        raise AssignmentError("请填写改派原因。")
    change = assign_department(session, ticket, chosen, actor=actor, note=reason, now=now)
    assert change is not None  # the department differs
    return change


def add_co_handler(
    session: Session,
    ticket: Ticket,
    department: str,
    *,
    actor: str,
    now: datetime | None = None,
) -> CoHandler:
    """Ask `department` to co-handle `ticket` (协办): it may then see it and add progress notes."""
    if ticket.status not in WORKING:  # co-handlers join while a department works on it
        raise AssignmentError("工单派单后、答复前才能增加协办单位。")
    chosen = check_department(department)
    if chosen == ticket.department:
        raise AssignmentError("该单位是主办单位，无需再列为协办单位。")
    if chosen in ticket.co_departments:
        raise AssignmentError("该单位已是协办单位。")
    when = now or utcnow()
    co = CoHandler(department=chosen, actor=actor, created_at=when)
    ticket.co_handlers.append(co)
    _record(session, ticket, ChangeKind.CO_HANDLER_ADDED, None, chosen, actor=actor, now=when)
    return co


def category_text(category: str | None, subcategory: str | None) -> str | None:
    """A category as stored in the audit and shown to staff: 城乡建设/物业管理."""
    return "/".join(part for part in (category, subcategory) if part) or None


def _check_category(category: str | None, subcategory: str | None) -> tuple[str, str | None]:
    chosen = (category or "").strip()
    if not chosen:
        raise AssignmentError("请选择分类。")
    try:
        known = current_city().category(chosen)
    except KeyError:
        raise AssignmentError(f"没有名为 {chosen} 的分类。") from None
    sub = (subcategory or "").strip() or None
    if sub is not None and sub not in {s.name for s in known.subcategories}:
        raise AssignmentError(f"分类 {chosen} 下没有 {sub}。")
    return chosen, sub


def filed_route(session: Session, ticket: Ticket) -> tuple[str | None, str | None, str | None]:
    """The category, subcategory and department the ticket had when filed (the router's).

    Read back from the first change of each; without one, the ticket's values are still those.
    """
    category, subcategory, department = ticket.category, ticket.subcategory, ticket.department
    first_category = _first_change(session, ticket, ChangeKind.CATEGORY)
    if first_category is not None:
        old = first_category.old_value or ""
        category, _, rest = old.partition("/")
        category, subcategory = category or None, rest or None
    first_department = _first_change(session, ticket, ChangeKind.DEPARTMENT)
    if first_department is not None:
        department = first_department.old_value
    return category, subcategory, department


def _first_change(session: Session, ticket: Ticket, kind: ChangeKind) -> TicketChange | None:
    return session.scalars(
        select(TicketChange)
        .where(TicketChange.ticket_id == ticket.id, TicketChange.kind == kind)
        .order_by(TicketChange.created_at, TicketChange.id)
        .limit(1)
    ).first()


def change_category(
    session: Session,
    ticket: Ticket,
    category: str | None,
    subcategory: str | None,
    *,
    actor: str,
    now: datetime | None = None,
) -> RoutingFeedback:
    """Correct the category (改分类) from the city's list; stores routing feedback too.

    Nothing is retrained here; `routing_feedback` lists what a retraining can use.
    The department is not changed: re-dispatching is a decision of its own.
    """
    if not is_open(ticket.status):
        raise AssignmentError("已办结或已合并的工单不能改分类。")
    chosen, sub = _check_category(category, subcategory)
    if (chosen, sub) == (ticket.category, ticket.subcategory):
        raise AssignmentError("分类没有变化。")
    when = now or utcnow()
    routed_category, routed_subcategory, routed_department = filed_route(session, ticket)
    _record(
        session,
        ticket,
        ChangeKind.CATEGORY,
        category_text(ticket.category, ticket.subcategory),
        category_text(chosen, sub),
        actor=actor,
        now=when,
    )
    feedback = RoutingFeedback(
        ticket_id=ticket.id,
        text=ticket.description,
        routed_category=routed_category,
        routed_subcategory=routed_subcategory,
        routed_department=routed_department,
        category=chosen,
        subcategory=sub,
        actor=actor,
        created_at=when,
    )
    session.add(feedback)
    ticket.category, ticket.subcategory = chosen, sub
    session.flush()
    return feedback


def routing_feedback(session: Session, *, since: datetime | None = None) -> list[RoutingFeedback]:
    """Categories corrected by staff, oldest first, optionally only those from `since` on."""
    query = select(RoutingFeedback).order_by(RoutingFeedback.created_at, RoutingFeedback.id)
    if since is not None:
        query = query.where(RoutingFeedback.created_at >= since)
    return list(session.scalars(query))


def changes(session: Session, ticket: Ticket) -> list[TicketChange]:
    """The department, category and co-handler changes of `ticket`, oldest first."""
    return list(
        session.scalars(
            select(TicketChange)
            .where(TicketChange.ticket_id == ticket.id)
            .order_by(TicketChange.created_at, TicketChange.id)
        )
    )
