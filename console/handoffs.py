"""Handoff inbox (人工接管): waiting and active conversations, live ones to take over,
and one conversation's page to read, reply, note, claim and hand back."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bot.rasa_client import RasaClient, RasaUnavailableError
from console.security import page_user, require, require_csrf
from console.templating import templates
from jiesu.config import Settings
from jiesu.db import session_scope
from jiesu.handoff import service
from jiesu.handoff.desk import HandoffDesk, canned_replies
from jiesu.handoff.models import Handoff
from jiesu.handoff.transcript import transcript
from jiesu.models import utcnow
from jiesu.monitoring.exports import handoff_table
from jiesu.staff.permissions import Capability, can
from jiesu.staff.sessions import Login
from jiesu.tables import Table
from jiesu.tickets.serialize import timestamp
from jiesu.tickets.service import tickets_for_sender
from jiesu.tickets.workflow import status_label

router = APIRouter()

LIVE_WINDOW = timedelta(hours=2)  # conversations active this recently can be taken over
CLOSED_WINDOW = timedelta(hours=24)  # handed-back conversations still listed
RASA_DOWN = "智能助手服务暂时不可用，操作未完成，请稍后重试。"

Reader = Annotated[Login, Depends(require(Capability.READ_HANDOFFS))]
Answerer = Annotated[Login, Depends(require(Capability.ANSWER_HANDOFFS))]


def _inbox(session: Session, now: datetime) -> list[service.HandoffRow]:
    return service.inbox_rows(session, now=now, closed_since=now - CLOSED_WINDOW)


def export_tables(request: Request, login: Login) -> list[Table]:
    """The inbox's handoffs as the page lists them, for download."""
    settings: Settings = request.app.state.settings
    with session_scope(settings.database_url) as session:
        return [handoff_table(_inbox(session, utcnow()))]


def _lists(request: Request) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    now = utcnow()
    with session_scope(settings.database_url) as session:
        handoffs = _inbox(session, now)
        live = [
            {
                "ref": c.ref,
                "conversation": service.conversation_label(c.sender_id),
                "last_at": timestamp(c.last_at),
                "last_text": c.last_text,
                "messages": c.messages,
            }
            for c in service.live_conversations(session, since=now - LIVE_WINDOW)
        ]
    return {"handoffs": handoffs, "live": live}


@router.get("/handoffs", response_class=HTMLResponse)
def handoff_inbox(request: Request, login: Reader, part: str | None = None) -> Response:
    """The inbox; `?part=lists` is the lists alone, which the page reloads by itself."""
    context = {
        "me": page_user(login),
        "may_answer": can(login.user, Capability.ANSWER_HANDOFFS),
        **_lists(request),
    }
    name = "handoff_lists.html" if part == "lists" else "handoffs.html"
    return templates.TemplateResponse(request=request, name=name, context=context)


def _desk(request: Request) -> HandoffDesk:
    desk: HandoffDesk = request.app.state.desk
    return desk


async def _form_text(request: Request, login: Login, field: str) -> str:
    await require_csrf(request, login.csrf_token)
    form = await request.form()
    return str(form.get(field) or "")


@router.post("/handoffs/take-over")
async def take_over(request: Request, login: Answerer) -> Response:
    """Take a live conversation from the assistant and open its page. The form names it by
    its latest message (the list's reference), never by its conversation id."""
    ref = await _form_text(request, login, "ref")
    sender_id = await run_in_threadpool(_live_sender, request, ref)
    if sender_id is None:
        raise HTTPException(status_code=404, detail="该对话不存在，或已不在进行中。")
    try:
        handoff_id = await _desk(request).take_over(sender_id, login.user.username)
    except RasaUnavailableError:
        raise HTTPException(status_code=503, detail=RASA_DOWN) from None
    return RedirectResponse(f"/handoffs/{handoff_id}", status_code=303)


def _live_sender(request: Request, ref: str) -> str | None:
    if not ref.isdigit():
        return None
    settings: Settings = request.app.state.settings
    with session_scope(settings.database_url) as session:
        return service.live_sender(session, int(ref), since=utcnow() - LIVE_WINDOW)


