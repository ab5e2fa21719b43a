"""The ticket workflow: statuses, the one table of allowed changes, and its rules.

It follows 12345 practice (受理 → 派单 → 办理 → 答复 → 办结): a department that
got a ticket wrongly routed returns it (退单) and it is dispatched again; a
resident unsatisfied with the reply, or with a closed ticket, has it reopened
(重办); a duplicate is merged into the ticket that carries the work.

The status groups every package asks about are named here once, and so is which
deadline runs in which status, and when it has passed: `Deadlined` gives the
ticket table that rule in Python and in SQL side by side, so a list filtered in
the database and a flag computed on a loaded ticket cannot disagree. It lives
here rather than in `jiesu.deadlines` because it is a rule of the statuses
(which clock runs in which of them); `jiesu.deadlines` stays the pure arithmetic
that sets the due times and that the city's configuration loads, and knows no
tickets. `jiesu.tickets.service` applies these rules to the database.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.ext.hybrid import hybrid_method

from jiesu.labels import label

if TYPE_CHECKING:
    from sqlalchemy.orm import Mapped


class Status(StrEnum):
    """Where a ticket is in its life; the value is what the database stores."""

    RECEIVED = "received"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    REPLIED = "replied"
    CLOSED = "closed"
    RETURNED = "returned"
    REOPENED = "reopened"
    MERGED = "merged"


ALLOWED_TRANSITIONS: dict[Status, frozenset[Status]] = {
    # An enquiry (咨询) answered at once is closed without being dispatched.
    Status.RECEIVED: frozenset({Status.DISPATCHED, Status.MERGED, Status.CLOSED}),
    Status.DISPATCHED: frozenset({Status.IN_PROGRESS, Status.RETURNED, Status.MERGED}),
    Status.RETURNED: frozenset({Status.DISPATCHED, Status.MERGED}),
    Status.IN_PROGRESS: frozenset({Status.REPLIED, Status.RETURNED}),
    Status.REPLIED: frozenset({Status.CLOSED, Status.REOPENED}),
    Status.REOPENED: frozenset({Status.IN_PROGRESS, Status.RETURNED, Status.DISPATCHED}),
    Status.CLOSED: frozenset({Status.REOPENED}),
    Status.MERGED: frozenset(),
}

# The dispatchers' queue (派单队列): no department has the ticket; the dispatch deadline runs.
DISPATCH_QUEUE: frozenset[Status] = frozenset({Status.RECEIVED, Status.RETURNED})
# A department holds the ticket and works on it (办理中): the reply deadline runs, progress
# notes and co-handlers (协办) join.
WORKING: frozenset[Status] = frozenset({Status.DISPATCHED, Status.IN_PROGRESS, Status.REOPENED})
# Staff still owe something: a dispatch or a reply. Replied tickets wait for the resident.
AWAITING_STAFF: frozenset[Status] = DISPATCH_QUEUE | WORKING
# Nothing more happens unless the ticket is reopened (closed) or ever (merged).
FINISHED: frozenset[Status] = frozenset({Status.CLOSED, Status.MERGED})

# Moving into these needs a reason on record, whoever does it.
NOTE_REQUIRED: frozenset[Status] = frozenset({Status.RETURNED, Status.REOPENED, Status.MERGED})

SYSTEM_ACTOR = "system"


def resident_actor(sender_id: str) -> str:
    """The audit actor for the resident of the conversation `sender_id`."""
    return f"resident:{sender_id}"


def staff_actor(username: str) -> str:
    """The audit actor for the staff member `username`."""
    return f"staff:{username}"


def is_staff(actor: str) -> bool:
    """Whether `actor` names a staff member."""
    return actor.startswith("staff:")


def is_open(status: Status) -> bool:
    """Whether a ticket in `status` still needs work or an answer from the resident."""
    return status not in FINISHED


class DeadlineKind(StrEnum):
    """Which of a ticket's two deadlines; the value is what the database stores."""

    DISPATCH = "dispatch"
    REPLY = "reply"


