"""Messages to residents that will not arrive (未送达消息), with the reason: outside
WeChat's 48-hour window with no template, an unfollowed account, a blocked bot, or given
up after retries. Staff reach those residents another way (a phone call)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from console.params import day_window
from console.security import page_user, require
from console.templating import templates
from jiesu.config import Settings
from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.labels import label, labels, minute_text
from jiesu.models import utcnow
from jiesu.outbox import undelivered
from jiesu.staff.permissions import Capability
from jiesu.staff.sessions import Login

router = APIRouter()

DAY_CHOICES = (7, 30, 90)
DEFAULT_DAYS = 7

Reader = Annotated[Login, Depends(require(Capability.READ_UNDELIVERED))]


@dataclass(frozen=True)
class UndeliveredRow:
    """One message as the page shows it."""

    queued: str
    channel: str
    conversation: str
    status: str
    reason: str
    text: str


@router.get("/undelivered", response_class=HTMLResponse)
def undelivered_page(request: Request, login: Reader) -> HTMLResponse:
    """The messages of the last `?days=` that will not reach their resident, newest first."""
    days = day_window(request.query_params.get("days"), DAY_CHOICES, DEFAULT_DAYS)
    settings: Settings = request.app.state.settings
    with session_scope(settings.database_url) as session:
        rows = [
            UndeliveredRow(
                queued=minute_text(message.created_at),
                channel=labels("channels").get(message.channel, message.channel),
                conversation=ConversationId.build(message.channel, message.chat_id),
                status=label("outbox_statuses", message.status),
                reason=message.last_error or "",
                text=message.text,
            )
            for message in undelivered(session, utcnow() - timedelta(days=days))
        ]
    return templates.TemplateResponse(
        request=request,
        name="undelivered.html",
        context={"me": page_user(login), "rows": rows, "days": days, "day_choices": DAY_CHOICES},
    )
