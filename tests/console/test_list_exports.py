"""Exports of the console lists (hot issues, FAQ gaps, alerts, handoffs, users) in a real
browser on the web app alone: the page's export links, the page's permissions and query
parameters, CSV with a BOM and workbooks openpyxl reads back."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

from openpyxl import load_workbook
from playwright.sync_api import APIResponse, Page

from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.faq import record_unanswered
from jiesu.faq.retrieval import SearchResult
from jiesu.handoff import service
from jiesu.handoff.models import HandoffReason
from jiesu.labels import department_name
from jiesu.loop.alerts import raise_alerts
from jiesu.models import utcnow
from jiesu.staff.roles import Role
from jiesu.tickets import Status, change_status
from tests.console.pages import log_in
from tests.factories import file_ticket, staff_in
from tests.servers import WebApp

PHONE = "13812345678"


def _csv(response: APIResponse) -> list[list[str]]:
    assert response.status == 200, response.text()
    assert response.headers["content-type"].startswith("text/csv")
    body = response.body()
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _sheets(response: APIResponse) -> dict[str, list[tuple[object, ...]]]:
    assert response.status == 200, response.text()
    book = load_workbook(io.BytesIO(response.body()))
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def _link(page: Page, text: str) -> str:
    """The page's export link named `text`, as a full URL."""
    href = page.locator("p.exports a", has_text=text).first.get_attribute("href")
    assert href is not None
    return page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2] + href


def test_hot_issue_exports_follow_the_pages_day_window(page: Page, web_app: WebApp) -> None:
    road = f"观澜路{uuid.uuid4().int % 80 + 1}号"
    texts = ("门口窨井盖丢了，很危险", "门口窨井盖丢了好几天，很危险", "门口窨井盖丢了，晚上很危险")
    with session_scope(web_app.database_url) as session:
        numbers = [
            file_ticket(
                session,
                f"{road}{text}",
                utcnow() - timedelta(days=20),
                address=road,
                department="housing",
                phone=PHONE,
            ).number
            for text in texts
        ]
    log_in(page, web_app.url, staff_in(web_app, Role.HANDLER, department="housing"))
    page.goto(f"{web_app.url}/hot?days=30")
    rows = _csv(page.request.get(_link(page, "CSV")))
    assert rows[0][:2] == ["排名", "工单数"]
    members = {number for row in rows[1:] for number in row[-1].split("、")}
    assert set(numbers) <= members
    sheets = _sheets(page.request.get(_link(page, "Excel")))
    assert list(sheets) == ["热点问题", "上升关键词"]
    assert [row[-1] for row in sheets["热点问题"][1:]] == [row[-1] for row in rows[1:]]
    assert PHONE not in page.request.get(_link(page, "CSV")).text()

    page.goto(f"{web_app.url}/hot?days=7")
    week = _csv(page.request.get(_link(page, "CSV")))
    assert not set(numbers) & {n for row in week[1:] for n in row[-1].split("、")}


def test_faq_gap_exports_follow_the_pages_day_window(page: Page, web_app: WebApp) -> None:
    topic = f"外星人{uuid.uuid4().hex[:4]}"
    with session_scope(web_app.database_url) as session:
        for when, text in ((0, "降落在广场上怎么办"), (60, "降落在公园里怎么办")):
            asked = record_unanswered(session, "web:x", topic + text, SearchResult(answered=False))
            asked.created_at = utcnow() - timedelta(days=when)
    log_in(page, web_app.url, staff_in(web_app, Role.SUPERVISOR))
    page.goto(f"{web_app.url}/faq/gaps?days=30")
    questions = {row[1] for row in _csv(page.request.get(_link(page, "未能回答的问题")))[1:]}
    assert f"{topic}降落在广场上怎么办" in questions
    assert f"{topic}降落在公园里怎么办" not in questions
    assert _csv(page.request.get(_link(page, "没有帮助")))[0][:2] == ["条目编号", "条目"]
    sheets = _sheets(page.request.get(_link(page, "Excel")))
    assert list(sheets) == ["未能回答的问题", "没有帮助的条目"]
    page.goto(f"{web_app.url}/faq/gaps?days=90")
    everything = _sheets(page.request.get(_link(page, "Excel")))["未能回答的问题"]
    wordings = {str(row[1]) for row in everything} | {
        wording for row in everything for wording in str(row[2] or "").split("、")
    }  # both, whether grouped together or not
    assert {f"{topic}降落在广场上怎么办", f"{topic}降落在公园里怎么办"} <= wordings


