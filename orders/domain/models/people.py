"""Users, their teaching assignments and coordinator grants, sessions and sign-in throttling."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orders.domain.models.base import UTCDateTime, _enum
from orders.domain.models.courses import CourseLevel
from orders.extensions import db

if TYPE_CHECKING:
    from orders.domain.models.courses import Campus, Organization
    from orders.extensions import Base as Model
else:
    Model = db.Model


class User(Model):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    sort_name: Mapped[str] = mapped_column(String(200), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    network_id: Mapped[str | None] = mapped_column(String(254), unique=True, index=True)  # the SSO identity (e.g. eppn)
    sis_id: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    # Deferred: only sign-in reads it, and every other user load (placers, instructors) skips it.
    # None under single sign-on: the account has no local password.
    password_hash: Mapped[str | None] = mapped_column(String(256), deferred=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_program_admin: Mapped[bool] = mapped_column(Boolean, default=False)

    # Loaded with the signed-in user (orders.web.loaders.load_user); nobody else's grants are ever needed in bulk.
    grants: Mapped[list[CoordinatorGrant]] = relationship(back_populates="user", lazy="select")

    # What Flask-Login asks of a signed-in user, spelled out so the domain needs nothing of the web layer.
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sign-in for inactive users
        return self.active

    @property
    def is_coordinator(self) -> bool:
        return bool(self.grants)

    @staticmethod
    def sort_key_for(name: str) -> str:
        """Family name first, so lists sort the way registrars print them."""
        parts = name.split()
        return " ".join(parts[-1:] + parts[:-1]).lower()


class TeachingAssignment(Model):
    __tablename__ = "teaching_assignment"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id"), primary_key=True, index=True)


class CoordinatorGrant(Model):
    """A coordinator's scope; an unset dimension matches any section."""

    __tablename__ = "coordinator_grant"
    __table_args__ = (
        # One grant per scope and user: an unset dimension is '' or 0 here, since NULLs never collide.
        Index(
            "uq_coordinator_grant_scope", "user_id", text("coalesce(subject, '')"), text("coalesce(level, '')"),
            text("coalesce(organization_id, 0)"), text("coalesce(campus_id, 0)"), unique=True,
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    subject: Mapped[str | None] = mapped_column(String(16))
    level: Mapped[CourseLevel | None] = mapped_column(_enum(CourseLevel, "course_level"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    campus_id: Mapped[int | None] = mapped_column(ForeignKey("campus.id"))
    # docs/spec.md §8: approve orders whose every section this grant (or another flagged one) covers;
    # review orders whose materials an instructor wrote or earns a royalty on.
    may_approve: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    may_review_royalties: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    user: Mapped[User] = relationship(back_populates="grants")
    organization: Mapped[Organization | None] = relationship(lazy="joined")
    campus: Mapped[Campus | None] = relationship(lazy="joined")

    def describe(self) -> str:
        """Human summary of the scope, e.g. "subject MATH, Graduate"."""
        parts = []
        if self.subject:
            parts.append(f"subject {self.subject}")
        if self.level:
            parts.append(self.level.value)
        if self.organization:
            parts.append(self.organization.name)
        if self.campus:
            parts.append(f"{self.campus.name} campus")
        return ", ".join(parts) or "all sections"

    def describe_flags(self) -> str:
        """What the grant lets its holder decide besides ordering, e.g. "may approve, may review royalties"."""
        return ", ".join(word for flag, word in ((self.may_approve, "may approve"),
                                                 (self.may_review_royalties, "may review royalties")) if flag)


class UserSession(Model):
    """One signed-in browser session; the signed cookie carries a random token whose hash is `id`.

    Deleting the row ends the session for every copy of the cookie.
    """

    __tablename__ = "user_session"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the 12-hour absolute lifetime counts from here
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the idle timeout counts from here
    via: Mapped[str] = mapped_column(String(16))  # "password" or "header"


class SignInFailure(Model):
    """One failed local sign-in; counted per account, per client address and per pair."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (
        Index("ix_sign_in_failure_account", "account", "occurred_at"),
        Index("ix_sign_in_failure_address", "address", "occurred_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    account: Mapped[str] = mapped_column(String(64))  # sha256 hex of the typed email, lower-cased (never the text)
    address: Mapped[str] = mapped_column(String(64))  # the client address


class SignInLock(Model):
    """A lock on an account, a client address or a pair, until `locked_until`."""

    __tablename__ = "sign_in_lock"
    scope: Mapped[str] = mapped_column(String(80), primary_key=True)  # "account:<hash>", "address:<ip>", "pair:<hash>"
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime)
