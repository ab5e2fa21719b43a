"""Resident web chat: the page and the JSON endpoints it talks to.

The conversation id is the server's: a random id signed with the console's cookie signer
(`JIESU_SECRET_KEY`, salted apart from staff sessions) in an HttpOnly cookie. The API
takes no id from the client, in the body or the URL. A conversation ends when the
resident presses 结束对话 (revoked on the server, so a copy of its cookie stops working
too) or after `JIESU_CHAT_IDLE_HOURS` without a message; the browser then holds a new id
and reads nothing of the old conversation.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bot.gateway import Gateway, Incoming
from bot.rasa_client import RasaUnavailableError
from console.templating import templates
from jiesu.chat_ends import end_chat, has_ended
from jiesu.config import Settings
from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.handoff.desk import HandoffDesk
from jiesu.models import utcnow
from jiesu.outbox import fetch_for_chat
from jiesu.vocabulary import wording

router = APIRouter()

CHANNEL = "web"
CHAT_COOKIE = "jiesu_chat"
_SALT = "jiesu-web-chat"
# The browser keeps the cookie well past the conversation's end, so that a message sent
# after it is told apart from a first visit and the page can say the old one ended.
_COOKIE_MAX_AGE = 30 * 24 * 3600
_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"

log = logging.getLogger(__name__)


class ChatMessage(BaseModel):
    """What the chat page posts: which message (a random id) and what. Anything else in the
    body, a conversation id included, is ignored: the cookie says whose message it is."""

    message_id: str = Field(pattern=_ID_PATTERN)
    text: str = Field(max_length=100_000)


class ChatReplies(BaseModel):
    """The assistant's replies (text, buttons as title and payload, images); `restarted`
    when the browser's conversation had ended and this message began a new one."""

    replies: list[dict[str, Any]]
    restarted: bool = False


class ChatNotices(BaseModel):
    """Messages for the resident sent outside a reply (staff, ticket progress), and the
    id to ask after next time."""

    messages: list[dict[str, Any]]
    cursor: int | None


def greeting() -> str:
    """The assistant's greeting with the personal-information notice, which the page shows
    before the resident writes."""
    return wording("greeting", "first")


def _signer(request: Request) -> URLSafeTimedSerializer:
    signer: URLSafeTimedSerializer = request.app.state.signer
    return signer


def _idle_seconds(request: Request) -> int:
    settings: Settings = request.app.state.settings
    return max(1, round(settings.chat_idle_hours * 3600))


def current_chat(request: Request) -> tuple[str | None, bool]:
    """The browser's conversation id if its cookie is validly signed, the conversation has
    not been idle too long and the resident has not ended it; and whether a cookie came
    that no longer counts. Reads the database: call it off the event loop."""
    value = request.cookies.get(CHAT_COOKIE)
    if not value:
        return None, False
    try:
        chat_id = _signer(request).loads(value, max_age=_idle_seconds(request), salt=_SALT)
    except BadSignature:  # forged, another key's, or expired
        return None, True
    if not isinstance(chat_id, str):
        return None, True
    settings: Settings = request.app.state.settings
    with session_scope(settings.database_url) as session:
        return (None, True) if has_ended(session, chat_id) else (chat_id, False)


def new_chat_id() -> str:
    """A fresh conversation id (128 random bits)."""
    return secrets.token_hex(16)


def give_chat(request: Request, response: Response, chat_id: str) -> None:
    """Set the conversation cookie: HttpOnly, SameSite=Lax, Secure over HTTPS. Signed anew
    at each message, so the idle time counts from the resident's last one."""
    response.set_cookie(
        CHAT_COOKIE,
        _signer(request).dumps(chat_id, salt=_SALT),
        max_age=_COOKIE_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


@router.get("/chat", response_class=HTMLResponse)
def chat_page(request: Request) -> Response:
    """The mobile-friendly chat page; a browser without a live conversation gets a new one."""
    response = templates.TemplateResponse(
        request=request, name="chat.html", context={"greeting": greeting()}
    )
    if current_chat(request)[0] is None:
        give_chat(request, response, new_chat_id())
    return response


@router.get("/api/chat/messages")
def chat_notices(request: Request, after: Annotated[int | None, Query(ge=0)] = None) -> ChatNotices:
    """What the outbox holds for the browser's conversation (the page polls it)."""
    chat_id, _ = current_chat(request)
    if chat_id is None:
        return ChatNotices(messages=[], cursor=after)
    settings: Settings = request.app.state.settings
    with session_scope(settings.database_url) as session:
        found = fetch_for_chat(session, CHANNEL, chat_id, after=after)
        messages = [{"text": message.text, "buttons": message.buttons or []} for message in found]
        cursor = found[-1].id if found else after
    return ChatNotices(messages=messages, cursor=cursor)


@router.post("/api/chat")
async def post_message(message: ChatMessage, request: Request, response: Response) -> ChatReplies:
    """Pass one resident message through the gateway and return the replies."""
    chat_id, ended = await run_in_threadpool(current_chat, request)
    if chat_id is None:
        chat_id = new_chat_id()
    gateway: Gateway = request.app.state.gateway
    incoming = Incoming(
        channel=CHANNEL, chat_id=chat_id, message_id=message.message_id, text=message.text
    )
    replies = await gateway.handle(incoming)
    give_chat(request, response, chat_id)
    return ChatReplies(replies=replies, restarted=ended)


@router.post("/api/chat/end")
async def end_conversation(request: Request) -> Response:
    """结束对话: the conversation is revoked on the server (a copy of its cookie reads and
    writes nothing), its open handoff closes, and the browser gets a new conversation.
    JSON only, which another site's form cannot send."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise HTTPException(status_code=415, detail="请求格式不正确。")
    chat_id, _ = await run_in_threadpool(current_chat, request)
    if chat_id is not None:
        await run_in_threadpool(_revoke, request, chat_id)
        desk: HandoffDesk = request.app.state.desk
        try:
            await desk.resident_ended(ConversationId.build(CHANNEL, chat_id))
        except RasaUnavailableError:
            log.warning("Rasa unavailable: the transcript does not say the resident ended it")
    response = JSONResponse({"ended": True})
    give_chat(request, response, new_chat_id())
    return response


def _revoke(request: Request, chat_id: str) -> None:
    settings: Settings = request.app.state.settings
    with session_scope(settings.database_url) as session:
        end_chat(session, chat_id, now=utcnow(), idle=timedelta(seconds=_idle_seconds(request)))
