"""The institution's settings and the back office's audit log (docs/spec.md §1)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orders.domain.models.base import UTCDateTime, _enum
from orders.domain.models.students import ProgramMode
from orders.extensions import db

if TYPE_CHECKING:
    from orders.domain.models.people import User
    from orders.extensions import Base as Model
else:
    Model = db.Model


class Institution(Model):
    __tablename__ = "institution"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    contact_email: Mapped[str] = mapped_column(String(254))
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Student choice (docs/spec.md §1 "Student choice", 3 "Course materials (students)" and "Progress").
    program_mode: Mapped[ProgramMode] = mapped_column(
        _enum(ProgramMode, "program_mode"), default=ProgramMode.OPT_OUT, server_default=ProgramMode.OPT_OUT.value
    )
    consent_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    at_risk_threshold_percent: Mapped[int] = mapped_column(Integer, default=20, server_default=text("20"))
    # docs/spec.md §3 "Public course materials": off answers 404 for the whole public lookup.
    publish_course_materials: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    # docs/spec.md §10: a section's estimated required cost at or below this is "Low cost" (None: no such label),
    # with a link to the institution's criteria; Progress measures the disclosed share against the target.
    low_cost_threshold: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    low_cost_criteria_url: Mapped[str | None] = mapped_column(String(500))
    coverage_target_percent: Mapped[int] = mapped_column(Integer, default=55, server_default=text("55"))
    # docs/spec.md §8: a royalty Yes goes to review always (None), or only when the estimated royalty per
    # section (royalty per copy x the section's enrolled students) is above this amount.
    royalty_review_threshold: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    # Branding (issue 37, docs/design.md): an accent colour (#rrggbb; None: the product's own) and a small logo,
    # served by the app at a URL with its digest (orders.domain.branding). The image is deferred: every request
    # reads the institution, only the logo's own URL reads its bytes.
    accent_colour: Mapped[str | None] = mapped_column(String(7))
    logo_data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_content_type: Mapped[str | None] = mapped_column(String(20))
    logo_digest: Mapped[str | None] = mapped_column(String(64))
    logo_width: Mapped[int | None] = mapped_column(Integer)
    logo_height: Mapped[int | None] = mapped_column(Integer)


class AdminAuditEntry(Model):
    """Append-only: every back-office change and import (who, when, what, before -> after)."""

    __tablename__ = "admin_audit_entry"
    __table_args__ = (Index("ix_admin_audit_kind", "kind", "id"), Index("ix_admin_audit_actor", "actor_id", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # None: a command (SIS import)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(64))  # e.g. "period.updated", "grant.added", "sis.import"
    target: Mapped[str] = mapped_column(String(300))  # what was changed, in words ("Spring 2027 ordering period")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64))

    actor: Mapped[User | None] = relationship(lazy="joined")
