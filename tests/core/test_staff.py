"""Staff accounts, passwords, login rate limit, sessions, permissions and ticket actions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from jiesu.city import current_city
from jiesu.cli import app as cli
from jiesu.config import get_settings
from jiesu.db import session_scope
from jiesu.staff import accounts
from jiesu.staff.accounts import (
    AccountError,
    admin_exists,
    authenticate,
    check_confirmation,
    create_user,
    list_users,
    reset_password,
    set_active,
)
from jiesu.staff.models import PersonalDataView, StaffUser
from jiesu.staff.passwords import hash_password, verify_password
from jiesu.staff.permissions import Action, allowed_actions, can_view, mask_phone
from jiesu.staff.privacy import phone_for
from jiesu.staff.queries import TicketFilter, visible_ticket, visible_tickets
from jiesu.staff.ratelimit import (
    ACCOUNT_FAILURES,
    MAX_FAILURES,
    WINDOW,
    clear_failures,
    is_blocked,
    record_failure,
)
from jiesu.staff.roles import Role
from jiesu.staff.sessions import end_session, find_login, start_session
from jiesu.staff.work import ActionError, perform
from jiesu.tickets import Status, Ticket
from jiesu.tickets.service import notes
from tests.factories import PASSWORD, file_ticket, staff

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    with session_scope(database_url) as session:
        yield session


def _ticket(session: Session, **fields: Any) -> Ticket:
    """A web complaint with the resident's phone (`fields` as create_ticket's)."""
    return file_ticket(session, phone="13812345678", **fields)


def test_passwords_are_argon2_hashes_that_verify_only_the_right_password() -> None:
    hashed = hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
    assert verify_password(hashed, PASSWORD)
    assert not verify_password(hashed, "wrong password")
    assert not verify_password("not a hash", PASSWORD)


def test_accounts_check_their_binding_and_authenticate(session: Session) -> None:
    assert not admin_exists(session)
    staff(session, Role.ADMIN, name="boss")
    assert admin_exists(session)
    with pytest.raises(AccountError, match="承办单位"):
        staff(session, Role.HANDLER, name="h")
    with pytest.raises(AccountError, match="没有编号为 nowhere"):
        staff(session, Role.HANDLER, name="h", department="nowhere")
    with pytest.raises(AccountError, match="网格"):
        staff(session, Role.GRID_WORKER, name="g")
    with pytest.raises(AccountError, match="已存在"):
        staff(session, Role.SUPERVISOR, name="boss")
    with pytest.raises(AccountError, match="至少"):
        create_user(session, "short", "1234567", Role.SUPERVISOR)
    assert authenticate(session, "boss", PASSWORD) is not None
    assert authenticate(session, "boss", "wrong password") is None
    assert authenticate(session, "nobody", PASSWORD) is None


def test_login_is_blocked_after_five_failures_for_fifteen_minutes(session: Session) -> None:
    for _ in range(MAX_FAILURES - 1):
        record_failure(session, "boss", "10.0.0.1", now=T0)
    assert not is_blocked(session, "boss", "10.0.0.1", now=T0)
    record_failure(session, "boss", "10.0.0.1", now=T0)
    assert is_blocked(session, "boss", "10.0.0.1", now=T0)
    assert not is_blocked(session, "boss", "10.0.0.2", now=T0)
    assert not is_blocked(session, "other", "10.0.0.1", now=T0)
    assert not is_blocked(session, "boss", "10.0.0.1", now=T0 + WINDOW)
    clear_failures(session, "boss", "10.0.0.1")
    assert not is_blocked(session, "boss", "10.0.0.1", now=T0)


def test_failures_count_per_account_across_addresses(session: Session) -> None:
    for n in range(ACCOUNT_FAILURES):
        assert not is_blocked(session, "boss", f"10.0.{n}.1", now=T0)
        record_failure(session, "boss", f"10.0.{n}.1", now=T0)
    assert is_blocked(session, "boss", "192.168.1.1", now=T0)
    assert not is_blocked(session, "other", "192.168.1.1", now=T0)
    assert not is_blocked(session, "boss", "192.168.1.1", now=T0 + WINDOW)


def test_failures_count_per_ipv6_network(session: Session) -> None:
    for n in range(MAX_FAILURES):
        record_failure(session, "boss", f"2001:db8:1:2::{n + 1:x}", now=T0)
    assert is_blocked(session, "boss", "2001:db8:1:2:ffff::9", now=T0)
    assert not is_blocked(session, "boss", "2001:db8:1:3::1", now=T0)
    clear_failures(session, "boss", "2001:db8:1:2::abc")
    assert not is_blocked(session, "boss", "2001:db8:1:2::1", now=T0)


def test_unknown_and_inactive_users_cost_one_password_check_too(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same work, so the response time does not tell which usernames exist."""
    user = staff(session, Role.ADMIN, name="boss")
    staff(session, Role.SUPERVISOR, name="gone")
    set_active(
        session,
        session.scalars(select(StaffUser).where(StaffUser.username == "gone")).one(),
        False,
        by=user,
    )
    checked: list[str] = []
    real = accounts.verify_password

    def counted(password_hash: str, password: str) -> bool:
        checked.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", counted)
    for name in ("boss", "nobody", "gone"):
        assert authenticate(session, name, f"wrong for {name}") is None
    assert checked == ["wrong for boss", "wrong for nobody", "wrong for gone"]


