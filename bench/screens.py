"""Console screenshots (app environment): `make bench` runs it.

Starts the web app on a temporary SQLite database, files sample appeals through the
core services (routing, grid location, deadlines; a few answered, merged or late),
records sample unanswered policy questions and feedback, logs in as an admin and
saves full-page PNGs of the main console pages into bench/results/screens/. Pages
another feature has not built yet (answering other than 200) are skipped.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import select
from sqlalchemy.orm import Session

from jiesu.appeals.filing import Draft, assess, file_appeal
from jiesu.city import current_city
from jiesu.db import session_scope
from jiesu.faq import record_feedback, record_unanswered, search
from jiesu.loop.rework import record_first_rounds
from jiesu.migrate import upgrade
from jiesu.models import utcnow
from jiesu.staff.accounts import create_user
from jiesu.staff.roles import Role
from jiesu.tickets import AppealType, Status, Ticket
from jiesu.tickets.service import change_status, merge

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "screens"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ADMIN = "admin"
# The sample appeal merged into the first (the same lift).
MERGED = 4

# (appeal type, what the resident wrote, address, days ago); repeated issues make hot issues.
APPEALS: list[tuple[AppealType, str, str | None, float]] = [
    *[
        (AppealType.COMPLAIN, text, "幸福里小区", days)
        for text, days in (
            ("幸福里小区3号楼电梯又坏了，老人上下楼很困难", 1.2),
            ("幸福里小区电梯经常停运，物业不修", 2.5),
            ("幸福里小区3号楼电梯坏了一个星期了", 4.1),
            ("幸福里小区电梯困人，物业半小时才来", 6.3),
            ("幸福里小区电梯故障频繁，希望彻底维修", 12.0),
        )
    ],
    *[
        (AppealType.COMPLAIN, text, "望湖路66号", days)
        for text, days in (
            ("望湖路66号工地夜间施工噪音太大，凌晨还在干", 0.6),
            ("望湖路66号工地晚上施工噪音扰民", 1.9),
            ("望湖路66号附近工地夜间施工，吵得睡不着", 3.4),
            ("望湖路66号工地噪音扰民，晚上十一点还在施工", 9.5),
        )
    ],
    *[
        (AppealType.REPORT, text, "柳岸菜市场", days)
        for text, days in (
            ("柳岸菜市场门口占道经营，堵得车过不去", 2.2),
            ("柳岸菜市场门口流动摊贩占道经营", 5.0),
            ("柳岸菜市场外面占道摆摊，垃圾很多", 20.0),
        )
    ],
    (AppealType.SEEK_HELP, "人民路25号路灯不亮，晚上很黑", "人民路25号", 3.0),
    (AppealType.SEEK_HELP, "湖滨路30号下水道堵塞，污水漫到路上", "湖滨路30号", 7.0),
    (AppealType.COMPLAIN, "阳光花园小区楼下烧烤油烟扰民", "阳光花园", 8.0),
    (AppealType.SUGGEST, "建议在东湖广场增加几个公共厕所", "东湖广场", 10.0),
    (AppealType.PRAISE, "表扬湖滨社区网格员，帮独居老人修好了水管", "滨湖新村", 11.0),
    (AppealType.COMPLAIN, "柳荫小区停水两天了，没有任何通知", "柳荫小区", 13.0),
    (AppealType.SEEK_HELP, "锦绣华庭小区门口井盖缺失，很危险", "锦绣华庭", 15.0),
    (AppealType.COMPLAIN, "湖畔名苑物业乱收停车费", "湖畔名苑", 16.0),
    (AppealType.REPORT, "望湖苑有人违章搭建，在楼顶加盖房子", "望湖苑", 18.0),
    (AppealType.COMPLAIN, "15路公交车经常不按时到站", None, 19.0),
    (AppealType.SEEK_HELP, "示例市第一中学门口红绿灯坏了", "示例市第一中学", 22.0),
    (AppealType.COMPLAIN, "柳岸街的垃圾桶满了好几天没人清运", "柳岸街", 24.0),
    (AppealType.SUGGEST, "建议人民公园延长开放时间", "人民公园", 26.0),
    (AppealType.COMPLAIN, "东湖区人民医院附近停车难，乱停车严重", "东湖区人民医院", 27.0),
    (AppealType.CONSULT, "公租房申请需要哪些材料", None, 28.0),
]

UNANSWERED = [
    "无人机飞行备案怎么办理",
    "无人机飞行要去哪里备案",
    "在公园放无人机需要审批吗",
    "养蜜蜂需要去哪里登记",
    "电动自行车上牌要带什么",
    "电动车上牌在哪里办",
    "老年人乘公交免费卡怎么办理",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _progress(session: Session, ticket: Ticket, filed: datetime, now: datetime) -> None:
    """Move older tickets on: dispatched if routing was unsure, most answered in time, a
    few left late, the newest left in the dispatchers' queue."""
    age = now - filed
    if age < timedelta(days=2):
        return
    if ticket.status is Status.RECEIVED and ticket.category is not None:
        change_status(
            session,
            ticket,
            Status.DISPATCHED,
            actor="staff:dispatcher",
            now=filed + timedelta(hours=1),
        )
        ticket.department = current_city().department_for(ticket.category, ticket.subcategory).id
    if ticket.status is not Status.DISPATCHED:
        return
    accepted = filed + timedelta(hours=3)
    change_status(session, ticket, Status.IN_PROGRESS, actor="staff:handler", now=accepted)
    if ticket.id % 4 == 0:
        return  # still being handled; late once its deadline passes
    change_status(
        session,
        ticket,
        Status.REPLIED,
        actor="staff:handler",
        note="已处理并回复居民。",
        now=filed + timedelta(days=1, hours=6),
    )
    if age > timedelta(days=7):
        change_status(
            session,
            ticket,
            Status.CLOSED,
            actor="staff:dispatcher",
            note="居民确认已解决。",
            now=filed + timedelta(days=3),
        )


