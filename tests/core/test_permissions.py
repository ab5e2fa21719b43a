"""The permissions policy: one table of what each role sees and may do, the rules it must
keep, and the ticket checks built on it (in Python and in SQL) agreeing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from jiesu.db import session_scope
from jiesu.staff.models import StaffUser
from jiesu.staff.permissions import (
    POLICY,
    Action,
    Capability,
    Grant,
    Scope,
    can,
    can_view,
    handles,
    may_act,
    may_see_phone,
    scope_of,
)
from jiesu.staff.queries import visible_tickets
from jiesu.staff.roles import Role
from jiesu.tickets import Status
from jiesu.tickets.assignment import add_co_handler
from jiesu.tickets.service import change_status
from tests.factories import file_ticket

C = Capability
# The table as the README describes it: a change of who may do what shows up here.
DESK = frozenset(
    {
        C.DISPATCH,
        C.READ_HANDOFFS,
        C.ANSWER_HANDOFFS,
        C.READ_FAQ_GAPS,
        C.EDIT_FAQ,
        C.READ_UNDELIVERED,
    }
)
EXPECTED: dict[Role, Grant] = {
    Role.ADMIN: Grant(Scope.ALL, DESK | {C.MANAGE_USERS}),
    Role.DISPATCHER: Grant(Scope.ALL, DESK),
    Role.SUPERVISOR: Grant(
        Scope.ALL, frozenset({C.READ_HANDOFFS, C.READ_FAQ_GAPS, C.READ_UNDELIVERED})
    ),
    Role.HANDLER: Grant(Scope.DEPARTMENT, frozenset({C.HANDLE})),
    Role.GRID_WORKER: Grant(Scope.GRIDS, frozenset()),
}
GRID = "hubin-sq-1"


def _staff(role: Role, department: str | None = None, grids: list[str] | None = None) -> StaffUser:
    return StaffUser(username=role.value, role=role, department=department, grids=grids or [])


def _holders(capability: Capability) -> set[Role]:
    return {role for role in Role if can(_staff(role), capability)}


def _seeing_all() -> set[Role]:
    return {role for role in Role if scope_of(_staff(role)) is Scope.ALL}


def test_every_role_has_the_grant_the_readme_describes() -> None:
    assert dict(POLICY) == EXPECTED


def test_the_rules_the_table_keeps() -> None:
    # Who changes tickets for the whole city sees the whole city.
    assert _holders(C.DISPATCH) <= _seeing_all()
    # Residents' unanswered questions belong to no department or grid: read by the roles
    # that see every ticket, by no other.
    assert _holders(C.READ_FAQ_GAPS) == _seeing_all()
    # So do the messages that will not reach their resident, whoever's ticket they are of.
    assert _holders(C.READ_UNDELIVERED) == _seeing_all()
    # Whoever answers a conversation or adds an entry can open the page it is done on.
    assert _holders(C.ANSWER_HANDOFFS) <= _holders(C.READ_HANDOFFS)
    assert _holders(C.EDIT_FAQ) <= _holders(C.READ_FAQ_GAPS)
    # Handling works on one's own department's tickets: only a department's role has it.
    assert all(scope_of(_staff(role)) is Scope.DEPARTMENT for role in _holders(C.HANDLE))
    assert _holders(C.MANAGE_USERS) == {Role.ADMIN}


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    with session_scope(database_url) as session:
        yield session


def test_a_ticket_with_no_department_has_no_handler(session: Session) -> None:
    """An admin has no department either; that must not make them its handler."""
    ticket = file_ticket(session, phone="13812345678")
    assert ticket.department is None
    desk = {Role.ADMIN, Role.DISPATCHER}
    for role in Role:
        user = _staff(role, department="housing" if role is Role.HANDLER else None)
        assert not handles(user, ticket)
        assert may_see_phone(user, ticket) is (role in desk)
        assert may_act(user, ticket, Action.DISPATCH) is (role in desk)


def test_the_ticket_check_and_its_sql_twin_agree_for_every_role(session: Session) -> None:
    lead = file_ticket(session, department="housing")
    change_status(session, lead, Status.DISPATCHED, actor="system")
    add_co_handler(session, lead, "ecology", actor="system")
    gridded = file_ticket(session, department="ecology", grid=GRID)
    elsewhere = file_ticket(session, department="agriculture")
    tickets = [lead, gridded, elsewhere]
    staff = [
        _staff(Role.ADMIN),
        _staff(Role.DISPATCHER),
        _staff(Role.SUPERVISOR),
        _staff(Role.HANDLER, department="housing"),
        _staff(Role.HANDLER, department="ecology"),
        _staff(Role.GRID_WORKER, grids=[GRID]),
        _staff(Role.GRID_WORKER, grids=["liuan-1"]),
    ]
    seen: dict[str, set[str]] = {}
    for user in staff:
        by_sql = {t.number for t in visible_tickets(session, user) if t in tickets}
        assert by_sql == {t.number for t in tickets if can_view(user, t)}, user.username
        seen[f"{user.role}:{user.department or ','.join(user.grids)}"] = by_sql
    assert seen["handler:housing"] == {lead.number}
    assert seen["handler:ecology"] == {lead.number, gridded.number}  # co-handling and leading
    assert seen[f"grid_worker:{GRID}"] == {gridded.number}
    assert seen["grid_worker:liuan-1"] == set()
    assert seen["supervisor:"] == {t.number for t in tickets}