async def _lines(request: Request, sender_id: str) -> tuple[list[dict[str, Any]], str | None]:
    """The transcript as the page shows it, or the reason it cannot be read now."""
    rasa: RasaClient = request.app.state.rasa
    try:
        events = await rasa.events(sender_id)
    except RasaUnavailableError:
        return [], "智能助手服务暂时不可用，无法读取对话记录。"
    return [
        {
            "speaker": line.speaker,
            "text": line.text,
            "author": line.author,
            "choices": line.choices,
            "at": timestamp(line.at),
        }
        for line in transcript(events)
    ], None


def _handoff_or_404(session: Session, handoff_id: int) -> Handoff:
    try:
        return service.get(session, handoff_id)
    except service.HandoffError:
        raise HTTPException(status_code=404, detail="该会话不存在。") from None


def _sender_of(request: Request, handoff_id: int) -> str:
    settings: Settings = request.app.state.settings
    with session_scope(settings.database_url) as session:
        return _handoff_or_404(session, handoff_id).sender_id


def _page_context(request: Request, login: Login, handoff_id: int) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    with session_scope(settings.database_url) as session:
        handoff = _handoff_or_404(session, handoff_id)
        tickets = [
            {
                "number": t.number,
                "status": status_label(t.status),
                "description": t.description,
                "created_at": timestamp(t.created_at),
            }
            for t in tickets_for_sender(session, handoff.sender_id)
        ]
        return {
            "me": page_user(login),
            "may_answer": can(login.user, Capability.ANSWER_HANDOFFS),
            "h": service.handoff_row(handoff, now=utcnow()),
            "sender_id": handoff.sender_id,
            "mine": handoff.claimed_by == login.user.username,
            "notes": [
                {"author": n.author, "text": n.text, "at": timestamp(n.created_at)}
                for n in service.notes_of(session, handoff)
            ],
            "tickets": tickets,
            "canned": canned_replies(),
        }


@router.get("/handoffs/{handoff_id}", response_class=HTMLResponse)
async def handoff_page(request: Request, handoff_id: int, login: Reader) -> Response:
    """One handed-over conversation: transcript, the resident's tickets, notes, actions."""
    return await _render_page(request, login, handoff_id)


async def _render_page(
    request: Request, login: Login, handoff_id: int, error: str | None = None
) -> Response:
    context = await run_in_threadpool(_page_context, request, login, handoff_id)
    context["lines"], context["transcript_error"] = await _lines(request, context["sender_id"])
    context["error"] = error
    return templates.TemplateResponse(
        request=request,
        name="handoff.html",
        context=context,
        status_code=400 if error else 200,
    )


@router.get("/handoffs/{handoff_id}/transcript", response_class=HTMLResponse)
async def handoff_transcript(request: Request, handoff_id: int, login: Reader) -> Response:
    """The transcript alone; the page reloads it by itself every few seconds, so this
    reads only the conversation id, not the rest of the page."""
    sender_id = await run_in_threadpool(_sender_of, request, handoff_id)
    lines, error = await _lines(request, sender_id)
    return templates.TemplateResponse(
        request=request,
        name="handoff_transcript.html",
        context={"lines": lines, "transcript_error": error},
    )


def _change(request: Request, handoff_id: int, action: str, staff: str, text: str) -> None:
    """A note, a claim or a release: the database only."""
    settings: Settings = request.app.state.settings
    now = utcnow()
    with session_scope(settings.database_url) as session:
        handoff = service.get(session, handoff_id)
        if action == "note":
            service.add_note(session, handoff, staff, text, now=now)
        elif action == "claim":
            service.claim(handoff, staff, now=now)
        else:
            service.release(handoff, staff)


@router.post("/handoffs/{handoff_id}/{action}")
async def handoff_action(
    request: Request, handoff_id: int, action: str, login: Answerer
) -> Response:
    """Reply, note, claim, release or hand back; errors are shown on the page."""
    text = await _form_text(request, login, "text")
    staff = login.user.username
    try:
        if action == "reply":
            await _desk(request).reply(handoff_id, staff, text)
        elif action == "hand-back":
            await _desk(request).hand_back(handoff_id, staff)
        elif action in ("note", "claim", "release"):
            await run_in_threadpool(_change, request, handoff_id, action, staff, text)
        else:
            raise HTTPException(status_code=404, detail="没有这个操作。")
    except service.HandoffError as refused:
        return await _render_page(request, login, handoff_id, error=str(refused))
    except RasaUnavailableError:
        return await _render_page(request, login, handoff_id, error=RASA_DOWN)
    return RedirectResponse(f"/handoffs/{handoff_id}", status_code=303)
