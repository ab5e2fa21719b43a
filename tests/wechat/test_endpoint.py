"""`/wechat` offline: requests built and signed (and encrypted) by wechatpy, a Rasa stand-in."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.wechat import followers
from bot.wechat.config import WeChatSettings
from console.app import create_app
from jiesu import outbox
from jiesu.config import Settings
from jiesu.db import session_scope
from jiesu.tickets.models import Attachment
from tests.wechat.conftest import MAX_BODY, FakeRasa, wechat_settings
from tests.wechat.fake_api import FakeWeChatApi
from tests.wechat.resident import TOKEN, WeChatResident, message_xml, signature


def verification(token: str, echostr: str = "echo-4711") -> str:
    timestamp, nonce = str(int(time.time())), "n0nce"
    query = {
        "signature": signature(token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "echostr": echostr,
    }
    return f"/wechat?{urlencode(query)}"


async def test_verification_echoes_only_with_the_right_signature(http: httpx.AsyncClient) -> None:
    good = await http.get(verification(TOKEN))
    assert (good.status_code, good.text) == (200, "echo-4711")
    bad = await http.get(verification("another-token"))
    assert bad.status_code == 403
    assert "echo" not in bad.text


def test_the_web_app_serves_wechat_only_when_configured(
    api: FakeWeChatApi, database_url: str
) -> None:
    settings = Settings(database_url=database_url, rasa_url="http://127.0.0.1:9")
    with TestClient(create_app(settings, WeChatSettings(_env_file=None))) as client:
        assert client.get(verification(TOKEN)).status_code == 404
        assert client.post("/wechat", content=b"<xml/>").status_code == 404
    with TestClient(create_app(settings, wechat_settings(api))) as client:
        assert client.get(verification(TOKEN)).text == "echo-4711"


async def test_a_text_message_is_answered_passively_in_the_residents_conversation(
    resident: WeChatResident, rasa: FakeRasa
) -> None:
    assert await resident.say("路灯坏了") == "好的"
    assert rasa.messages == [(f"wechat:{resident.openid}", "路灯坏了")]


async def test_in_safe_mode_messages_and_replies_are_encrypted(
    safe_http: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    resident = WeChatResident(safe_http, encrypted=True)
    assert await resident.say("你好") == "好的"
    xml = message_xml(resident.openid, "text", {"Content": "明文"}, resident.new_id())
    plain = WeChatResident(safe_http)
    plain.openid = resident.openid
    assert (await plain.post(xml)).status_code == 400  # plaintext refused in 安全模式
    assert rasa.messages == [(f"wechat:{resident.openid}", "你好")]


async def test_a_tampered_encrypted_message_is_refused(
    safe_http: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    resident = WeChatResident(safe_http, encrypted=True)
    assert resident.crypto is not None
    timestamp, nonce = str(int(time.time())), "abc"
    xml = message_xml(resident.openid, "text", {"Content": "你好"}, resident.new_id())
    body = resident.crypto.encrypt_message(xml, nonce, timestamp)
    query = {
        "signature": signature(TOKEN, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": "0" * 40,
    }
    response = await safe_http.post(f"/wechat?{urlencode(query)}", content=body.encode())
    assert response.status_code == 403
    assert rasa.messages == []


async def test_bad_signatures_big_bodies_and_junk_are_refused(
    resident: WeChatResident, http: httpx.AsyncClient, rasa: FakeRasa
) -> None:
    xml = message_xml(resident.openid, "text", {"Content": "你好"}, resident.new_id())
    assert (await resident.post(xml, token="wrong")).status_code == 403
    huge = message_xml(resident.openid, "text", {"Content": "长" * MAX_BODY}, resident.new_id())
    assert (await resident.post(huge)).status_code == 413
    assert (await resident.post("not xml at all")).status_code == 400
    assert rasa.messages == []


async def test_a_slow_turn_is_answered_once_through_the_outbox_however_often_wechat_resends(
    resident: WeChatResident, rasa: FakeRasa, database_url: str
) -> None:
    rasa.delay = 1.2  # past the passive window (0.5 s here, 4 s in production)
    msg_id = resident.new_id()
    first = asyncio.create_task(resident.say("我要投诉噪音", msg_id))
    await asyncio.sleep(0.6)
    assert await resident.say("我要投诉噪音", msg_id) is None  # WeChat's re-send
    assert await first is None  # "success": the answer comes later
    assert await resident.say("我要投诉噪音", msg_id) is None
    await asyncio.sleep(1.0)
    assert await resident.say("我要投诉噪音", msg_id) is None  # after it was answered
    with session_scope(database_url) as session:
        queued = session.scalars(select(outbox.OutboxMessage)).all()
        assert [(m.channel, m.chat_id, m.text) for m in queued] == [
            ("wechat", resident.openid, "好的")
        ]
    assert len(rasa.messages) == 1


async def test_buttons_become_numbered_choices_answered_by_number_or_label(
    resident: WeChatResident, rasa: FakeRasa
) -> None:
    rasa.replies = [
        {
            "text": "这个回答有帮助吗？",
            "buttons": [
                {"title": "有帮助", "payload": "/affirm"},
                {"title": "没帮助", "payload": "/deny"},
            ],
        }
    ]
    shown = await resident.say("居住证怎么办")
    assert shown is not None
    assert "1. 有帮助" in shown and "2. 没帮助" in shown
    rasa.replies = [{"text": "好的"}]
    await resident.say("２")  # full-width digits count too
    await resident.say("2")  # the last answer offered no choices: just text
    assert [text for _, text in rasa.messages] == ["居住证怎么办", "/deny", "2"]


@pytest.mark.parametrize(
    ("kind", "fields", "said"),
    [
        (
            "location",
            {"Location_X": "39.9", "Location_Y": "116.4", "Scale": "15", "Label": "建设路18号"},
            '/inform{"address":"定位：建设路18号"}',
        ),
        ("voice", {"MediaId": "m1", "Format": "amr", "Recognition": "路灯坏了"}, "路灯坏了"),
    ],
)
async def test_locations_and_recognised_voice_reach_the_assistant(
    resident: WeChatResident, rasa: FakeRasa, kind: str, fields: dict[str, str], said: str
) -> None:
    assert await resident.send(kind, fields) == "好的"
    assert [text for _, text in rasa.messages] == [said]


@pytest.mark.parametrize(
    ("kind", "fields", "expected"),
    [
        ("voice", {"MediaId": "m1", "Format": "amr"}, "没能听清"),
        ("video", {"MediaId": "m2", "ThumbMediaId": "t"}, "暂不支持视频"),
        ("link", {"Title": "t", "Description": "d", "Url": "http://x"}, "暂不支持"),
    ],
)
async def test_other_messages_get_a_polite_reply(
    resident: WeChatResident, rasa: FakeRasa, kind: str, fields: dict[str, str], expected: str
) -> None:
    reply = await resident.send(kind, fields)
    assert reply is not None and expected in reply
    assert rasa.messages == []


async def test_an_image_is_fetched_through_the_media_api_and_kept(
    resident: WeChatResident, api: FakeWeChatApi, database_url: str
) -> None:
    reply = await resident.send("image", {"PicUrl": "http://img", "MediaId": "media-7"})
    assert reply is not None and "图片已收到" in reply
    [download] = api.called("media/get")
    assert download.params["media_id"] == "media-7"
    with session_scope(database_url) as session:
        [kept] = session.scalars(select(Attachment)).all()
        assert kept.sender_id == f"wechat:{resident.openid}"


async def test_following_greets_and_unfollowing_stops_notices(
    resident: WeChatResident, rasa: FakeRasa, database_url: str
) -> None:
    rasa.replies = [{"text": "您好！个人信息告知：……"}]
    welcome = await resident.send("event", {"Event": "subscribe", "EventKey": ""})
    assert welcome is not None and "个人信息告知" in welcome
    assert [text for _, text in rasa.messages] == ["/greet"]
    with session_scope(database_url) as session:
        waiting = outbox.notify(session, f"wechat:{resident.openid}", "工单 20261206-0001 已受理")
        assert waiting is not None
        waiting_id = waiting.id
    assert await resident.send("event", {"Event": "unsubscribe", "EventKey": ""}) is None
    with session_scope(database_url) as session:
        stopped = session.get_one(outbox.OutboxMessage, waiting_id)
        assert stopped.status == outbox.UNREACHABLE
        assert stopped.last_error is not None and "取消关注" in stopped.last_error


async def test_menu_clicks(resident: WeChatResident, rasa: FakeRasa) -> None:
    prompt = await resident.send("event", {"Event": "CLICK", "EventKey": "REPORT"})
    assert prompt is not None and "反映" in prompt
    assert await resident.send("event", {"Event": "CLICK", "EventKey": "STATUS"}) == "好的"
    assert [text for _, text in rasa.messages] == ["/query_ticket"]


async def test_only_the_last_reply_offering_choices_lists_them(
    resident: WeChatResident, rasa: FakeRasa
) -> None:
    rasa.replies = [
        {"text": "您是想：", "buttons": [{"title": "投诉", "payload": "/complain"}]},
        {"text": "也可以：", "buttons": [{"title": "转人工", "payload": "/request_human"}]},
    ]
    shown = await resident.say("嗯")
    assert shown is not None
    assert "投诉" not in shown and shown.count("1. ") == 1 and "1. 转人工" in shown
    await resident.say("1")
    assert rasa.messages[-1][1] == "/request_human"


async def test_messages_and_menu_taps_open_the_window_link_views_do_not(
    http: httpx.AsyncClient, database_url: str
) -> None:
    viewer, tapper, writer = (WeChatResident(http) for _ in range(3))
    await viewer.send("event", {"Event": "VIEW", "EventKey": "https://example.org"})
    await tapper.send("event", {"Event": "CLICK", "EventKey": "CONSULT"})
    await writer.send("video", {"MediaId": "m2", "ThumbMediaId": "t"})  # answered politely
    with session_scope(database_url) as session:
        assert not followers.in_window(session, viewer.openid)
        assert followers.in_window(session, tapper.openid)
        assert followers.in_window(session, writer.openid)


async def test_two_arrivals_of_one_message_at_once_are_answered_once(
    resident: WeChatResident, rasa: FakeRasa
) -> None:
    rasa.delay = 0.1
    msg_id = resident.new_id()
    answers = await asyncio.gather(*(resident.say("路灯坏了", msg_id) for _ in range(3)))
    assert sorted(answers, key=str) == [None, None, "好的"]
    assert len(rasa.messages) == 1
