"""Hot issues among recent tickets (热点问题), for the console and `jiesu hot`, and
merging a cluster's duplicates into one lead ticket.

The clustering itself is `jiesu.monitoring.hot`; this module feeds it tickets and
keeps, of what it finds, the clusters still active in the period shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.orm import Session

from jiesu.config import local_timezone
from jiesu.models import utcnow
from jiesu.monitoring.hot import (
    HotIssue,
    HotIssueParams,
    Record,
    find_hot_issues,
    trending_keywords,
)
from jiesu.staff.models import StaffUser
from jiesu.staff.permissions import Action, may_act
from jiesu.staff.queries import scope, visible_ticket
from jiesu.staff.work import ActionError, perform
from jiesu.tickets.models import Ticket
from jiesu.tickets.serialize import timestamp
from jiesu.tickets.service import TicketFilter, list_tickets
from jiesu.tickets.workflow import status_label

DEFAULT_DAYS: Final = 30
MAX_CLUSTERS: Final = 30
TOP_KEYWORDS: Final = 20
# More tickets than a city files in twice the longest period shown.
MAX_TICKETS: Final = 200_000


@dataclass(frozen=True)
class ClusterTicket:
    """One ticket of a cluster, as the page lists it."""

    number: str
    status: str
    created_at: datetime
    address: str | None
    description: str


@dataclass(frozen=True)
class Cluster:
    """A hot issue with its tickets, oldest first."""

    issue: HotIssue
    tickets: tuple[ClusterTicket, ...]


@dataclass(frozen=True)
class HotReport:
    """Clusters active in the `days` before `now`, hottest first, and the words whose use
    grew most over the same window (word, tickets now, tickets in the window before)."""

    days: int
    now: datetime
    clusters: list[Cluster]
    keywords: list[tuple[str, int, int]]

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of `jiesu hot --json`."""
        return {
            "days": self.days,
            "now": timestamp(self.now),
            "clusters": [
                {
                    "size": c.issue.size,
                    "recent": c.issue.recent,
                    "previous": c.issue.previous,
                    "growth": c.issue.growth,
                    "first": timestamp(c.issue.first),
                    "last": timestamp(c.issue.last),
                    "places": list(c.issue.places),
                    "keywords": list(c.issue.keywords),
                    "tickets": [t.number for t in c.tickets],
                }
                for c in self.clusters
            ],
            "keywords": [
                {"word": w, "recent": now, "previous": before} for w, now, before in self.keywords
            ],
        }


def ticket_record(ticket: Ticket) -> Record:
    """A ticket as the clustering reads it: the resident's words, the address, the time."""
    return Record(
        id=ticket.number,
        title="",
        body=ticket.description,
        time=ticket.created_at,
        place=ticket.address or None,
    )


def _window_start(days: int, now: datetime) -> datetime:
    """Local midnight `2 * days` days before `now`: growth compares two windows."""
    local = now.astimezone(local_timezone())
    return (local - timedelta(days=2 * days)).replace(hour=0, minute=0, second=0, microsecond=0)


def recent_tickets(
    session: Session,
    user: StaffUser | None,
    *,
    days: int = DEFAULT_DAYS,
    now: datetime | None = None,
) -> list[Ticket]:
    """The tickets of the last `2 * days` days that `user` may see (all for None)."""
    wanted = TicketFilter(created_from=_window_start(days, now or utcnow()).date())
    within = None if user is None else scope(user)
    return list_tickets(session, wanted, scope=within, limit=MAX_TICKETS)


def hot_report(
    tickets: Sequence[Ticket], *, days: int = DEFAULT_DAYS, now: datetime | None = None
) -> HotReport:
    """Hot issues among `tickets`: clusters with tickets in the last `days` days, ranked
    by size plus growth against the `days` before."""
    moment = now or utcnow()
    by_number = {t.number: t for t in tickets}
    records = [ticket_record(t) for t in tickets]
    window = timedelta(days=days)
    params = HotIssueParams(growth_window=window)
    issues = [i for i in find_hot_issues(records, params, now=moment) if i.recent > 0]
    clusters = [
        Cluster(
            issue,
            tuple(
                ClusterTicket(
                    number=n,
                    status=status_label(by_number[n].status),
                    created_at=by_number[n].created_at,
                    address=by_number[n].address,
                    description=by_number[n].description,
                )
                for n in issue.member_ids
            ),
        )
        for issue in issues[:MAX_CLUSTERS]
    ]
    keywords = trending_keywords(records, window, now=moment, top=TOP_KEYWORDS)
    return HotReport(days=days, now=moment, clusters=clusters, keywords=keywords)


def may_merge(user: StaffUser, tickets: Sequence[Ticket]) -> bool:
    """Whether `user` may merge at least one of `tickets` (the page shows the form then)."""
    return any(may_act(user, t, Action.MERGE) for t in tickets)


@dataclass(frozen=True)
class MergeOutcome:
    """What merging a cluster did: numbers merged, and (number, reason) of those skipped."""

    lead: str
    merged: list[str]
    skipped: list[tuple[str, str]]


def merge_cluster(
    session: Session, user: StaffUser, *, lead: str, numbers: Sequence[str], note: str
) -> MergeOutcome:
    """Merge each of `numbers` into ticket `lead` as `user`, through the same permission
    checks as the ticket page. A ticket that cannot be merged is skipped with the reason;
    the others are merged regardless. ActionError when the lead itself is unusable."""
    if not note.strip():
        raise ActionError("请填写合并原因。")
    if visible_ticket(session, user, lead) is None:
        raise ActionError(f"工单 {lead} 不存在，或您无权查看。")
    merged: list[str] = []
    skipped: list[tuple[str, str]] = []
    for number in dict.fromkeys(numbers):
        if number == lead:
            continue
        ticket = visible_ticket(session, user, number)
        if ticket is None:
            skipped.append((number, "工单不存在，或您无权查看。"))
            continue
        try:
            with session.begin_nested():
                perform(session, user, ticket, Action.MERGE, into=lead, note=note)
        except ActionError as refused:
            skipped.append((number, str(refused)))
            continue
        merged.append(number)
    return MergeOutcome(lead=lead, merged=merged, skipped=skipped)
