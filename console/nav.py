"""The console's menu: each page with the capability its route requires, so that a staff
member is shown only the pages their role may open."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from jiesu.staff.models import StaffUser
from jiesu.staff.permissions import Capability, can


@dataclass(frozen=True)
class NavLink:
    """A menu entry; `needs` is the capability its page's guard requires, if any."""

    href: str
    label: str
    needs: Capability | None = None


NAV: Final = (
    NavLink("/handoffs", "人工接管", Capability.READ_HANDOFFS),
    NavLink("/tickets", "工单"),
    NavLink("/tickets?queue=dispatch", "派单队列"),
    NavLink("/alerts", "督办提醒"),
    NavLink("/dashboard", "统计督办"),
    NavLink("/hot", "热点问题"),
    NavLink("/faq/gaps", "问答缺口", Capability.READ_FAQ_GAPS),
    NavLink("/undelivered", "未送达消息", Capability.READ_UNDELIVERED),
    NavLink("/users", "用户管理", Capability.MANAGE_USERS),
)


def menu_for(user: StaffUser) -> list[NavLink]:
    """The menu entries `user` may open, in menu order."""
    return [link for link in NAV if link.needs is None or can(user, link.needs)]
