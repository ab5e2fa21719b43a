"""Resident web chat: the page and the JSON endpoint it talks to."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from bot.gateway import Gateway, Incoming
from console.templating import templates
from jiesu.config import Settings
from jiesu.db import session_scope
from jiesu.outbox import fetch_for_chat

router = APIRouter()

_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"


class ChatMessage(BaseModel):
    """What the chat page posts: who (a random id kept by the browser), which message, what."""

    chat_id: str = Field(pattern=_ID_PATTERN)
    message_id: str = Field(pattern=_ID_PATTERN)
    text: str = Field(max_length=100_000)


class ChatReplies(BaseModel):
    """The assistant's replies: text, buttons (title, payload) and images."""

    replies: list[dict[str, Any]]


@router.get("/chat", response_class=HTMLResponse)
async def chat_page(request: Request) -> HTMLResponse:
    """The mobile-friendly chat page."""
    return templates.TemplateResponse(request=request, name="chat.html", context={})


class ChatNotices(BaseModel):
    """Messages for the resident sent outside a reply (staff, ticket progress), and the
    id to ask after next time."""

    messages: list[dict[str, Any]]
    cursor: int | None


@router.get("/api/chat/{chat_id}/messages")
def chat_notices(
    chat_id: Annotated[str, Path(pattern=_ID_PATTERN)], request: Request,
    after: Annotated[int | None, Query(ge=0)] = None,
) -> ChatNotices:
    """What the outbox holds for this web chat (the page polls it)."""
    settings: Settings = request.app.state.settings
    with session_scope(settings.database_url) as session:
        found = fetch_for_chat(session, "web", chat_id, after=after)
        messages = [
            {"text": message.text, "buttons": message.buttons or []} for message in found
        ]
        cursor = found[-1].id if found else after
    return ChatNotices(messages=messages, cursor=cursor)


@router.post("/api/chat")
async def post_message(message: ChatMessage, request: Request) -> ChatReplies:
    """Pass one resident message through the gateway and return the replies."""
    gateway: Gateway = request.app.state.gateway
    incoming = Incoming(
        channel="web", chat_id=message.chat_id, message_id=message.message_id, text=message.text
    )
    return ChatReplies(replies=await gateway.handle(incoming))
