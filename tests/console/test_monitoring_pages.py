"""The dashboard, hot issues, FAQ gaps and exports in a real browser (Debian's Chromium via
Playwright) on the real web app, without Rasa, on a database of this module's own."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from jiesu.db import session_scope
from jiesu.faq import SearchResult, record_unanswered, search
from jiesu.staff.roles import Role
from jiesu.tickets import AppealType, Status, get_by_number
from jiesu.tickets.service import change_status
from tests.console.pages import log_in
from tests.factories import file_ticket, staff_in
from tests.servers import WebApp

PERIOD = "from=2024-02-01&to=2024-02-14"
T0 = datetime(2024, 2, 5, 2, 0, tzinfo=UTC)
INJECTION = '=HYPERLINK("http://example.com","点我")'


@pytest.fixture(scope="module")
def february(web_app: WebApp) -> dict[str, list[str]]:
    """Five tickets in 2024-02-01..14: civil affairs 3 (one a consultation), agriculture 2
    (one overdue, one with a formula as its words)."""
    with session_scope(web_app.database_url) as session:
        civil = [
            file_ticket(
                session,
                f"养老服务补贴咨询 {n}",
                T0 + timedelta(days=n),
                category="民政",
                department="civil-affairs",
                grid="hubin-sq-1",
                appeal_type=AppealType.CONSULT,
            ).number
            for n in range(2)
        ]
        civil.append(
            file_ticket(
                session,
                "社区食堂饭菜质量差",
                T0,
                category="民政",
                department="civil-affairs",
                grid="liuan-1",
            ).number
        )
        late = file_ticket(
            session,
            "大棚补贴迟迟未发",
            T0,
            category="农业农村",
            department="agriculture",
            reply_due_at=T0 + timedelta(days=5),
        )
        change_status(session, late, Status.DISPATCHED, actor="system", now=T0)
        formula = file_ticket(
            session,
            INJECTION,
            T0 + timedelta(days=1),
            category="农业农村",
            department="agriculture",
        )
        return {"civil-affairs": civil, "agriculture": [late.number, formula.number]}


def _figures(page: Page, table: str) -> dict[str, list[str]]:
    rows = page.locator(f"#{table} table tbody tr")
    return {
        cells[0]: cells[1:]
        for cells in (rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count()))
    }


def test_the_dashboard_shows_the_periods_numbers_in_tables_and_charts(
    page: Page, web_app: WebApp, february: dict[str, list[str]]
) -> None:
    log_in(page, web_app.url, staff_in(web_app, Role.SUPERVISOR))
    page.goto(f"{web_app.url}/dashboard?{PERIOD}")
    expect(page.locator("h1")).to_have_text("统计督办")
    expect(page.locator("#total")).to_have_text("5")
    assert _figures(page, "by_category") == {"民政": ["3"], "农业农村": ["2"]}
    assert _figures(page, "by_grid") == {
        "未定位": ["2"],
        "湖滨街道·湖滨社区第一网格": ["2"],
        "湖滨街道·柳岸社区网格": ["1"],
    }
    assert _figures(page, "by_appeal_type") == {"投诉或反映问题": ["3"], "政策和办事咨询": ["2"]}
    assert _figures(page, "by_day")["02-05"] == ["3"]
    assert _figures(page, "overdue_by_department") == {"示例市农业农村局": ["1", "2"]}
    assert list(_figures(page, "rates_trend")) == ["02-01至02-07", "02-08至02-14"]
    expect(page.locator("#by_category .chart canvas")).to_have_count(1)
    expect(page.locator("#rates_trend .chart canvas")).to_have_count(1)


def test_a_handler_sees_only_their_departments_numbers(
    page: Page, web_app: WebApp, february: dict[str, list[str]]
) -> None:
    log_in(page, web_app.url, staff_in(web_app, Role.HANDLER, department="agriculture"))
    page.goto(f"{web_app.url}/dashboard?{PERIOD}")
    expect(page.locator("#total")).to_have_text("2")
    assert _figures(page, "by_category") == {"农业农村": ["2"]}
    response = page.request.get(f"{web_app.url}/exports/tickets.csv?{PERIOD}")
    rows = list(csv.reader(io.StringIO(response.body().decode("utf-8-sig"))))
    assert sorted(row[0] for row in rows[1:]) == sorted(february["agriculture"])


def test_exports_hold_the_filtered_tickets_with_formulas_defused(
    page: Page, web_app: WebApp, february: dict[str, list[str]]
) -> None:
    log_in(page, web_app.url, staff_in(web_app, Role.ADMIN))
    query = f"{PERIOD}&department=agriculture"
    csv_response = page.request.get(f"{web_app.url}/exports/tickets.csv?{query}")
    assert csv_response.status == 200
    assert csv_response.headers["content-type"].startswith("text/csv")
    body = csv_response.body()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = {row[0]: row for row in csv.reader(io.StringIO(body.decode("utf-8-sig")))}
    late, formula = february["agriculture"]
    assert set(rows) == {"编号", late, formula}
    assert rows[formula][-1] == "'" + INJECTION
    assert rows[late][rows["编号"].index("是否超期")] == "是"

    xlsx = page.request.get(f"{web_app.url}/exports/tickets.xlsx?{PERIOD}&category=民政")
    sheet = load_workbook(io.BytesIO(xlsx.body())).active
    assert sheet is not None
    numbers = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(numbers) == sorted(february["civil-affairs"])

    book = load_workbook(
        io.BytesIO(page.request.get(f"{web_app.url}/exports/dashboard.xlsx?{PERIOD}").body())
    )
    assert "按分类" in book.sheetnames and "三率周趋势" in book.sheetnames
    assert dict(book["按分类"].iter_rows(min_row=2, values_only=True)) == {"民政": 3, "农业农村": 2}
    rates = page.request.get(f"{web_app.url}/exports/rates.csv?{PERIOD}")
    assert rates.body().decode("utf-8-sig").startswith("承办单位,应响应,已响应")
    assert page.request.get(f"{web_app.url}/exports/dashboard/nothing.csv").status == 404


def _lamp_tickets(stack: WebApp) -> list[str]:
    """Three reports of one missing manhole cover, at a place only this test uses."""
    road = f"望湖路{uuid.uuid4().int % 80 + 1}号"
    texts = ("门口窨井盖丢了，很危险", "门口窨井盖丢了好几天，很危险", "门口窨井盖丢了，晚上很危险")
    with session_scope(stack.database_url) as session:
        return [
            file_ticket(session, f"{road}{text}", datetime.now(UTC), address=road).number
            for text in texts
        ]


def test_a_dispatcher_merges_a_hot_issue_into_its_lead_ticket(page: Page, web_app: WebApp) -> None:
    lead, *others = _lamp_tickets(web_app)
    log_in(page, web_app.url, staff_in(web_app, Role.DISPATCHER))
    page.goto(f"{web_app.url}/hot")
    cluster = page.locator("section.cluster", has=page.get_by_role("link", name=lead))
    expect(cluster.locator(".size")).to_have_text("3")
    for number in others:
        expect(cluster.get_by_role("link", name=number)).to_be_visible()
    expect(page.locator(".keywords li").first).to_be_visible()
    cluster.locator("summary").click()
    cluster.locator("select[name=lead]").select_option(lead)
    cluster.locator("form.merge button[type=submit]").click()
    expect(page.locator(".outcome .merged")).to_have_text(f"已合并到 {lead}：{'、'.join(others)}")
    with session_scope(web_app.database_url) as session:
        for number in others:
            ticket = get_by_number(session, number)
            assert ticket is not None and ticket.status is Status.MERGED


def test_a_handler_sees_hot_issues_without_the_merge_form(page: Page, web_app: WebApp) -> None:
    _lamp_tickets(web_app)
    log_in(page, web_app.url, staff_in(web_app, Role.HANDLER, department="housing"))
    page.goto(f"{web_app.url}/hot")
    expect(page.locator("h1")).to_have_text("热点问题")
    expect(page.locator("form.merge")).to_have_count(0)


def test_staff_fill_a_faq_gap_and_the_assistant_answers_it_at_once(
    page: Page, web_app: WebApp, dialogs: list[str]
) -> None:
    topic = f"无人机{uuid.uuid4().hex[:4]}"
    asked = [f"{topic}飞行备案怎么办理", f"{topic}飞行要备案吗", "<script>alert(1)</script>"]
    with session_scope(web_app.database_url) as session:
        for question in asked:
            record_unanswered(session, "web:gaps", question, SearchResult(answered=False))
    log_in(page, web_app.url, staff_in(web_app, Role.DISPATCHER))
    page.goto(f"{web_app.url}/faq/gaps")
    gap = page.locator("li.gap", has_text=f"{topic}飞行要备案吗")
    expect(gap.locator(".count").first).to_have_text("2")
    expect(page.locator("li.gap", has_text="<script>alert(1)</script>")).to_have_count(1)
    gap.locator("summary").click()
    gap.locator("textarea[name=answer]").fill("在民航局无人驾驶航空器综合管理平台实名登记。")
    gap.locator("input[name=department]").fill("示例市公安局")
    gap.locator("input[name=source]").fill("《无人驾驶航空器飞行管理暂行条例》")
    gap.locator("button[type=submit]").click()
    expect(page.locator(".added")).to_contain_text("已新增问答条目 staff-")
    result = search(f"{topic}飞行要备案吗", url=web_app.database_url)
    assert result.answered and result.matches[0].id.startswith("staff-")
    filled = page.locator("li.gap", has_text=f"{topic}飞行要备案吗")
    expect(filled.locator(".merged")).to_be_visible()
    assert dialogs == []


def test_a_supervisor_may_read_the_gaps_but_not_add_entries(page: Page, web_app: WebApp) -> None:
    log_in(page, web_app.url, staff_in(web_app, Role.SUPERVISOR))
    page.goto(f"{web_app.url}/faq/gaps")
    expect(page.locator("h1")).to_have_text("问答缺口")
    expect(page.locator("form.gap-form")).to_have_count(0)
    token = page.locator("form.inline input[name=csrf_token]").get_attribute("value")
    response = page.request.post(
        f"{web_app.url}/faq/gaps/entries",
        form={
            "csrf_token": token or "",
            "question": "问",
            "answer": "答",
            "department": "部门",
            "source": "文件",
        },
    )
    assert response.status == 403
