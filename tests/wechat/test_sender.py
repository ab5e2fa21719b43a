"""The WeChat outbox sender and the shared access token, against the recording API server."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.wechat import followers, replies
from bot.wechat.client import AccessTokens, Client
from bot.wechat.config import WeChatSettings
from bot.wechat.sender import QUOTA_PAUSE, OutboxSender
from jiesu import outbox
from jiesu.db import session_scope
from jiesu.models import utcnow
from jiesu.tickets import notices
from tests.factories import file_ticket
from tests.wechat.conftest import wechat_settings
from tests.wechat.fake_api import FakeWeChatApi

OPENID = "oAbCdEfGhIjKlMnOpQrStUvWxYz0"


def wrote(database_url: str, hours_ago: float, openid: str = OPENID) -> None:
    """The resident's last message, `hours_ago` hours ago."""
    with session_scope(database_url) as session:
        followers.seen(session, openid, utcnow() - timedelta(hours=hours_ago))


def queue(database_url: str, text: str, buttons: list[dict[str, str]] | None = None) -> int:
    with session_scope(database_url) as session:
        message = outbox.notify(session, f"wechat:{OPENID}", text, buttons)
        assert message is not None
        return message.id


def dispatch_notice(database_url: str) -> tuple[int, str]:
    """A WeChat resident's ticket dispatched as staff do it: the notice the ticket core
    queues, and the ticket's number."""
    with session_scope(database_url) as session:
        ticket = file_ticket(
            session,
            channel="wechat",
            sender_id=f"wechat:{OPENID}",
            department="housing",
            reply_due_at=utcnow() + timedelta(days=7),
        )
        message = notices.dispatched(session, ticket)
        assert message is not None and ticket.number in message.text
        return message.id, ticket.number


def row(database_url: str, message_id: int) -> tuple[str, int, str | None]:
    with session_scope(database_url) as session:
        message = session.get_one(outbox.OutboxMessage, message_id)
        return message.status, message.attempts, message.last_error


def sender_for(api: FakeWeChatApi, database_url: str, **changes: str) -> OutboxSender:
    settings = wechat_settings(api, **changes)
    return OutboxSender(Client(settings, database_url), settings, database_url)


def test_within_the_window_a_customer_service_message_with_numbered_choices(
    api: FakeWeChatApi, database_url: str
) -> None:
    wrote(database_url, hours_ago=47)
    survey = [{"title": "解决了", "payload": "/affirm"}, {"title": "没解决", "payload": "/deny"}]
    message_id = queue(database_url, "请问问题解决了吗？", survey)
    sender = sender_for(api, database_url)
    assert sender.send_due() == 1
    [sent] = api.called("message/custom/send")
    assert sent.body["touser"] == OPENID
    content = sent.body["text"]["content"]
    assert content.startswith("请问问题解决了吗？") and "1. 解决了" in content
    assert row(database_url, message_id)[0] == outbox.SENT
    with session_scope(database_url) as session:  # the survey is answerable by its number
        assert replies.chosen(session, OPENID, "2") == "/deny"
    assert sender.send_due() == 0


def test_outside_the_window_a_ticket_notice_goes_as_a_template_message(
    api: FakeWeChatApi, database_url: str
) -> None:
    wrote(database_url, hours_ago=49)
    message_id, number = dispatch_notice(database_url)
    sender_for(api, database_url, notice_template_id="tpl-notice").send_due()
    assert api.called("message/custom/send") == []
    [sent] = api.called("message/template/send")
    assert (sent.body["touser"], sent.body["template_id"]) == (OPENID, "tpl-notice")
    assert sent.body["data"]["number"]["value"] == number
    assert "转交" in sent.body["data"]["content"]["value"]
    assert row(database_url, message_id)[0] == outbox.SENT


def test_wechat_saying_out_of_window_45047_falls_back_to_the_template(
    api: FakeWeChatApi, database_url: str
) -> None:
    wrote(database_url, hours_ago=1)
    api.fail("message/custom/send", 45047)
    message_id, _ = dispatch_notice(database_url)
    sender_for(api, database_url, notice_template_id="tpl-notice").send_due()
    assert len(api.called("message/custom/send")) == 1
    assert len(api.called("message/template/send")) == 1
    assert row(database_url, message_id)[0] == outbox.SENT


@pytest.mark.parametrize(
    ("template", "notice", "reason"),
    [("", True, "未配置工单通知模板"), ("tpl-notice", False, "不是工单通知")],
)
def test_without_a_template_for_it_an_out_of_window_message_is_undeliverable_not_retried(
    api: FakeWeChatApi, database_url: str, template: str, notice: bool, reason: str
) -> None:
    wrote(database_url, hours_ago=72)
    if notice:
        message_id, _ = dispatch_notice(database_url)
    else:
        message_id = queue(database_url, "请问您住哪个小区？")
    sender = sender_for(api, database_url, notice_template_id=template)
    sender.send_due()
    status, _, error = row(database_url, message_id)
    assert status == outbox.UNREACHABLE
    assert error is not None and reason in error
    assert sender.send_due() == 0
    assert api.called("message/custom/send") == api.called("message/template/send") == []


def test_a_resident_who_never_wrote_gets_no_customer_service_message(
    api: FakeWeChatApi, database_url: str
) -> None:
    message_id = queue(database_url, "您好")
    sender_for(api, database_url).send_due()
    assert row(database_url, message_id)[0] == outbox.UNREACHABLE
    assert api.called("message/custom/send") == []


