"""Residents' photos (ticket attachments): kept on disk, recorded in the database, and
linked to the ticket the resident files next (a photo usually comes mid-appeal)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiesu.config import get_settings
from jiesu.conversations import ConversationId
from jiesu.models import utcnow
from jiesu.private_files import private_folder, write_private
from jiesu.tickets.models import Attachment, Ticket

# Photos older than this when a ticket is filed belong to an earlier, abandoned appeal.
PENDING_FOR: Final = timedelta(hours=24)
MAX_BYTES: Final = 10 * 1024 * 1024


def attachments_dir() -> Path:
    """The configured folder of attachment files."""
    return get_settings().attachments_dir


def store_attachment(
    session: Session,
    *,
    channel: str,
    source_message_id: str,
    sender_id: str,
    data: bytes,
    suffix: str,
    content_type: str,
    now: datetime | None = None,
) -> Attachment:
    """Keep one photo, once per message of the conversation (a re-delivery returns the
    first record).

    Raises:
        ValueError: the file is empty or larger than `MAX_BYTES`.
    """
    existing = session.scalars(
        select(Attachment).where(
            Attachment.channel == channel,
            Attachment.sender_id == sender_id,
            Attachment.source_message_id == source_message_id,
        )
    ).one_or_none()
    if existing is not None:
        return existing
    if not data or len(data) > MAX_BYTES:
        raise ValueError(f"attachment of {len(data)} bytes refused (limit {MAX_BYTES})")
    folder = attachments_dir()
    private_folder(folder)
    name = f"{uuid.uuid4().hex}{suffix}"
    write_private(folder / name, data)
    attachment = Attachment(
        channel=channel,
        source_message_id=source_message_id,
        sender_id=sender_id,
        file_name=name,
        content_type=content_type,
        size=len(data),
        created_at=now or utcnow(),
    )
    session.add(attachment)
    session.flush()
    return attachment


def store_photo(
    session: Session, *, channel: str, chat_id: str, source_message_id: str, data: bytes
) -> Attachment:
    """Keep a photo a resident sent on `channel` (both chat channels send JPEG)."""
    return store_attachment(
        session,
        channel=channel,
        source_message_id=source_message_id,
        sender_id=ConversationId.build(channel, chat_id),
        data=data,
        suffix=".jpg",
        content_type="image/jpeg",
    )


def attach_pending(session: Session, ticket: Ticket, now: datetime | None = None) -> int:
    """Link the resident's recent unlinked photos to `ticket`; returns how many."""
    since = (now or utcnow()) - PENDING_FOR
    pending = session.scalars(
        select(Attachment).where(
            Attachment.sender_id == ticket.sender_id,
            Attachment.ticket_id.is_(None),
            Attachment.created_at >= since,
        )
    ).all()
    for attachment in pending:
        attachment.ticket_id = ticket.id
    session.flush()
    return len(pending)


def attachments_of(session: Session, ticket: Ticket) -> list[Attachment]:
    """The photos of `ticket`, oldest first."""
    return list(
        session.scalars(
            select(Attachment).where(Attachment.ticket_id == ticket.id).order_by(Attachment.id)
        )
    )


def attachment_path(attachment: Attachment) -> Path:
    """Where the attachment's file is."""
    return attachments_dir() / attachment.file_name
