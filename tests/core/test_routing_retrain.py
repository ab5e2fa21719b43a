"""Retraining the router from the city's own tickets (`jiesu train routing --from-db`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from jiesu.cli import app
from jiesu.config import get_settings
from jiesu.db import session_scope
from jiesu.routing.retrain import MIN_TICKETS, LabelledTicket, labelled_tickets, retrain
from jiesu.routing.router import lexicon_router
from jiesu.tickets import AppealType, Status, Ticket, change_status
from jiesu.tickets.assignment import change_category
from jiesu.tickets.service import create_ticket

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
_OLDER = {
    "城乡建设": [
        "小区电梯又坏了",
        "物业不管楼道杂物",
        "路灯不亮好几天",
        "停电一整天",
        "下水道堵塞污水外溢",
        "开发商延期交房",
    ],
    "交通运输": [
        "公交车司机态度差",
        "出租车拒载",
        "路口红绿灯坏了",
        "网约车绕路",
        "共享单车乱停",
        "公交车不准点",
    ],
}
# The newest tickets bring a category the older ones never had.
_NEWEST = ["老板拖欠工资三个月", "公司不给交社保", "被公司无故辞退", "工地包工头欠薪"]


def _tickets() -> list[LabelledTicket]:
    rows = [(text, label) for label, texts in _OLDER.items() for text in texts] * 3
    rows += [(text, "劳动和社会保障") for text in _NEWEST]
    return [
        LabelledTicket(f"市民反映：{text}", label, (i,)) for i, (text, label) in enumerate(rows)
    ]


def test_a_worse_model_is_refused(tmp_path: Path) -> None:
    tickets = _tickets()
    gold = {t.text: t.category for t in tickets}
    out = tmp_path / "routing.joblib"
    outcome = retrain(
        tickets, lexicon_router().lexicon, lambda texts: [gold[text] for text in texts], out
    )
    assert not outcome.replaced
    assert outcome.candidate["macro_f1"] < outcome.current["macro_f1"] == 1.0
    assert not out.exists()


def test_a_better_model_replaces_the_current_one(tmp_path: Path) -> None:
    out = tmp_path / "routing.joblib"
    outcome = retrain(
        _tickets(), lexicon_router().lexicon, lambda texts: ["交通运输"] * len(texts), out
    )
    assert outcome.replaced and out.exists()
    assert outcome.candidate["macro_f1"] >= outcome.current["macro_f1"]
    assert outcome.report()["held_out"] == round(0.2 * len(_tickets()))


def test_too_few_tickets_teach_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="至少需要"):
        retrain(_tickets()[: MIN_TICKETS - 1], lexicon_router().lexicon, lambda t: [], tmp_path)


def _file(session: Session, text: str, category: str, n: int) -> Ticket:
    ticket, _ = create_ticket(
        session,
        channel="web",
        source_message_id=f"m{n}",
        sender_id="web:r",
        appeal_type=AppealType.COMPLAIN,
        description=text,
        category=category,
        actor="resident:web:r",
        now=T0 + timedelta(minutes=n),
    )
    return ticket


def test_training_data_is_closed_tickets_and_corrections(database_url: str) -> None:
    with session_scope(database_url) as session:
        closed = _file(session, "路灯不亮", "城乡建设", 1)
        change_status(
            session,
            closed,
            Status.CLOSED,
            actor="staff:d",
            note="已答复",
            now=T0 + timedelta(hours=1),
        )
        _file(session, "还在办理的工单", "城乡建设", 2)
        corrected = _file(session, "公交站牌被撞坏了", "城乡建设", 3)
        change_category(
            session, corrected, "交通运输", None, actor="staff:d", now=T0 + timedelta(hours=2)
        )
    with session_scope(database_url) as session:
        found = [(t.text, t.category) for t in labelled_tickets(session)]
    assert found == [("路灯不亮", "城乡建设"), ("公交站牌被撞坏了", "交通运输")]


def test_cli_from_db_refuses_without_enough_tickets(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIESU_DATABASE_URL", database_url)
    monkeypatch.setenv("JIESU_ROUTING_MODEL", str(tmp_path / "routing.joblib"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["train", "routing", "--from-db"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "至少需要" in result.output
    assert not (tmp_path / "routing.joblib").exists()
