"""Resident web chat: the page and the JSON endpoint it talks to."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from bot.gateway import Gateway, Incoming
from console.templating import templates

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


@router.post("/api/chat")
async def post_message(message: ChatMessage, request: Request) -> ChatReplies:
    """Pass one resident message through the gateway and return the replies."""
    gateway: Gateway = request.app.state.gateway
    incoming = Incoming(
        channel="web", chat_id=message.chat_id, message_id=message.message_id, text=message.text
    )
    return ChatReplies(replies=await gateway.handle(incoming))
