"""Staff tables: accounts, sessions, failed logins, progress notes, personal-data views."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from jiesu.db import Base, UtcDateTime
from jiesu.models import utcnow
from jiesu.staff.roles import Role


class StaffUser(Base):
    """A staff account. `department` binds a handler, `grids` a grid worker."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, values_callable=lambda rs: [r.value for r in rs])
    )
    department: Mapped[str | None] = mapped_column(String(64), default=None)
    grids: Mapped[list[str]] = mapped_column(JSON, default=list)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class StaffSession(Base):
    """A logged-in browser. Only a hash of its token is stored."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", name="fk_staff_sessions_user_id_staff_users"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LoginFailure(Base):
    """One failed login, counted by username and client address for the rate limit."""

    __tablename__ = "staff_login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    client_ip: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)


class PersonalDataView(Base):
    """One display of a resident's unmasked personal data to a staff member."""

    __tablename__ = "personal_data_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(192))
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", name="fk_personal_data_views_ticket_id_tickets"), index=True
    )
    field: Mapped[str] = mapped_column(String(32))
    viewed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
