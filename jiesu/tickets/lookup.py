"""Ticket look-ups by number from a conversation that did not file the ticket.

Numbers are sequential per day, so a number proves nothing. Another conversation must
also give the ticket's 查询码 (told only in the filing message) or the last four digits of
the phone on it; reports (举报) are never shown to another conversation. Failed look-ups
are counted per conversation and per ticket, so neither one conversation nor many of them
can guess a phone's last four digits.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from jiesu.models import utcnow
from jiesu.text import normalize
from jiesu.tickets.models import AppealType, LookupFailure, Ticket

# No 0/O, 1/I/L: read aloud or copied by hand without doubt.
QUERY_CODE_ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
QUERY_CODE_LENGTH: Final = 6
CONVERSATION_FAILURES: Final = 5
CONVERSATION_WINDOW: Final = timedelta(hours=1)
TICKET_FAILURES: Final = 10
TICKET_WINDOW: Final = timedelta(days=1)

_NUMBER = re.compile(r"\d{8}-\d{4}")
_CODE = re.compile(rf"(?<![0-9A-Za-z])[0-9A-Za-z]{{{QUERY_CODE_LENGTH}}}(?![0-9A-Za-z])")
_DIGITS = re.compile(r"\d+")
_PHONE_TAIL: Final = 4
_PHONE_MIN: Final = 7  # a whole phone number, landline or mobile


def new_query_code() -> str:
    """A fresh random 查询码."""
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(QUERY_CODE_LENGTH))


def _proofs(message: str) -> tuple[list[str], list[str]]:
    """The query codes and the phone digits (last four, or whole) a message offers."""
    text = _NUMBER.sub(" ", normalize(message))
    codes = [code.upper() for code in _CODE.findall(text)]
    digits = [
        run for run in _DIGITS.findall(text) if len(run) == _PHONE_TAIL or len(run) >= _PHONE_MIN
    ]
    return codes, digits


def offers_proof(message: str) -> bool:
    """Whether the message gives anything that could be a 查询码 or phone digits."""
    codes, digits = _proofs(message)
    return bool(codes or digits)


def _proves(ticket: Ticket, message: str) -> bool:
    codes, digits = _proofs(message)
    known = ticket.query_code
    by_code = known is not None and any(
        hmac.compare_digest(code.encode(), known.encode()) for code in codes
    )
    phone = "".join(_DIGITS.findall(ticket.phone or ""))
    by_phone = len(phone) >= _PHONE_TAIL and any(phone.endswith(run) for run in digits)
    return by_code or by_phone


def _failures(session: Session, which: ColumnElement[bool], since: datetime) -> int:
    count = session.scalar(
        select(func.count(LookupFailure.id)).where(which, LookupFailure.failed_at > since)
    )
    return count or 0


def conversation_blocked(session: Session, sender_id: str, *, now: datetime) -> bool:
    """Whether `sender_id` failed too many look-ups lately to try again now."""
    failures = _failures(session, LookupFailure.sender_id == sender_id, now - CONVERSATION_WINDOW)
    return failures >= CONVERSATION_FAILURES


def reveals(session: Session, ticket: Ticket, message: str, *, now: datetime) -> bool:
    """Whether another conversation's `message` proves it knows `ticket`, which is not a
    report nor locked by too many failed look-ups."""
    if ticket.appeal_type is AppealType.REPORT:
        return False
    if (
        _failures(session, LookupFailure.ticket_id == ticket.id, now - TICKET_WINDOW)
        >= TICKET_FAILURES
    ):
        return False
    return _proves(ticket, message)


def record_failure(
    session: Session, sender_id: str, ticket: Ticket | None, *, now: datetime | None = None
) -> None:
    """Count one failed look-up (of `ticket`, if the number exists); failures older than
    the longest window are dropped."""
    when = now or utcnow()
    session.execute(delete(LookupFailure).where(LookupFailure.failed_at <= when - TICKET_WINDOW))
    session.add(
        LookupFailure(
            sender_id=sender_id, ticket_id=ticket.id if ticket is not None else None, failed_at=when
        )
    )
    session.flush()
