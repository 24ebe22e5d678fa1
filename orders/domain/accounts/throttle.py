"""Failed local sign-ins, counted in the database so every worker and server agrees (docs/spec.md §6a).

5 failures for one account from one client address within 15 minutes lock that pair for 15
minutes; 20 for one account from any addresses lock the account; 50 from one address lock the
address. Checking is one primary-key lookup on sign_in_lock. An attempt that passes it is counted
*before* its password is checked (`reserve`, committed on its own), serialized per account and per
address, so parallel guesses cannot all pass a count none of them has added to yet: at most 5
passwords are ever checked per pair and window. A correct password takes its reservation back.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, case, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from orders.domain.models import SignInFailure, SignInLock
from orders.extensions import db

WINDOW = timedelta(minutes=15)
LOCK_FOR = timedelta(minutes=15)
PAIR_LIMIT = 5
ACCOUNT_LIMIT = 20
ADDRESS_LIMIT = 50


@dataclass(frozen=True)
class Attempt:
    """Who is trying: the typed email (hashed, whether or not such an account exists) and the client address."""

    account: str
    address: str

    @classmethod
    def of(cls, email: str, address: str) -> Attempt:
        return cls(hashlib.sha256(email.strip().lower().encode()).hexdigest(), address[:64])

    @property
    def pair_scope(self) -> str:
        return "pair:" + hashlib.sha256(f"{self.account}|{self.address}".encode()).hexdigest()

    @property
    def account_scope(self) -> str:
        return "account:" + self.account

    @property
    def address_scope(self) -> str:
        return "address:" + self.address

    @property
    def scopes(self) -> tuple[str, str, str]:
        return (self.pair_scope, self.account_scope, self.address_scope)


def locked_until(attempt: Attempt, now: datetime) -> datetime | None:
    """When the attempt may be tried again, if any of its scopes is locked: one indexed query."""
    return db.session.scalar(
        select(func.max(SignInLock.locked_until)).where(
            SignInLock.scope.in_(attempt.scopes), SignInLock.locked_until > now
        )
    )


def _serialize(attempt: Attempt) -> None:
    """Hold this attempt's account and address until the transaction ends, so counts cannot go stale.

    PostgreSQL: transaction-scoped advisory locks, taken in one order (no deadlock between two
    attempts). SQLite: the DELETE that follows takes the database's one write lock.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted(
        int.from_bytes(hashlib.sha256(scope.encode()).digest()[:8], "big", signed=True)
        for scope in (attempt.account_scope, attempt.address_scope)
    )
    for key in keys:
        db.session.execute(select(func.pg_advisory_xact_lock(key)))


def reserve(attempt: Attempt, now: datetime) -> datetime | None:
    """Count this attempt as a failure before its password is checked; the caller commits at once.

    Returns the lock's end when the attempt is one too many (it is then not counted, and its
    password must not be checked); None when the password may be checked.
    """
    _serialize(attempt)
    db.session.execute(delete(SignInFailure).where(SignInFailure.occurred_at <= now - WINDOW))
    row_id = db.session.execute(
        insert(SignInFailure)
        .values(occurred_at=now, account=attempt.account, address=attempt.address)
        .returning(SignInFailure.id)
    ).scalar_one()
    over = [scope for scope, count, limit in _counts(attempt, now) if count > limit]
    if not over:
        return None
    db.session.execute(delete(SignInFailure).where(SignInFailure.id == row_id))
    until = now + LOCK_FOR
    for scope in over:
        _lock(scope, until)
    return until


def record_failure(attempt: Attempt, now: datetime) -> datetime | None:
    """After a wrong password (already counted by `reserve`): lock every scope that reached its limit. Flushes."""
    reached = [scope for scope, count, limit in _counts(attempt, now) if count >= limit]
    until = now + LOCK_FOR
    for scope in reached:
        _lock(scope, until)
    return until if reached else None


def _counts(attempt: Attempt, now: datetime) -> list[tuple[str, int, int]]:
    """(scope, failures in the window, limit) for the attempt's pair, account and address."""
    since = now - WINDOW
    same_account = SignInFailure.account == attempt.account
    same_address = SignInFailure.address == attempt.address
    # coalesce(sum(...), 0) is always an integer; SQLAlchemy types a sum of CASE only as object.
    pair, account, address = cast(
        "tuple[int, int, int]",
        db.session.execute(
            select(
                func.coalesce(func.sum(case((same_account & same_address, 1), else_=0)), 0),
                func.coalesce(func.sum(case((same_account, 1), else_=0)), 0),
                func.coalesce(func.sum(case((same_address, 1), else_=0)), 0),
            ).where(or_(same_account, same_address), SignInFailure.occurred_at > since)
        ).one(),
    )
    return [
        (attempt.pair_scope, pair, PAIR_LIMIT),
        (attempt.account_scope, account, ACCOUNT_LIMIT),
        (attempt.address_scope, address, ADDRESS_LIMIT),
    ]


def _lock(scope: str, until: datetime) -> None:
    """Insert or extend one lock (two workers locking the same scope at once both succeed)."""
    # An UPDATE or DELETE returns a CursorResult; Session.execute is typed as returning the plain Result.
    updated = cast(
        "CursorResult[Any]",
        db.session.execute(update(SignInLock).where(SignInLock.scope == scope).values(locked_until=until)),
    )
    if updated.rowcount:
        return
    try:
        with db.session.begin_nested():
            db.session.execute(insert(SignInLock).values(scope=scope, locked_until=until))
    except IntegrityError:  # another worker inserted it first
        db.session.execute(update(SignInLock).where(SignInLock.scope == scope).values(locked_until=until))


def clear_account(attempt: Attempt) -> None:
    """A successful sign-in clears the account's failure count (the address's count stays). Flushes."""
    db.session.execute(delete(SignInFailure).where(SignInFailure.account == attempt.account))
