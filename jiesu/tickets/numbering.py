"""Ticket numbers `YYYYMMDD-NNNN`: the local day, then a counter that restarts each day.

Numbers sort lexicographically in the order tickets were filed as long as a day
has at most 9999 tickets; the 10000th gets five digits and sorts among that
day's earlier numbers (it stays unique). A counter value taken by a transaction
that is then rolled back is not reused, so numbers may have gaps.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from jiesu.config import local_timezone
from jiesu.tickets.models import TicketCounter

_INSERTS: dict[str, Callable[[type[TicketCounter]], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


def allocate_number(session: Session, *, now: datetime, tz: tzinfo | None = None) -> str:
    """Take the next number of `now`'s day in `tz` (default: the local time zone).

    One upsert, inside the session's transaction, increments the day's counter
    and returns it. PostgreSQL holds the counter row's lock, and SQLite its
    database write lock, until the transaction ends, so concurrent filers wait
    for each other instead of reading the same value.
    """
    day = now.astimezone(tz if tz is not None else local_timezone()).date()
    dialect = session.get_bind().dialect.name
    if dialect not in _INSERTS:
        raise NotImplementedError(f"ticket numbering supports {sorted(_INSERTS)}, not {dialect}")
    statement = (
        _INSERTS[dialect](TicketCounter)
        .values(day=day, last_value=1)
        .on_conflict_do_update(
            index_elements=[TicketCounter.day],
            set_={"last_value": TicketCounter.last_value + 1},
        )
        .returning(TicketCounter.last_value)
    )
    value = session.execute(statement).scalar_one()
    return f"{day:%Y%m%d}-{value:04d}"
