"""Coordinator grants: adding and removing them, audited (who may order for which sections)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from orders.domain.audit import record
from orders.domain.models import Campus, CoordinatorGrant, CourseLevel, Organization, User
from orders.domain.refusals import RuleBroken
from orders.extensions import db


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
        "may_approve": bool(grant.may_approve),
        "may_review_royalties": bool(grant.may_review_royalties),
    }


def grant_describe_scope(scope: GrantScope) -> str:
    """describe() for a scope, loading its organization and campus (the grant itself was never saved)."""
    unsaved = scope.grant()
    unsaved.organization = db.session.get(Organization, scope.organization_id) if scope.organization_id else None
    unsaved.campus = db.session.get(Campus, scope.campus_id) if scope.campus_id else None
    return unsaved.describe()


def add_grant(user: User, scope: GrantScope, *, actor: User, now: datetime, may_approve: bool = False,
              may_review_royalties: bool = False) -> CoordinatorGrant:
    """Give a user a coordinator grant (with its approval flags, docs/spec.md §8); the same scope twice is refused."""
    for existing in user.grants:
        if (existing.subject, existing.level, existing.organization_id, existing.campus_id) == (
            scope.subject, scope.level, scope.organization_id, scope.campus_id
        ):
            raise RuleBroken(f"{user.name} already has this grant ({existing.describe()}).")
    grant = scope.grant(user.id)
    grant.may_approve, grant.may_review_royalties = may_approve, may_review_royalties
    try:
        with db.session.begin_nested():  # the same grant posted at once: the unique scope index decides
            db.session.add(grant)
    except IntegrityError as error:
        raise RuleBroken(f"{user.name} already has this grant ({grant_describe_scope(scope)}).") from error
    db.session.refresh(grant)  # load organization and campus for describe()
    record(
        "grant.added",
        f"Grant for {user.name} ({user.email}): {grant.describe()}",
        None,
        grant_audit(grant),
        actor=actor,
        now=now,
    )
    return grant


def set_grant_flags(
    grant: CoordinatorGrant, *, may_approve: bool, may_review_royalties: bool, actor: User, now: datetime
) -> bool:
    """Change what a grant lets its holder decide (docs/spec.md §8: approve, review royalties); False when unchanged.
    Orders already waiting keep waiting; who may decide them is asked again at each decision."""
    before = {"may_approve": bool(grant.may_approve), "may_review_royalties": bool(grant.may_review_royalties)}
    after = {"may_approve": may_approve, "may_review_royalties": may_review_royalties}
    if before == after:
        return False
    grant.may_approve, grant.may_review_royalties = may_approve, may_review_royalties
    db.session.flush()
    record(
        "grant.flags_changed",
        f"Grant for {grant.user.name} ({grant.user.email}): {grant.describe()}",
        before,
        after,
        actor=actor,
        now=now,
    )
    return True


def remove_grant(grant: CoordinatorGrant, *, actor: User, now: datetime) -> None:
    """Take a coordinator grant away."""
    user = grant.user
    before = grant_audit(grant)
    target = f"Grant for {user.name} ({user.email}): {grant.describe()}"
    db.session.delete(grant)
    db.session.flush()
    record("grant.removed", target, before, None, actor=actor, now=now)
