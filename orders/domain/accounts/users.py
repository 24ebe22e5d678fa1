"""Accounts: activating users and the Program Administrator flag.

No change here leaves the institution without an active Program Administrator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from orders.domain.audit import record
from orders.domain.institution import lock_institution
from orders.domain.models import AdminAuditEntry, User
from orders.domain.refusals import RuleBroken
from orders.extensions import db


def _active_admin_ids() -> list[int]:
    """Active Program Administrators (locked on PostgreSQL too, for a deployment without an institution row yet)."""
    return list(
        db.session.scalars(
            select(User.id)
            .where(User.is_program_admin.is_(True), User.active.is_(True))
            .order_by(User.id)
            .with_for_update()
        )
    )


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
    return record(
        kind, _user_target(user), {"is_program_admin": not flag}, {"is_program_admin": flag}, actor=actor, now=now
    )


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_ADMIN_PASSWORD = 12


@dataclass(frozen=True)
class AdminSetUp:
    """What create-admin did: a new account, or an existing one given the flag and a password."""

    user: User
    created: bool


def admin_account_problem(email: str, name: str, password: str) -> str | None:
    """Why these cannot make a Program Administrator's account, or None."""
    if not _EMAIL.match(email) or len(email) > 254:
        return f"“{email[:254]}” is not an email address like orders-admin@university.edu."
    if not name.strip() or len(name) > 200:
        return "Give the person's name (up to 200 characters)."
    if len(password) < MIN_ADMIN_PASSWORD:
        return f"The password must have at least {MIN_ADMIN_PASSWORD} characters."
    return None


def set_up_program_admin(email: str, name: str, password_hash: str, *, now: datetime) -> AdminSetUp:
    """A Program Administrator from the command line (the first one, or one locked out): a new active account with
    this password, or the account with this email (an SIS-imported one has no password) made active, given the
    flag and the password. Audited as the command's (no actor). Check admin_account_problem first."""
    email = email.strip().lower()
    user = db.session.scalars(select(User).where(func.lower(User.email) == email)).first()
    after = {"active": True, "is_program_admin": True, "password": "set"}
    if user is None:
        name = " ".join(name.split())
        user = User(
            name=name,
            sort_name=User.sort_key_for(name),
            email=email,
            password_hash=password_hash,
            active=True,
            is_program_admin=True,
        )
        db.session.add(user)
        db.session.flush()
        record("user.admin_created", _user_target(user), None, after, actor=None, now=now)
        return AdminSetUp(user, True)
    before = {"active": user.active, "is_program_admin": user.is_program_admin}
    user.active, user.is_program_admin, user.password_hash = True, True, password_hash
    db.session.flush()
    record("user.admin_granted", _user_target(user), before, after, actor=None, now=now)
    return AdminSetUp(user, False)


def active_admin_count() -> int:
    # A COUNT always returns its one row; scalar() is typed Optional.
    return (
        db.session.scalar(
            select(func.count()).select_from(User).where(User.is_program_admin.is_(True), User.active.is_(True))
        )
        or 0
    )