def test_quota_45009_waits_without_counting_an_attempt(
    api: FakeWeChatApi, database_url: str
) -> None:
    wrote(database_url, hours_ago=1)
    api.fail("message/custom/send", 45009)
    message_id = queue(database_url, "您好")
    sender = sender_for(api, database_url)
    sender.send_due()
    status, attempts, error = row(database_url, message_id)
    assert (status, attempts) == (outbox.PENDING, 0)
    assert error is not None and error.startswith("45009")
    with session_scope(database_url) as session:
        due = session.get_one(outbox.OutboxMessage, message_id).next_attempt_at
        assert due > utcnow() + QUOTA_PAUSE - timedelta(minutes=1)
        session.execute(update(outbox.OutboxMessage).values(next_attempt_at=utcnow()))
    sender.send_due()
    assert row(database_url, message_id)[0] == outbox.SENT


def test_other_errors_are_retried_a_bounded_number_of_times(
    api: FakeWeChatApi, database_url: str
) -> None:
    wrote(database_url, hours_ago=1)
    api.fail("message/custom/send", *([-1] * outbox.MAX_ATTEMPTS))
    message_id = queue(database_url, "您好")
    sender = sender_for(api, database_url)
    for _ in range(outbox.MAX_ATTEMPTS):
        with session_scope(database_url) as session:
            session.execute(update(outbox.OutboxMessage).values(next_attempt_at=utcnow()))
        sender.send_due()
    assert row(database_url, message_id)[:2] == (outbox.FAILED, outbox.MAX_ATTEMPTS)


def test_the_token_is_fetched_once_for_many_messages_and_again_once_when_expired(
    api: FakeWeChatApi, database_url: str
) -> None:
    wrote(database_url, hours_ago=1)
    for number in range(3):
        queue(database_url, f"消息{number}")
    sender_for(api, database_url).send_due()
    assert len(api.called("token")) == 1
    api.expire_tokens()  # WeChat answers 40001 to the old token
    queue(database_url, "过期之后")
    other_process = sender_for(api, database_url)
    other_process.send_due()
    assert len(api.called("token")) == 2
    assert [c.body["text"]["content"] for c in api.called("message/custom/send")][-1] == "过期之后"
    queue(database_url, "再一条")
    sender_for(api, database_url).send_due()
    assert len(api.called("token")) == 2


def test_processes_needing_a_token_at_once_fetch_it_once(
    api: FakeWeChatApi, shared_database: str
) -> None:
    settings: WeChatSettings = wechat_settings(api)
    clients = [Client(settings, shared_database) for _ in range(6)]
    start = threading.Barrier(len(clients))
    tokens: list[str] = []

    def take(client: Client) -> None:
        start.wait()
        tokens.append(client.tokens.current())

    threads = [threading.Thread(target=take, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert tokens == ["token-1"] * len(clients)
    assert len(api.called("token")) == 1


def test_a_token_near_its_end_is_replaced(api: FakeWeChatApi, database_url: str) -> None:
    api.token_seconds = 200  # under the 5-minute margin: already due
    tokens = Client(wechat_settings(api), database_url).tokens
    assert isinstance(tokens, AccessTokens)
    assert tokens.current() == "token-1"
    assert tokens.current() == "token-2"


def test_a_resident_first_seen_by_two_requests_at_once_is_one_follower(
    shared_database: str,
) -> None:
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def see() -> None:
        start.wait()
        try:
            with session_scope(shared_database) as session:
                followers.seen(session, "oNewResidentSeenTwiceAtOnce00")
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=see) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with session_scope(shared_database) as session:
        assert followers.in_window(session, "oNewResidentSeenTwiceAtOnce00")


def test_a_long_message_goes_in_pieces_within_wechats_limit(
    api: FakeWeChatApi, database_url: str
) -> None:
    wrote(database_url, hours_ago=1)
    answer = "\n".join(f"第{n}条：" + "办理材料和流程说明" * 12 for n in range(1, 21))
    queue(database_url, answer)
    sender_for(api, database_url).send_due()
    sent = [call.body["text"]["content"] for call in api.called("message/custom/send")]
    assert len(sent) > 1
    assert all(len(piece.encode()) <= 2048 for piece in sent)
    assert "\n".join(sent) == answer


def test_pieces_cut_a_line_too_long_alone() -> None:
    line = "长" * 1000  # 3000 bytes
    cut = replies.pieces(line, 2000)
    assert [len(piece.encode()) for piece in cut] == [1998, 1002]
    assert "".join(cut) == line


def test_a_survey_outside_the_window_goes_as_a_template_answerable_by_number(
    api: FakeWeChatApi, database_url: str
) -> None:
    wrote(database_url, hours_ago=50)
    survey = [{"title": "已解决", "payload": "/affirm"}, {"title": "未解决", "payload": "/deny"}]
    queue(
        database_url, "您好！您反映的问题（工单 20261206-0004）已有答复。请问问题解决了吗？", survey
    )
    sender_for(api, database_url, notice_template_id="tpl-notice").send_due()
    [sent] = api.called("message/template/send")
    assert "1. 已解决" in sent.body["data"]["content"]["value"]
    with session_scope(database_url) as session:
        assert replies.chosen(session, OPENID, "2") == "/deny"
