"""Staff roles and their Chinese labels."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a staff member does; the value is what the database stores."""

    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    HANDLER = "handler"
    GRID_WORKER = "grid_worker"
    SUPERVISOR = "supervisor"


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "管理员",
    Role.DISPATCHER: "派单员",
    Role.HANDLER: "承办人",
    Role.GRID_WORKER: "网格员",
    Role.SUPERVISOR: "督办",
}


def role_label(role: Role) -> str:
    """The Chinese name of `role`."""
    return ROLE_LABELS[role]
