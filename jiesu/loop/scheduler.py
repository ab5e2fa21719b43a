"""The closed-loop scheduler: one `sweep` derives what is due from the database and does it.

Nothing is kept in memory between sweeps. What is due comes from the tickets
and their status events; what was done is recorded in tables with unique keys
(alerts per deadline, rounds per ticket, surveys per answer), so a restarted
scheduler misses nothing and repeats nothing. The clock is an argument, so
tests drive it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from jiesu.config import get_settings
from jiesu.db import session_scope
from jiesu.loop.alerts import raise_alerts
from jiesu.loop.followup import expire_surveys, start_surveys
from jiesu.loop.rework import record_first_rounds
from jiesu.models import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did."""

    rounds: int
    alerts: int
    surveys_sent: int
    surveys_expired: int


def sweep(session: Session, now: datetime) -> SweepReport:
    """Do everything due at `now`, in the caller's transaction.

    Expired surveys are settled before new ones are sent, and rounds are
    recorded before alerts, which read them.
    """
    rounds = record_first_rounds(session)
    expired = expire_surveys(session, now)
    sent = start_surveys(session, now)
    alerts = raise_alerts(session, now, get_settings().reminder_fraction)
    return SweepReport(rounds=rounds, alerts=alerts, surveys_sent=sent, surveys_expired=expired)


def run_forever(database_url: str | None = None) -> None:
    """Sweep every `sweep_interval_seconds`, one transaction per sweep, until interrupted.

    A failed sweep (e.g. two schedulers raced on a unique key) is rolled back,
    logged, and done again by the next one.
    """
    interval = get_settings().sweep_interval_seconds
    while True:
        try:
            with session_scope(database_url) as session:
                report = sweep(session, utcnow())
            if any(vars(report).values()):
                log.info("sweep: %s", report)
        except Exception:
            log.exception("sweep failed; retrying in %s s", interval)
        time.sleep(interval)
