"""Who works the handoff inbox: the service desk answers, supervisors read along."""

from __future__ import annotations

from jiesu.staff.models import StaffUser
from jiesu.staff.roles import Role

_ANSWER = frozenset({Role.ADMIN, Role.DISPATCHER})
_READ = _ANSWER | {Role.SUPERVISOR}


def may_view_handoffs(user: StaffUser) -> bool:
    """Whether `user` may open the inbox and read transcripts."""
    return user.role in _READ


def may_answer_handoffs(user: StaffUser) -> bool:
    """Whether `user` may take over, reply, note, claim and hand back."""
    return user.role in _ANSWER
