"""Accounts: activating users and the Program Administrator flag, never leaving the institution without an active one."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from orders.domain.audit import record
from orders.domain.institution import lock_institution
from orders.domain.models import AdminAuditEntry, User
from orders.domain.refusals import RuleBroken
from orders.extensions import db


def _active_admin_ids() -> list[int]:
    """Active Program Administrators (locked on PostgreSQL too, for a deployment without an institution row yet)."""
    return list(db.session.scalars(
        select(User.id).where(User.is_program_admin.is_(True), User.active.is_(True)).order_by(User.id).with_for_update()
    ))


def _user_target(user: User) -> str:
    return f"{user.name} ({user.email})"


def _lock_and_reread(*users: User) -> list[int]:
    """Take the institution lock, re-read the users' flags as committed now, and return the active admins.

    The flags loaded at the start of the request may be stale: another admin's change may have
    committed while this one waited for the lock.
    """
    lock_institution()
    db.session.execute(
        select(User).where(User.id.in_([u.id for u in users])).execution_options(populate_existing=True)
    ).all()
    return _active_admin_ids()


def _still_admin(actor: User, admins: list[int]) -> None:
    if actor.id not in admins:
        raise RuleBroken("You are no longer an active Program Administrator.")


def set_user_active(user: User, active: bool, *, actor: User, now: datetime) -> AdminAuditEntry | None:
    """Activate or deactivate an account. Deactivated users are refused on their next request."""
    if not active and user.id != actor.id:
        admins = _lock_and_reread(user, actor)
        if user.active and user.is_program_admin and admins == [user.id]:
            raise RuleBroken(f"{user.name} is the last active Program Administrator and cannot be deactivated.")
        _still_admin(actor, admins)
    if user.active == active:
        return None
    if not active and user.id == actor.id:
        raise RuleBroken("You cannot deactivate your own account.")
    user.active = active
    db.session.flush()
    kind = "user.activated" if active else "user.deactivated"
    return record(kind, _user_target(user), {"active": not active}, {"active": active}, actor=actor, now=now)


def set_program_admin(user: User, flag: bool, *, actor: User, now: datetime) -> AdminAuditEntry | None:
    """Give or take the Program Administrator flag; the last active one keeps it."""
    if not flag:
        admins = _lock_and_reread(user, actor)
        if user.active and user.is_program_admin and admins == [user.id]:
            raise RuleBroken(f"{user.name} is the last active Program Administrator and must keep the flag.")
        _still_admin(actor, admins)
    if user.is_program_admin == flag:
        return None
    user.is_program_admin = flag
    db.session.flush()
    kind = "user.admin_granted" if flag else "user.admin_revoked"
    return record(kind, _user_target(user), {"is_program_admin": not flag}, {"is_program_admin": flag}, actor=actor, now=now)


def active_admin_count() -> int:
    # A COUNT always returns its one row; scalar() is typed Optional.
    return db.session.scalar(select(func.count()).select_from(User).where(User.is_program_admin.is_(True), User.active.is_(True))) or 0