def test_sessions_expire_and_end_on_logout(session: Session) -> None:
    user = staff(session, Role.ADMIN, name="boss")
    token = start_session(session, user, now=T0)
    login = find_login(session, token, now=T0 + timedelta(hours=1))
    assert login is not None and login.user.username == "boss" and login.csrf_token
    assert find_login(session, token, now=T0 + timedelta(hours=13)) is None
    assert find_login(session, "forged", now=T0) is None
    end_session(session, token)
    assert find_login(session, token, now=T0) is None


def test_phones_are_masked_except_for_roles_that_need_them_and_views_are_logged(
    session: Session,
) -> None:
    assert mask_phone("13812345678") == "138****5678"
    ticket = _ticket(session, department="housing")
    supervisor = staff(session, Role.SUPERVISOR, name="sup")
    handler = staff(session, Role.HANDLER, name="h", department="housing")
    other = staff(session, Role.HANDLER, name="h2", department="ecology")
    assert phone_for(session, supervisor, ticket) == "138****5678"
    assert phone_for(session, handler, ticket) == "13812345678"
    assert not can_view(other, ticket)
    logged = session.scalars(select(PersonalDataView)).all()
    assert [(view.actor, view.field) for view in logged] == [("staff:h", "phone")]


def test_each_role_sees_its_own_tickets(session: Session) -> None:
    grid = current_city().grids[0].grid.id
    housing = _ticket(session, department="housing")
    ecology = _ticket(session, description="井盖丢了", department="ecology", grid=grid)
    handler = staff(session, Role.HANDLER, name="h", department="housing")
    admin = staff(session, Role.ADMIN, name="boss")
    worker = staff(session, Role.GRID_WORKER, name="w", grids=[grid])
    assert visible_tickets(session, handler) == [housing]
    assert visible_tickets(session, worker) == [ecology]
    assert set(visible_tickets(session, admin)) == {housing, ecology}
    assert visible_ticket(session, handler, ecology.number) is None
    assert visible_ticket(session, handler, housing.number) is housing
    assert visible_tickets(session, admin, TicketFilter(text="井盖")) == [ecology]
    found = visible_tickets(session, admin, TicketFilter(statuses=(Status.DISPATCHED,)))
    assert found == []


