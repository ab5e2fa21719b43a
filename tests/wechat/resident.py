"""A WeChat resident as WeChat's servers present them to `/wechat`: XML messages signed
with the account's token, encrypted with wechatpy's own `WeChatCrypto` in 安全模式."""

from __future__ import annotations

import itertools
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import httpx
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

TOKEN = "jiesu-test-token"
APP_ID = "wx0123456789abcdef"
ACCOUNT = "gh_jiesu"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeChat issues

_ids = itertools.count(int(time.time()) * 1000)


def signature(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's request signature over the token, timestamp and nonce."""
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce)
    return str(signer.signature)


def message_xml(openid: str, kind: str, fields: dict[str, Any], msg_id: int | None) -> str:
    """A message or event as WeChat posts it."""
    body = "".join(f"<{name}><![CDATA[{value}]]></{name}>" for name, value in fields.items())
    msg_id_xml = f"<MsgId>{msg_id}</MsgId>" if msg_id is not None else ""
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[{kind}]]></MsgType>{body}{msg_id_xml}</xml>"
    )


class WeChatResident:
    """Sends messages to the app's `/wechat` and reads the passive replies."""

    def __init__(self, client: httpx.AsyncClient, *, encrypted: bool = False) -> None:
        self.client = client
        self.openid = "o" + secrets.token_hex(13)  # 27 characters + "o", like WeChat's
        self.crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID) if encrypted else None

    def new_id(self) -> int:
        return next(_ids)

    async def post(self, xml: str, *, token: str = TOKEN) -> httpx.Response:
        """POST `xml` as WeChat would (encrypted in 安全模式)."""
        timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
        params = {
            "signature": signature(token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": self.openid,
        }
        body = xml
        if self.crypto is not None:
            body = self.crypto.encrypt_message(xml, nonce, timestamp)
            envelope = parse_message_envelope(body)
            params |= {"encrypt_type": "aes", "msg_signature": envelope["MsgSignature"]}
        return await self.client.post(f"/wechat?{urlencode(params)}", content=body.encode())

    def reply_text(self, response: httpx.Response) -> str | None:
        """The passive reply's text, or None when the answer was "success"."""
        assert response.status_code == 200, response.text
        if response.text == "success":
            return None
        xml = response.text
        if self.crypto is not None:
            envelope = parse_message_envelope(xml)
            xml = self.crypto.decrypt_message(
                xml, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
            )
        reply = parse_message(xml)
        assert reply.type == "text", xml
        assert reply.target == self.openid  # a reply goes back to the sender (ToUserName)
        return str(reply.content)

    async def send(
        self, kind: str, fields: dict[str, Any], msg_id: int | None = None
    ) -> str | None:
        """Send one message (a new MsgId unless given) and return the passive reply."""
        if msg_id is None and kind != "event":
            msg_id = self.new_id()
        return self.reply_text(await self.post(message_xml(self.openid, kind, fields, msg_id)))

    async def say(self, text: str, msg_id: int | None = None) -> str | None:
        """A text message."""
        return await self.send("text", {"Content": text}, msg_id)


def parse_message_envelope(xml: str) -> dict[str, str]:
    """The fields of an encrypted envelope (Encrypt, MsgSignature, TimeStamp, Nonce)."""
    import xmltodict

    fields: dict[str, str] = xmltodict.parse(xml)["xml"]
    return fields
