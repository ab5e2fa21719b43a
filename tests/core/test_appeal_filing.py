"""Filing an appeal: routed, located, with deadlines, once per resident message; its status."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiesu.appeals import Assessment, Draft, assess, file_appeal
from jiesu.appeals.progress import status_reply
from jiesu.appeals.wording import filed_message
from jiesu.city import current_city
from jiesu.config import get_settings
from jiesu.db import session_scope
from jiesu.routing import Guess, Route
from jiesu.tickets import AppealType, Status, Ticket, change_status, history, staff_actor
from jiesu.tickets.attachments import attachment_path, attachments_of, store_attachment

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # Saturday 10:00 in the city
SENDER = "web:resident-1"
STREETLIGHT = Draft(
    AppealType.COMPLAIN,
    "路灯坏了好几天了，晚上很黑",
    address="建设路18号",
    happened="这几天",
    phone="13812345678",
)


def _assessment(draft: Draft, route: Route) -> Assessment:
    return Assessment.of(draft, route, current_city().locate(draft.address or ""))


def _sure(category: str, subcategory: str) -> Route:
    department = current_city().department_for(category, subcategory).name
    return Route(category, subcategory, department, 0.9, 0.5)


def test_a_confident_route_is_dispatched_with_grid_and_deadlines(database_url: str) -> None:
    assessment = _assessment(STREETLIGHT, _sure("城乡建设", "市政设施"))
    with session_scope(database_url) as session:
        ticket, created = file_appeal(
            session, STREETLIGHT, assessment, sender_id=SENDER, source_message_id="m1", now=T0
        )
        assert created
        assert ticket.status is Status.DISPATCHED
        assert (ticket.category, ticket.subcategory) == ("城乡建设", "市政设施")
        assert ticket.department == "urban-management"
        assert ticket.grid == assessment.grid_id is not None
        assert (ticket.address, ticket.happened, ticket.phone) == (
            "建设路18号",
            "这几天",
            "13812345678",
        )
        assert not ticket.anonymous and ticket.channel == "web"
        assert ticket.dispatch_due_at == T0 + timedelta(hours=24)
        # seven working days, counted from Monday: due at the end of Tuesday 8 December
        assert ticket.reply_due_at == datetime(2026, 12, 8, 16, 0, tzinfo=UTC)
        assert [(e.from_status, e.to_status) for e in history(session, ticket)] == [
            (None, Status.RECEIVED),
            (Status.RECEIVED, Status.DISPATCHED),
        ]
        message = filed_message(ticket)
    assert ticket.number in message and assessment.route.department in message
    assert "12月8日（周二）24:00" in message


def test_utilities_get_the_short_deadlines(database_url: str) -> None:
    draft = Draft(AppealType.SEEK_HELP, "家里停水一整天了", address="幸福里小区")
    with session_scope(database_url) as session:
        ticket, _ = file_appeal(
            session,
            draft,
            _assessment(draft, _sure("城乡建设", "供水")),
            sender_id=SENDER,
            source_message_id="m2",
            now=T0,
        )
        assert ticket.reply_due_at == T0 + timedelta(hours=24)
        assert ticket.anonymous


def test_an_unsure_route_waits_for_a_dispatcher(database_url: str) -> None:
    city = current_city()
    guesses = (
        Guess("城乡建设", None, 0.1),
        Guess("交通运输", "交通秩序", 0.09),
        Guess("环境保护", "市容环卫", 0.05),
    )
    unsure = Route("城乡建设", None, city.department_for("城乡建设").name, 0.1, 0.5, guesses)
    with session_scope(database_url) as session:
        ticket, _ = file_appeal(
            session,
            STREETLIGHT,
            _assessment(STREETLIGHT, unsure),
            sender_id=SENDER,
            source_message_id="m3",
            now=T0,
        )
        assert ticket.status is Status.RECEIVED
        assert ticket.department == city.dispatch_center.id
        assert ticket.category == "城乡建设"  # the guess, for the dispatcher
        assert ticket.dispatch_due_at == T0 + timedelta(hours=24)
        assert "分派承办单位" in filed_message(ticket)
        note = history(session, ticket)[0].note or ""
        assert "城乡建设 10%；交通运输/交通秩序 9%；环境保护/市容环卫 5%" in note


def test_filing_the_same_message_twice_makes_one_ticket(database_url: str) -> None:
    assessment = assess(STREETLIGHT)
    numbers = set()
    for _ in range(3):
        with session_scope(database_url) as session:
            ticket, _ = file_appeal(
                session, STREETLIGHT, assessment, sender_id=SENDER, source_message_id="same", now=T0
            )
            numbers.add(ticket.number)
    with session_scope(database_url) as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 1
    assert len(numbers) == 1


def test_status_by_number_and_for_the_resident(database_url: str) -> None:
    assessment = _assessment(STREETLIGHT, _sure("城乡建设", "市政设施"))
    with session_scope(database_url) as session:
        ticket, _ = file_appeal(
            session, STREETLIGHT, assessment, sender_id=SENDER, source_message_id="m4", now=T0
        )
        change_status(
            session,
            ticket,
            Status.IN_PROGRESS,
            actor=staff_actor("handler"),
            note="已安排维修班组，预计周二前修复",
            now=T0 + timedelta(hours=3),
        )
        number = ticket.number
    with session_scope(database_url) as session:
        by_number = status_reply(session, SENDER, number)
        mine = status_reply(session, SENDER, None)
        nobody = status_reply(session, "web:nobody", None)
    assert number in by_number and "正在办理" in by_number
    assert "已安排维修班组" in by_number and "答复期限" in by_number
    assert "13812345678" not in by_number and "路灯" not in by_number  # no personal data
    assert number in mine and "您最近的工单" in mine
    assert "没有查到" in nobody


@pytest.fixture
def attachments_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "attachments"
    monkeypatch.setenv("JIESU_ATTACHMENTS_DIR", str(folder))
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def test_photos_sent_before_filing_are_attached_once(
    database_url: str, attachments_dir: Path
) -> None:
    def photo(session: Session, message_id: str, sender: str = SENDER, when: datetime = T0) -> None:
        store_attachment(
            session,
            channel="telegram",
            source_message_id=message_id,
            sender_id=sender,
            data=b"\xff\xd8jpeg",
            suffix=".jpg",
            content_type="image/jpeg",
            now=when,
        )

    with session_scope(database_url) as session:
        photo(session, "u1")
        photo(session, "u1")  # re-delivered
        photo(session, "u2")
        photo(session, "u3", sender="telegram:someone-else")
        photo(session, "u4", when=T0 - timedelta(days=2))  # an abandoned appeal's
        with pytest.raises(ValueError):
            store_attachment(
                session,
                channel="telegram",
                source_message_id="u5",
                sender_id=SENDER,
                data=b"",
                suffix=".jpg",
                content_type="image/jpeg",
            )
    with session_scope(database_url) as session:
        ticket, _ = file_appeal(
            session,
            STREETLIGHT,
            assess(STREETLIGHT),
            sender_id=SENDER,
            source_message_id="m5",
            now=T0 + timedelta(minutes=5),
        )
        attached = attachments_of(session, ticket)
        assert [a.source_message_id for a in attached] == ["u1", "u2"]
        assert attachment_path(attached[0]).read_bytes() == b"\xff\xd8jpeg"
    assert len(list(attachments_dir.iterdir())) == 4


def test_a_sender_id_that_is_no_conversation_id_is_filed_as_its_own_channel(
    database_url: str,
) -> None:
    with session_scope(database_url) as session:
        shell, _ = file_appeal(
            session, STREETLIGHT, assess(STREETLIGHT), sender_id="default", source_message_id="1"
        )
        web, _ = file_appeal(
            session, STREETLIGHT, assess(STREETLIGHT), sender_id=SENDER, source_message_id="2"
        )
        assert (shell.channel, web.channel) == ("default", "web")