def test_the_workflow_and_roles_decide_the_actions(session: Session) -> None:
    ticket = _ticket(session)
    dispatcher = staff(session, Role.DISPATCHER, name="d")
    handler = staff(session, Role.HANDLER, name="h", department="housing")
    supervisor = staff(session, Role.SUPERVISOR, name="sup")
    assert allowed_actions(dispatcher, ticket) == [
        Action.DISPATCH,
        Action.RECATEGORIZE,
        Action.CLOSE,
        Action.MERGE,
    ]
    assert allowed_actions(supervisor, ticket) == []
    with pytest.raises(ActionError, match="无权"):
        perform(session, supervisor, ticket, Action.DISPATCH, department="housing")
    perform(session, dispatcher, ticket, Action.DISPATCH, department="housing")
    assert ticket.status is Status.DISPATCHED and ticket.department == "housing"
    assert allowed_actions(handler, ticket) == [
        Action.ACCEPT,
        Action.RETURN,
        Action.NOTE,
        Action.CO_HANDLE,
        Action.RECATEGORIZE,
    ]
    assert Action.REDISPATCH in allowed_actions(dispatcher, ticket)
    assert Action.DISPATCH not in allowed_actions(dispatcher, ticket)
    with pytest.raises(ActionError, match="原因"):
        perform(session, handler, ticket, Action.RETURN, note=" ")
    perform(session, handler, ticket, Action.ACCEPT)
    perform(session, handler, ticket, Action.NOTE, note="已联系物业")
    assert [note.text for note in notes(session, ticket)] == ["已联系物业"]
    perform(session, handler, ticket, Action.REPLY, note="已修复")
    with pytest.raises(ActionError, match="说明"):
        perform(session, dispatcher, ticket, Action.CLOSE)
    perform(session, dispatcher, ticket, Action.CLOSE, note="居民满意")
    assert ticket.status is Status.CLOSED


def test_merge_needs_an_open_other_ticket(session: Session) -> None:
    first, second = _ticket(session), _ticket(session)
    dispatcher = staff(session, Role.DISPATCHER, name="d")
    with pytest.raises(ActionError, match="不存在"):
        perform(session, dispatcher, second, Action.MERGE, into="nope", note="重复")
    with pytest.raises(ActionError, match="另一张"):
        perform(session, dispatcher, second, Action.MERGE, into=second.number, note="重复")
    perform(session, dispatcher, second, Action.MERGE, into=first.number, note="重复")
    assert second.status is Status.MERGED and second.merged_into_id == first.id
    assert session.scalar(select(func.count(StaffUser.id))) == 1


def test_admins_list_deactivate_reactivate_and_reset_accounts(session: Session) -> None:
    boss = staff(session, Role.ADMIN, name="boss")
    handler = staff(session, Role.HANDLER, name="h", department="housing")
    assert [user.username for user in list_users(session)] == ["boss", "h"]
    token = start_session(session, handler, now=T0)
    with pytest.raises(AccountError, match="自己"):
        set_active(session, boss, False, by=boss)
    set_active(session, handler, False, by=boss)
    assert find_login(session, token, now=T0) is None
    assert authenticate(session, "h", PASSWORD) is None
    set_active(session, handler, True, by=boss)
    token = start_session(session, handler, now=T0)
    with pytest.raises(AccountError, match="不一致"):
        check_confirmation("new password 1", "new password 2")
    with pytest.raises(AccountError, match="至少"):
        reset_password(session, handler, "short")
    reset_password(session, handler, "new password 1")
    assert find_login(session, token, now=T0) is None
    assert authenticate(session, "h", PASSWORD) is None
    assert authenticate(session, "h", "new password 1") is not None


def test_the_cli_takes_a_role_by_value_or_by_its_label(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIESU_DATABASE_URL", database_url)
    get_settings.cache_clear()
    add = ["users", "add", "--password-stdin", "--role"]
    by_label = CliRunner().invoke(
        cli, [*add, "承办人", "--department", "housing", "h"], f"{PASSWORD}\n"
    )
    assert by_label.exit_code == 0, by_label.output
    assert "已创建承办人账号 h" in by_label.output
    by_value = CliRunner().invoke(cli, [*add, "supervisor", "sup"], f"{PASSWORD}\n")
    assert "已创建督办账号 sup" in by_value.output
    unknown = CliRunner().invoke(cli, [*add, "boss", "b"], f"{PASSWORD}\n")
    assert unknown.exit_code == 2 and "grid_worker (网格员)" in unknown.output
    with session_scope(database_url) as session:
        assert [(user.username, user.role) for user in list_users(session)] == [
            ("h", Role.HANDLER),
            ("sup", Role.SUPERVISOR),
        ]
