"""LMS connections (LTI 1.3, docs/spec.md §9): platforms, the tool's keys, launches and what they remember."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orders.domain.models.base import UTCDateTime, _enum
from orders.extensions import db

if TYPE_CHECKING:
    from orders.domain.models.courses import Section
    from orders.domain.models.people import User
    from orders.extensions import Base as Model
else:
    Model = db.Model


class PersonMatch(enum.Enum):
    """How a launch's person is matched to an account: one field, never a fallback to the other."""

    EMAIL = "email"  # the launch's `email` claim = the user's email (case-insensitive)
    SIS_ID = "sis_id"  # the LIS person_sourcedid claim = the user's SIS id (exact)


class LtiConnection(Model):
    """One platform registration: who may launch the tool, and where its keys and services live."""

    __tablename__ = "lti_connection"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="uq_lti_connection_issuer_client"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(300))
    client_id: Mapped[str] = mapped_column(String(200))
    auth_url: Mapped[str] = mapped_column(String(500))  # the platform's OIDC authorization endpoint
    token_url: Mapped[str] = mapped_column(String(500))  # its OAuth 2 token endpoint (client credentials)
    jwks_url: Mapped[str] = mapped_column(String(500))  # its public key set
    match: Mapped[PersonMatch] = mapped_column(_enum(PersonMatch, "lti_person_match"), default=PersonMatch.EMAIL)
    # Where people use the LMS, when it is not the issuer's origin (Canvas: issuer canvas.instructure.com,
    # courses at school.instructure.com): the CSP's frame-ancestors lets that origin frame the tool.
    lms_url: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    deployments: Mapped[list[LtiDeployment]] = relationship(
        back_populates="connection", cascade="all, delete-orphan", order_by="LtiDeployment.deployment_id"
    )

    @property
    def deployment_ids(self) -> list[str]:
        return [d.deployment_id for d in self.deployments]


class LtiDeployment(Model):
    """A deployment id the platform may launch the tool under."""

    __tablename__ = "lti_deployment"
    __table_args__ = (UniqueConstraint("connection_id", "deployment_id", name="uq_lti_deployment"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("lti_connection.id", ondelete="CASCADE"), index=True)
    deployment_id: Mapped[str] = mapped_column(String(200))

    connection: Mapped[LtiConnection] = relationship(back_populates="deployments")


class LtiToolKey(Model):
    """One of the tool's RSA key pairs; the newest signs, the key set publishes it and the one before."""

    __tablename__ = "lti_tool_key"
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)  # the RFC 7638 thumbprint
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class LtiNonce(Model):
    """A nonce our login step issued: a launch may use it once, before it expires."""

    __tablename__ = "lti_nonce"
    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LtiStoredValue(Model):
    """The LTI library's launch storage (login state, launch data), shared by every worker."""

    __tablename__ = "lti_stored_value"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[dict | list | str | bool | None] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class LtiLaunch(Model):
    """A launch that signed someone in: which connection, person and LMS course; its pages are theirs only."""

    __tablename__ = "lti_launch"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)  # the library's launch id
    connection_id: Mapped[int] = mapped_column(ForeignKey("lti_connection.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    context_id: Mapped[str | None] = mapped_column(String(255))
    context_title: Mapped[str | None] = mapped_column(String(300))
    section_ids: Mapped[list] = mapped_column(JSON, default=list)  # from the LIS claim; [] = look up the course link
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    connection: Mapped[LtiConnection] = relationship()


class LtiIdentity(Model):
    """A remembered LMS person: platform + `sub` -> user."""

    __tablename__ = "lti_identity"
    __table_args__ = (UniqueConstraint("connection_id", "sub", name="uq_lti_identity_sub"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("lti_connection.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LtiCourseLink(Model):
    """An LMS course (context id) linked to one of our sections, for platforms that send no LIS section ids."""

    __tablename__ = "lti_course_link"
    __table_args__ = (
        UniqueConstraint("connection_id", "context_id", "section_id", name="uq_lti_course_link"),
        Index("ix_lti_course_link_context", "connection_id", "context_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("lti_connection.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(255))
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id"))
    linked_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)

    section: Mapped[Section] = relationship()


class LtiRegistrationToken(Model):
    """A one-time LTI Dynamic Registration link a Program Administrator made: nobody else can register a platform."""

    __tablename__ = "lti_registration_token"
    # sha256 hex: a leaked table registers nothing
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