def test_a_handlers_alerts_export_holds_only_their_departments_alerts(
    page: Page, web_app: WebApp
) -> None:
    now = utcnow()
    filed = now - timedelta(days=6)
    with session_scope(web_app.database_url) as session:
        numbers = {}
        for department in ("ecology", "housing"):
            ticket = file_ticket(
                session,
                f"{department} 超期未答复",
                filed,
                department=department,
                phone=PHONE,
                reply_due_at=now - timedelta(hours=1),
            )
            change_status(session, ticket, Status.DISPATCHED, actor="system", now=filed)
            numbers[department] = ticket.number
        raise_alerts(session, now, 0.8)
    log_in(page, web_app.url, staff_in(web_app, Role.HANDLER, department="ecology"))
    page.goto(f"{web_app.url}/alerts")
    rows = _csv(page.request.get(_link(page, "CSV")))
    assert rows[0][3:6] == ["工单编号", "诉求内容", "责任方"]
    assert numbers["ecology"] in {row[3] for row in rows[1:]}
    assert {row[5] for row in rows[1:]} == {department_name("ecology")}
    sheets = _sheets(page.request.get(_link(page, "Excel")))
    assert [row[3] for row in sheets["督办提醒"][1:]] == [row[3] for row in rows[1:]]
    by_department = dict(_csv(page.request.get(_link(page, "按承办单位")))[1:])
    assert int(by_department[department_name("housing")]) >= 1  # the counts are city-wide
    assert _csv(page.request.get(_link(page, "按网格")))[0] == ["网格", "超期工单"]
    assert PHONE not in str(sheets)


def test_handoff_exports_are_for_those_who_may_read_the_inbox(page: Page, web_app: WebApp) -> None:
    chat = uuid.uuid4().hex
    with session_scope(web_app.database_url) as session:
        service.open_handoff(
            session, ConversationId.build("web", chat), HandoffReason.REQUESTED, now=utcnow()
        )
    log_in(page, web_app.url, staff_in(web_app, Role.HANDLER, department="housing"))
    assert page.request.get(f"{web_app.url}/exports/handoffs.csv").status == 403
    assert page.request.get(f"{web_app.url}/exports/handoffs.xlsx").status == 403
    page.goto(f"{web_app.url}/tickets")
    page.click("button.link")  # log out
    log_in(page, web_app.url, staff_in(web_app, Role.SUPERVISOR))
    page.goto(f"{web_app.url}/handoffs")
    rows = _csv(page.request.get(_link(page, "CSV")))
    assert rows[0] == [
        "会话",
        "原因",
        "状态",
        "接待人",
        "转入时间",
        "等待时长",
        "首次响应",
        "居民最新留言时间",
    ]
    mine = [row for row in rows if row[0] == f"网页 · …{chat[-4:]}"]
    assert [row[1:3] for row in mine] == [["居民要求", "等待接入"]]
    assert chat not in page.request.get(_link(page, "Excel")).body().decode("latin-1")


def test_only_admins_export_the_users(page: Page, web_app: WebApp) -> None:
    handler = staff_in(web_app, Role.HANDLER, department="housing")
    log_in(page, web_app.url, handler)
    for path in ("users.csv", "users.xlsx", "users/users.csv"):
        assert page.request.get(f"{web_app.url}/exports/{path}").status == 403
    page.goto(f"{web_app.url}/tickets")
    page.click("button.link")  # log out
    log_in(page, web_app.url, staff_in(web_app, Role.ADMIN))
    page.goto(f"{web_app.url}/users")
    rows = {row[0]: row for row in _csv(page.request.get(_link(page, "CSV")))}
    assert rows["用户名"] == ["用户名", "角色", "承办单位", "网格", "状态"]
    assert rows[handler] == [handler, "承办人", department_name("housing"), "", "启用"]
    sheet = _sheets(page.request.get(_link(page, "Excel")))["用户"]
    assert (handler, "承办人", department_name("housing"), None, "启用") in sheet


def test_the_ticket_list_links_its_export_with_the_current_filters(
    page: Page, web_app: WebApp
) -> None:
    with session_scope(web_app.database_url) as session:
        number = file_ticket(
            session,
            "导出链接测试",
            utcnow(),
            category="民政",
            department="civil-affairs",
            phone=PHONE,
        ).number
    log_in(page, web_app.url, staff_in(web_app, Role.ADMIN))
    page.goto(f"{web_app.url}/tickets?q={number}&department=civil-affairs")
    rows = _csv(page.request.get(_link(page, "CSV")))
    assert [row[0] for row in rows[1:]] == [number]
    assert PHONE not in str(rows)
    sheet = _sheets(page.request.get(_link(page, "Excel")))["工单列表"]
    assert [row[0] for row in sheet[1:]] == [number]
    assert page.request.get(f"{web_app.url}/exports/nothing.csv").status == 404
    assert page.request.get(f"{web_app.url}/exports/hot.pdf").status == 404
    assert page.request.get(f"{web_app.url}/exports/alerts/nothing.csv").status == 404