# The statuses in which each deadline runs; in the others (replied, closed, merged) none does.
DEADLINE_RUNS_IN: dict[DeadlineKind, frozenset[Status]] = {
    DeadlineKind.DISPATCH: DISPATCH_QUEUE,
    DeadlineKind.REPLY: WORKING,
}


class Deadlined:
    """The deadline rule of the ticket table (`Ticket` mixes it in), in Python and in SQL.

    A deadline has passed from its due time on: overdue means `now >= due` (a due time
    is the instant the period ends, see `jiesu.deadlines`). A ticket without the due
    time of the deadline that runs is never overdue.
    """

    if TYPE_CHECKING:
        status: Mapped[Status]
        dispatch_due_at: Mapped[datetime | None]
        reply_due_at: Mapped[datetime | None]

    def running_deadline(self) -> tuple[DeadlineKind, datetime] | None:
        """The deadline that runs now and its due time; None if none runs or it is unset."""
        for kind, statuses in DEADLINE_RUNS_IN.items():
            if self.status in statuses:
                due = self.dispatch_due_at if kind is DeadlineKind.DISPATCH else self.reply_due_at
                return None if due is None else (kind, due)
        return None

    @hybrid_method
    def is_overdue(self, now: datetime) -> bool:
        """Whether the deadline that runs has passed at `now`."""
        running = self.running_deadline()
        return running is not None and now >= running[1]

    @is_overdue.expression
    @classmethod
    def _is_overdue_expression(cls, now: datetime) -> ColumnElement[bool]:
        """The SQL twin of `is_overdue`: a NULL due time compares as not overdue."""
        return or_(
            and_(
                cls.status.in_(DEADLINE_RUNS_IN[DeadlineKind.DISPATCH]), cls.dispatch_due_at <= now
            ),
            and_(cls.status.in_(DEADLINE_RUNS_IN[DeadlineKind.REPLY]), cls.reply_due_at <= now),
        )


def is_final(status: Status) -> bool:
    """Whether no change can leave `status`."""
    return not ALLOWED_TRANSITIONS[status]


def can_transition(from_status: Status, to_status: Status) -> bool:
    """Whether the table allows moving from `from_status` to `to_status`."""
    return to_status in ALLOWED_TRANSITIONS[from_status]


def note_required(to_status: Status, actor: str) -> bool:
    """Whether moving to `to_status` by `actor` needs a note.

    Staff closing a ticket must say how it was resolved; a resident confirming
    or the system closing after the follow-up need not.
    """
    return to_status in NOTE_REQUIRED or (to_status is Status.CLOSED and is_staff(actor))


class IllegalTransitionError(ValueError):
    """A status change the workflow does not allow."""

    def __init__(
        self,
        number: str,
        from_status: Status,
        to_status: Status,
        problem: str = "is not allowed",
    ) -> None:
        super().__init__(
            f"ticket {number}: changing status from {from_status} to {to_status} {problem}"
        )
        self.number = number
        self.from_status = from_status
        self.to_status = to_status


class NoteRequiredError(IllegalTransitionError):
    """An allowed status change attempted without the note it requires."""

    def __init__(self, number: str, from_status: Status, to_status: Status) -> None:
        super().__init__(number, from_status, to_status, "requires a note giving the reason")


def check_transition(
    number: str, from_status: Status, to_status: Status, *, actor: str, note: str | None
) -> None:
    """Raise unless ticket `number` may move from `from_status` to `to_status`."""
    if not can_transition(from_status, to_status):
        raise IllegalTransitionError(number, from_status, to_status)
    if note_required(to_status, actor) and not (note and note.strip()):
        raise NoteRequiredError(number, from_status, to_status)


def status_label(status: Status) -> str:
    """The staff-facing Chinese label of `status` (`jiesu/labels.yml`)."""
    return label("statuses", status.value)
