"""Staff accounts: create, list, deactivate and reset them, check passwords, find admins.

The CLI (`jiesu users add`) and the console's user pages both use these.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiesu.city import current_city
from jiesu.labels import department_name, grid_label
from jiesu.staff.models import StaffUser
from jiesu.staff.passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password
from jiesu.staff.roles import Role, role_label
from jiesu.staff.sessions import end_sessions_of

USERNAME_LENGTH = 64


class AccountError(ValueError):
    """An account change refused; the message is in Chinese, for operators."""


def _check_binding(role: Role, department: str | None, grids: Sequence[str]) -> None:
    city = current_city()
    if role is Role.HANDLER:
        if not department:
            raise AccountError("承办人必须指定所属承办单位。")
        try:
            city.department(department)
        except KeyError:
            known = "、".join(d.id for d in city.departments)
            raise AccountError(f"没有编号为 {department} 的承办单位，可选：{known}") from None
    elif department:
        raise AccountError("只有承办人绑定承办单位。")
    if role is Role.GRID_WORKER:
        if not grids:
            raise AccountError("网格员必须指定至少一个网格。")
        for grid in grids:
            try:
                city.grid(grid)
            except KeyError:
                raise AccountError(f"没有编号为 {grid} 的网格。") from None
    elif grids:
        raise AccountError("只有网格员绑定网格。")


def _check_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise AccountError(f"密码至少 {MIN_LENGTH} 位。")


def check_confirmation(password: str, confirmation: str) -> None:
    """Refuse a new password typed differently the second time."""
    if password != confirmation:
        raise AccountError("两次输入的密码不一致。")


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role,
    *,
    department: str | None = None,
    grids: Sequence[str] = (),
) -> StaffUser:
    """Add an account; AccountError if the name is taken or the binding does not fit the role."""
    username = username.strip()
    if not username:
        raise AccountError("用户名不能为空。")
    if len(username) > USERNAME_LENGTH:
        raise AccountError(f"用户名最多 {USERNAME_LENGTH} 个字符。")
    _check_password(password)
    _check_binding(role, department, grids)
    if find_user(session, username) is not None:
        raise AccountError(f"用户名 {username} 已存在。")
    user = StaffUser(
        username=username,
        role=role,
        department=department,
        grids=list(grids),
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, username: str) -> StaffUser | None:
    """The account named `username`, active or not."""
    return session.scalars(select(StaffUser).where(StaffUser.username == username)).one_or_none()


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    """The active account if `password` is its password; upgrades an outdated hash.

    An unknown or deactivated username costs a password check too (against a hash of
    nothing), so the time taken does not tell which usernames exist.
    """
    user = find_user(session, username)
    if user is None or not user.active:
        verify_password(_decoy_hash(), password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


@cache
def _decoy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def admin_exists(session: Session) -> bool:
    """Whether any active admin account exists (else the console says how to make one)."""
    query = select(StaffUser.id).where(StaffUser.role == Role.ADMIN, StaffUser.active)
    return session.scalars(query.limit(1)).first() is not None


def list_users(session: Session) -> list[StaffUser]:
    """Every account, active or not, by username."""
    return list(session.scalars(select(StaffUser).order_by(StaffUser.username)))


@dataclass(frozen=True)
class UserRow:
    """An account as the user list and its export show it; never its password hash."""

    id: int
    username: str
    role: str
    department: str
    grids: str
    active: bool


def user_rows(session: Session) -> list[UserRow]:
    """`list_users` in the words staff read: role, department and grid names."""
    return [
        UserRow(
            id=user.id,
            username=user.username,
            role=role_label(user.role),
            department=department_name(user.department) if user.department else "",
            grids="、".join(grid_label(g) for g in user.grids),
            active=user.active,
        )
        for user in list_users(session)
    ]


def set_active(session: Session, user: StaffUser, active: bool, *, by: StaffUser) -> None:
    """Deactivate (ending its sessions) or reactivate `user`; nobody deactivates themselves."""
    if not active and user.id == by.id:
        raise AccountError("不能停用自己的账号。")
    user.active = active
    if not active:
        end_sessions_of(session, user)
    session.flush()


def reset_password(session: Session, user: StaffUser, password: str) -> None:
    """Give `user` a new password; their open sessions end."""
    _check_password(password)
    user.password_hash = hash_password(password)
    end_sessions_of(session, user)
    session.flush()
