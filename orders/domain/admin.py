"""Back-office changes. Each takes the acting Program Administrator and `now`, writes exactly one
AdminAuditEntry in the same transaction as the change, flushes and never commits.

A refused change raises AdminError before anything is written; the view rolls back regardless.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import g, has_request_context
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from orders.domain.catalog.fields import ItemFields, item_values
from orders.domain.institution import lock_institution
from orders.domain.models import (
    AdminAuditEntry,
    Campus,
    CatalogItem,
    CoordinatorGrant,
    CourseLevel,
    Institution,
    OrderingPeriod,
    Organization,
    Term,
    User,
)
from orders.extensions import db


class AdminError(Exception):
    """A back-office change that breaks a rule; the message is shown to the administrator."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def record(kind: str, target: str, before: dict | None, after: dict | None, *, actor: User | None, now: datetime) -> AdminAuditEntry:
    """Append one audit entry (who, when, what, before -> after)."""
    entry = AdminAuditEntry(
        actor_id=actor.id if actor is not None else None, occurred_at=now, kind=kind, target=target[:300],
        before=before, after=after, request_id=g.get("request_id") if has_request_context() else None,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


# --- Ordering periods ---------------------------------------------------------------------------


def _kept(stored: datetime | None, sent: datetime | None) -> datetime | None:
    """The stored moment when `sent` is the same minute, else `sent`."""
    if stored is not None and sent is not None and stored.replace(second=0, microsecond=0) == sent.replace(second=0, microsecond=0):
        return stored
    return sent


def period_problem(opens_at: datetime, soft_close_at: datetime | None, closes_at: datetime) -> str | None:
    """The rule opens < soft close <= closes (soft close optional), or why the values break it."""
    if not opens_at < closes_at:
        return "The period must open before it closes."
    if soft_close_at is not None and not opens_at < soft_close_at:
        return "The soft close must come after the opening."
    if soft_close_at is not None and not soft_close_at <= closes_at:
        return "The soft close must not come after the close."
    return None


def save_period(term: Term, opens_at: datetime, soft_close_at: datetime | None, closes_at: datetime, *, actor: User,
                now: datetime) -> AdminAuditEntry | None:
    """Create or change a term's ordering period; None when the values are already those."""
    problem = period_problem(opens_at, soft_close_at, closes_at)
    if problem:
        raise AdminError(problem)
    period = term.period
    if period is not None:
        # The form shows times to the minute: a time sent back unchanged keeps its stored seconds, so
        # it is not a change (and is not logged as one).
        opens_at = _kept(period.opens_at, opens_at)
        soft_close_at = _kept(period.soft_close_at, soft_close_at)
        closes_at = _kept(period.closes_at, closes_at)
    after = {"opens_at": _iso(opens_at), "soft_close_at": _iso(soft_close_at), "closes_at": _iso(closes_at)}
    if period is None:
        term.period = OrderingPeriod(opens_at=opens_at, soft_close_at=soft_close_at, closes_at=closes_at)
        db.session.flush()
        return record("period.created", f"{term.name} ordering period", None, after, actor=actor, now=now)
    before = {"opens_at": _iso(period.opens_at), "soft_close_at": _iso(period.soft_close_at), "closes_at": _iso(period.closes_at)}
    changed = [k for k in after if before[k] != after[k]]
    if not changed:
        return None
    period.opens_at, period.soft_close_at, period.closes_at = opens_at, soft_close_at, closes_at
    db.session.flush()
    # Only what changed: a new soft close alone is logged as that, not as three changes.
    return record("period.updated", f"{term.name} ordering period", {k: before[k] for k in changed},
                  {k: after[k] for k in changed}, actor=actor, now=now)


# --- Coordinator grants ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantScope:
    """The dimensions of a grant; None means any."""

    subject: str | None = None
    level: CourseLevel | None = None
    organization_id: int | None = None
    campus_id: int | None = None

    def grant(self, user_id: int | None = None) -> CoordinatorGrant:
        """An unsaved grant with this scope (for previews and for adding)."""
        return CoordinatorGrant(user_id=user_id, subject=self.subject, level=self.level,
                                organization_id=self.organization_id, campus_id=self.campus_id)


def grant_audit(grant: CoordinatorGrant) -> dict:
    org = db.session.get(Organization, grant.organization_id) if grant.organization_id else None
    campus = db.session.get(Campus, grant.campus_id) if grant.campus_id else None
    return {
        "subject": grant.subject,
        "level": grant.level.value if grant.level else None,
        "organization": org.code if org else None,
        "campus": campus.code if campus else None,
    }


def grant_describe_scope(scope: GrantScope) -> str:
    """describe() for a scope, loading its organization and campus (the grant itself was never saved)."""
    unsaved = scope.grant()
    unsaved.organization = db.session.get(Organization, scope.organization_id) if scope.organization_id else None
    unsaved.campus = db.session.get(Campus, scope.campus_id) if scope.campus_id else None
    return unsaved.describe()


def add_grant(user: User, scope: GrantScope, *, actor: User, now: datetime) -> CoordinatorGrant:
    """Give a user a coordinator grant; the same scope twice is refused."""
    for existing in user.grants:
        if (existing.subject, existing.level, existing.organization_id, existing.campus_id) == (
            scope.subject, scope.level, scope.organization_id, scope.campus_id
        ):
            raise AdminError(f"{user.name} already has this grant ({existing.describe()}).")
    grant = scope.grant(user.id)
    try:
        with db.session.begin_nested():  # the same grant posted at once: the unique scope index decides
            db.session.add(grant)
    except IntegrityError as error:
        raise AdminError(f"{user.name} already has this grant ({grant_describe_scope(scope)}).") from error
    db.session.refresh(grant)  # load organization and campus for describe()
    record("grant.added", f"Grant for {user.name} ({user.email}): {grant.describe()}", None, grant_audit(grant), actor=actor, now=now)
    return grant


def remove_grant(grant: CoordinatorGrant, *, actor: User, now: datetime) -> None:
    """Take a coordinator grant away."""
    user = grant.user
    before = grant_audit(grant)
    target = f"Grant for {user.name} ({user.email}): {grant.describe()}"
    db.session.delete(grant)
    db.session.flush()
    record("grant.removed", target, before, None, actor=actor, now=now)


# --- Users ---------------------------------------------------------------------------------------


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
        raise AdminError("You are no longer an active Program Administrator.")


def set_user_active(user: User, active: bool, *, actor: User, now: datetime) -> AdminAuditEntry | None:
    """Activate or deactivate an account. Deactivated users are refused on their next request."""
    if not active and user.id != actor.id:
        admins = _lock_and_reread(user, actor)
        if user.active and user.is_program_admin and admins == [user.id]:
            raise AdminError(f"{user.name} is the last active Program Administrator and cannot be deactivated.")
        _still_admin(actor, admins)
    if user.active == active:
        return None
    if not active and user.id == actor.id:
        raise AdminError("You cannot deactivate your own account.")
    user.active = active
    db.session.flush()
    kind = "user.activated" if active else "user.deactivated"
    return record(kind, _user_target(user), {"active": not active}, {"active": active}, actor=actor, now=now)


def set_program_admin(user: User, flag: bool, *, actor: User, now: datetime) -> AdminAuditEntry | None:
    """Give or take the Program Administrator flag; the last active one keeps it."""
    if not flag:
        admins = _lock_and_reread(user, actor)
        if user.active and user.is_program_admin and admins == [user.id]:
            raise AdminError(f"{user.name} is the last active Program Administrator and must keep the flag.")
        _still_admin(actor, admins)
    if user.is_program_admin == flag:
        return None
    user.is_program_admin = flag
    db.session.flush()
    kind = "user.admin_granted" if flag else "user.admin_revoked"
    return record(kind, _user_target(user), {"is_program_admin": not flag}, {"is_program_admin": flag}, actor=actor, now=now)


# --- Catalog ----------------------------------------------------------------------------------------


def _isbn_taken(code: str, except_id: int | None) -> CatalogItem | None:
    query = select(CatalogItem).where(CatalogItem.isbn13 == code)
    if except_id is not None:
        query = query.where(CatalogItem.id != except_id)
    return db.session.scalars(query).first()


def _item_target(values: dict) -> str:
    return f"Catalog item {values['isbn13']} {values['title']}"


def save_item(item: CatalogItem | None, fields: ItemFields, *, actor: User, now: datetime) -> tuple[CatalogItem, bool]:
    """Add an item (item None) or change one; returns the item and whether anything changed."""
    holder = _isbn_taken(fields.isbn13, item.id if item else None)
    if holder is not None:
        raise AdminError(f"ISBN {fields.isbn13} already belongs to “{holder.title}”.")
    after = fields.as_audit()
    taken = AdminError(f"ISBN {fields.isbn13} already exists in the catalog: another change added it just now.")
    if item is None:
        item = CatalogItem(**{k: getattr(fields, k) for k in after})
        try:
            with db.session.begin_nested():  # two admins adding one ISBN at once: the unique index decides
                db.session.add(item)
        except IntegrityError as error:
            raise taken from error
        record("catalog.item_added", _item_target(after), None, after, actor=actor, now=now)
        return item, True
    before = item_values(item)
    after["active"] = item.active  # the edit form does not change it; deactivate/reactivate does
    changed = {k: v for k, v in after.items() if before[k] != v}
    if not changed:
        return item, False
    try:
        with db.session.begin_nested():
            for name in changed:
                setattr(item, name, getattr(fields, name))
    except IntegrityError as error:
        raise taken from error
    record("catalog.item_updated", _item_target(after), {k: before[k] for k in changed}, changed, actor=actor, now=now)
    return item, True


def set_item_active(item: CatalogItem, active: bool, *, actor: User, now: datetime) -> AdminAuditEntry | None:
    """Deactivate (no longer orderable; orders keep it) or reactivate a catalog item."""
    if item.active == active:
        return None
    item.active = active
    db.session.flush()
    kind = "catalog.item_reactivated" if active else "catalog.item_deactivated"
    return record(kind, _item_target(item_values(item)), {"active": not active}, {"active": active}, actor=actor, now=now)


@dataclass(frozen=True)
class CatalogImportResult:
    inserted: int
    updated: int
    unchanged: int


def import_catalog(items: list[ItemFields], filename: str, *, actor: User, now: datetime) -> CatalogImportResult:
    """Upsert validated items by ISBN in bulk: one SELECT, one INSERT batch, one UPDATE batch, one audit entry."""
    codes = [i.isbn13 for i in items]
    existing: dict[str, CatalogItem] = {}
    for start in range(0, len(codes), 1000):
        chunk = codes[start:start + 1000]
        existing.update((item.isbn13, item) for item in db.session.scalars(select(CatalogItem).where(CatalogItem.isbn13.in_(chunk))))
    inserted, updated = [], {}
    for fields in items:
        after = fields.as_audit()
        item = existing.get(fields.isbn13)
        if item is None:
            db.session.add(CatalogItem(**{k: getattr(fields, k) for k in after}))
            inserted.append(fields.isbn13)
            continue
        before = item_values(item)
        changed = {k: v for k, v in after.items() if before[k] != v}
        if changed:
            for name in changed:
                setattr(item, name, getattr(fields, name))
            updated[fields.isbn13] = {name: [before[name], value] for name, value in changed.items()}
    db.session.flush()
    result = CatalogImportResult(len(inserted), len(updated), len(items) - len(inserted) - len(updated))
    if inserted or updated:
        record(
            "catalog.imported", f"Catalog import {filename}"[:300], None,
            {"file": filename, "inserted": inserted, "updated": updated, "unchanged": result.unchanged},
            actor=actor, now=now,
        )
    return result


# --- Institution settings --------------------------------------------------------------------------


@dataclass(frozen=True)
class InstitutionFields:
    name: str
    timezone: str
    contact_email: str
    reminders_enabled: bool


def update_institution(institution: Institution | None, fields: InstitutionFields, *, actor: User,
                       now: datetime) -> AdminAuditEntry | None:
    """Change the institution's settings (creating the one row if none exists yet)."""
    after = {"name": fields.name, "timezone": fields.timezone, "contact_email": fields.contact_email,
             "reminders_enabled": fields.reminders_enabled}
    if institution is None:
        db.session.add(Institution(**after))
        db.session.flush()
        return record("institution.updated", "Institution settings", None, after, actor=actor, now=now)
    before = {k: getattr(institution, k) for k in after}
    changed = {k: v for k, v in after.items() if before[k] != v}
    if not changed:
        return None
    for name, value in changed.items():
        setattr(institution, name, value)
    db.session.flush()
    return record("institution.updated", "Institution settings", {k: before[k] for k in changed}, changed, actor=actor, now=now)


def active_admin_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.is_program_admin.is_(True), User.active.is_(True)))
