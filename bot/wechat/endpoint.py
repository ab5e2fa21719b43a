"""The `/wechat` endpoint WeChat's servers call: GET to verify the server address, POST
with each message or event, in plaintext or in 安全模式 (AES, with
`WECHAT_ENCODING_AES_KEY`). A request whose signature does not match the token is
refused (403); the web app bounds every body (`max_request_bytes`). With the channel
off (no `WECHAT_TOKEN`…), the endpoint is not there (404).
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, Response
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import create_reply
from wechatpy.utils import check_signature

from bot.wechat.channel import WeChatChannel
from bot.wechat.config import WeChatSettings

log = logging.getLogger(__name__)

router = APIRouter()

Param = Annotated[str, Query()]


def _authentic(
    request: Request, signature: str, timestamp: str, nonce: str
) -> tuple[WeChatChannel, WeChatSettings] | Response:
    """The channel, if it is on and the request is signed with its token; else the refusal
    (404 with the channel off, 403 with a wrong signature)."""
    channel: WeChatChannel | None = getattr(request.app.state, "wechat", None)
    settings: WeChatSettings | None = getattr(request.app.state, "wechat_settings", None)
    if channel is None or settings is None:
        return Response(status_code=404)
    try:
        check_signature(settings.token, signature, timestamp, nonce)
    except InvalidSignatureException:
        log.warning("WeChat call with a wrong signature from %s", request.client)
        return Response(status_code=403)
    return channel, settings


@router.get("/wechat")
def verify(
    request: Request,
    signature: Param = "",
    timestamp: Param = "",
    nonce: Param = "",
    echostr: Param = "",
) -> Response:
    """WeChat checks the server address: the echo comes back when the signature matches."""
    found = _authentic(request, signature, timestamp, nonce)
    return found if isinstance(found, Response) else PlainTextResponse(echostr)


@router.post("/wechat")
async def receive(
    request: Request,
    signature: Param = "",
    timestamp: Param = "",
    nonce: Param = "",
    encrypt_type: Param = "",
    msg_signature: Param = "",
) -> Response:
    """One message or event: answered with a passive reply or "success"."""
    found = _authentic(request, signature, timestamp, nonce)
    if isinstance(found, Response):
        return found
    channel, settings = found
    body = await request.body()
    crypto = None
    if encrypt_type == "aes":
        if not settings.encoding_aes_key:
            return Response(status_code=400)
        crypto = WeChatCrypto(settings.token, settings.encoding_aes_key, settings.app_id)
        try:
            body = crypto.decrypt_message(body, msg_signature, timestamp, nonce).encode()
        except (InvalidSignatureException, InvalidAppIdException):
            log.warning("WeChat message that does not decrypt from %s", request.client)
            return Response(status_code=403)
        except Exception:  # malformed XML or ciphertext
            return Response(status_code=400)
    elif settings.encoding_aes_key:
        log.warning("plaintext WeChat message refused: the account is in 安全模式")
        return Response(status_code=400)
    try:
        message = parse_message(body)
    except Exception:  # not WeChat's XML
        return Response(status_code=400)
    if message is None:
        return Response(status_code=400)
    answer = await channel.receive(message)
    if answer.text is None:
        return PlainTextResponse("success")
    xml = create_reply(answer.text, message).render()
    if crypto is not None:
        xml = crypto.encrypt_message(xml, nonce, timestamp)
    return Response(content=xml, media_type="application/xml")
