"""Staff accounts: create them, check passwords, and tell whether an admin exists."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiesu.city import current_city
from jiesu.staff.models import StaffUser
from jiesu.staff.passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password
from jiesu.staff.roles import Role


class AccountError(ValueError):
    """An account that cannot be created as asked; the message is in Chinese for operators."""


def _check_binding(role: Role, department: str | None, grids: Sequence[str]) -> None:
    city = current_city()
    if role is Role.HANDLER:
        if not department:
            raise AccountError("承办人必须用 --department 指定所属承办单位。")
        try:
            city.department(department)
        except KeyError:
            known = "、".join(d.id for d in city.departments)
            raise AccountError(f"没有编号为 {department} 的承办单位，可选：{known}") from None
    elif department:
        raise AccountError("只有承办人绑定承办单位。")
    if role is Role.GRID_WORKER:
        if not grids:
            raise AccountError("网格员必须用 --grid 指定至少一个网格。")
        for grid in grids:
            try:
                city.grid(grid)
            except KeyError:
                raise AccountError(f"没有编号为 {grid} 的网格。") from None
    elif grids:
        raise AccountError("只有网格员绑定网格。")


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
    if len(password) < MIN_LENGTH:
        raise AccountError(f"密码至少 {MIN_LENGTH} 位。")
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
    """The active account if `password` is its password; upgrades an outdated hash."""
    user = find_user(session, username)
    if user is None or not user.active or not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def admin_exists(session: Session) -> bool:
    """Whether any active admin account exists (else the console says how to make one)."""
    query = select(StaffUser.id).where(StaffUser.role == Role.ADMIN, StaffUser.active)
    return session.scalars(query.limit(1)).first() is not None
