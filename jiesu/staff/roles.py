"""Staff roles; their Chinese labels are in jiesu/labels.yml."""

from __future__ import annotations

from enum import StrEnum

from jiesu.labels import label


class Role(StrEnum):
    """What a staff member does; the value is what the database stores."""

    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    HANDLER = "handler"
    GRID_WORKER = "grid_worker"
    SUPERVISOR = "supervisor"


def role_label(role: Role) -> str:
    """The Chinese name of `role` (`jiesu/labels.yml`)."""
    return label("roles", role.value)