def seed(database_url: str, password: str) -> None:
    """Sample tickets, questions and feedback, filed through the core services."""
    now = utcnow()
    with session_scope(database_url) as session:
        create_user(session, ADMIN, password, Role.ADMIN)
        filed: list[Ticket] = []
        for n, (kind, text, address, days) in enumerate(APPEALS):
            when = now - timedelta(days=days)
            draft = Draft(
                appeal_type=kind, description=text, address=address, phone=f"1380000{n:04d}"
            )
            ticket, _ = file_appeal(
                session,
                draft,
                assess(draft),
                sender_id=f"web:sample-{n}",
                source_message_id=f"sample-{n}",
                now=when,
            )
            filed.append(ticket)
            if n == MERGED:
                merge(
                    session,
                    ticket,
                    into=filed[0],
                    actor="staff:dispatcher",
                    note="与主工单为同一电梯问题，合并办理。",
                    now=when + timedelta(hours=2),
                )
            else:
                _progress(session, ticket, when, now)
        record_first_rounds(session)
    for n, question in enumerate(UNANSWERED):
        result = search(question, url=database_url)
        if result.answered:
            continue  # the assistant records only what it could not answer
        with session_scope(database_url) as session:
            record_unanswered(session, f"web:question-{n}", question, result)
    with session_scope(database_url) as session:
        for n, (helpful, comment) in enumerate(
            [(False, "公租房租金太贵了能减免吗"), (False, "公租房排队要多久"), (True, None)]
        ):
            record_feedback(session, "public-rental-rent", f"web:fb-{n}", helpful, comment)


def _shoot(page: Page, url: str, name: str) -> bool:
    response = page.goto(url)
    if response is None or response.status != 200:
        print(f"  跳过 {name}：{url} 返回 {response.status if response else '无响应'}")
        return False
    if page.locator(".chart").count():
        page.wait_for_selector(".chart canvas")
        page.wait_for_timeout(1500)  # let the charts' animation finish
    page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)
    print(f"  {name}.png")
    return True


def main() -> int:
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="jiesu-screens-") as workdir:
        database_url = f"sqlite:///{Path(workdir) / 'jiesu.db'}"
        upgrade(database_url)
        password = secrets.token_urlsafe(12)
        seed(database_url, password)
        port = _free_port()
        env = {
            **os.environ,
            "JIESU_DATABASE_URL": database_url,
            "JIESU_WEB_PORT": str(port),
            "JIESU_SECRET_KEY": secrets.token_urlsafe(32),
        }
        url = f"http://127.0.0.1:{port}"
        with (Path(workdir) / "web.log").open("wb") as log:
            web = subprocess.Popen(
                [sys.executable, "-m", "jiesu.cli", "web"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                _wait(f"{url}/healthz", web)
                _screens(url, password, database_url)
            finally:
                web.terminate()
                web.wait(timeout=20)
    return 0


def _wait(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"web app exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def _screens(url: str, password: str, database_url: str) -> None:
    with session_scope(database_url) as session:
        number = session.scalars(
            select(Ticket.number).order_by(Ticket.created_at.desc()).limit(1)
        ).one()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/login")
        page.fill("input[name=username]", ADMIN)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        print(f"控制台截图 → {RESULTS.relative_to(ROOT)}/")
        pages = [
            ("/", "home"),
            ("/tickets", "tickets"),
            (f"/tickets/{number}", "ticket"),
            ("/dashboard", "dashboard"),
            ("/hot", "hot"),
            ("/faq/gaps", "faq_gaps"),
            ("/handoffs", "handoffs"),
            ("/alerts", "alerts"),
        ]
        for path, name in pages:
            _shoot(page, f"{url}{path}", name)
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
