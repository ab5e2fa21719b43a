"""The scheduler: one `sweep` derives what is due from the database and does it.

It runs the closed loop (`jiesu.loop`), gives up undelivered messages (`jiesu.outbox`)
and purges expired personal data (`jiesu.privacy`), so it sits above all three.

Nothing is kept in memory between sweeps. What is due comes from the tickets
and their status events; what was done is recorded in tables with unique keys
(alerts per deadline, rounds per ticket, surveys per answer, retention purges
per day), so a restarted scheduler misses nothing and repeats nothing. The clock
is an argument, so tests drive it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiesu.config import get_settings, local_timezone
from jiesu.db import session_scope
from jiesu.loop.alerts import raise_alerts
from jiesu.loop.followup import expire_surveys, start_surveys
from jiesu.loop.models import RetentionPurge
from jiesu.loop.rework import record_first_rounds
from jiesu.models import utcnow
from jiesu.outbox import expire_undelivered
from jiesu.privacy import Erased, TrackerStoreError, purge_expired

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did."""

    rounds: int
    alerts: int
    surveys_sent: int
    surveys_expired: int
    outbox_expired: int  # messages never delivered, given up
    # None: today's retention purge had already run, or could not (no tracker store)
    purged: Erased | None


def sweep(session: Session, now: datetime, *, tracker_store_url: str | None = None) -> SweepReport:
    """Do everything due at `now`, in the caller's transaction.

    Expired surveys are settled before new ones are sent, and rounds are
    recorded before alerts, which read them. Messages for residents never delivered
    within `outbox_expiry_days` are given up. The retention purge also erases
    transcripts from Rasa's tracker store at `tracker_store_url`, if given.
    """
    rounds = record_first_rounds(session)
    expired = expire_surveys(session, now)
    sent = start_surveys(session, now)
    settings = get_settings()
    alerts = raise_alerts(session, now, settings.reminder_fraction)
    undelivered = expire_undelivered(session, now - timedelta(days=settings.outbox_expiry_days))
    purged = _purge_once_a_day(session, now, tracker_store_url)
    return SweepReport(
        rounds=rounds,
        alerts=alerts,
        surveys_sent=sent,
        surveys_expired=expired,
        outbox_expired=undelivered,
        purged=purged,
    )


def _purge_once_a_day(
    session: Session, now: datetime, tracker_store_url: str | None
) -> Erased | None:
    """Run the retention purge unless it already ran on `now`'s local day; what it erased.

    Daily, not at every sweep: the purge is idempotent but scans whole tables (messages,
    the tracker store's events), and retention is counted in days. The day's
    `RetentionPurge` row is the memory: a restarted scheduler finds it, and of two racing
    ones the second fails on its unique key and is rolled back. Without Rasa's tracker
    store the purge erases nothing, is logged as an error, and is tried again next sweep;
    the rest of the sweep goes on.
    """
    day = now.astimezone(local_timezone()).date()
    if session.scalar(select(RetentionPurge.id).where(RetentionPurge.day == day)) is not None:
        return None
    retention_days = get_settings().retention_days
    try:
        erased = purge_expired(session, now, retention_days, tracker_store_url=tracker_store_url)
    except TrackerStoreError as error:
        log.error(
            "retention purge not run: Rasa's tracker store (JIESU_TRACKER_STORE_URL) "
            "cannot be read: %s",
            error,
        )
        return None
    session.add(
        RetentionPurge(day=day, ran_at=now, retention_days=retention_days, **asdict(erased))
    )
    session.flush()
    return erased


def run_forever(database_url: str | None = None) -> None:
    """Sweep every `sweep_interval_seconds`, one transaction per sweep, until interrupted.

    A failed sweep (e.g. two schedulers raced on a unique key) is rolled back,
    logged, and done again by the next one.
    """
    settings = get_settings()
    interval = settings.sweep_interval_seconds
    while True:
        try:
            with session_scope(database_url) as session:
                report = sweep(session, utcnow(), tracker_store_url=settings.tracker_store_url)
            if any(vars(report).values()):
                log.info("sweep: %s", report)
        except Exception:
            log.exception("sweep failed; retrying in %s s", interval)
        time.sleep(interval)
