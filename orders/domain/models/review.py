"""Review before an order counts (docs/spec.md §8): each organization's ordering policy and its pre-approved list."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orders.domain.models.base import UTCDateTime
from orders.extensions import db

if TYPE_CHECKING:
    from orders.domain.models.catalog import CatalogItem
    from orders.extensions import Base as Model
else:
    Model = db.Model


class OrderingPolicy(enum.Enum):
    """How an organization's orders become placed."""

    OPEN = "open"  # "Place order" places it
    APPROVAL = "approval"  # every order waits for an approver
    PRE_APPROVED_LIST = "pre_approved_list"  # placed at once when every catalog item is on the list; else it waits

    @property
    def label(self) -> str:
        return {"open": "Open", "approval": "Approval", "pre_approved_list": "Pre-approved list"}[self.value]


class PreApprovedItem(Model):
    """A catalog item on an organization's pre-approved list."""

    __tablename__ = "pre_approved_item"
    __table_args__ = (UniqueConstraint("organization_id", "catalog_item_id", name="uq_pre_approved_item"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    catalog_item_id: Mapped[int] = mapped_column(ForeignKey("catalog_item.id"))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    item: Mapped[CatalogItem] = relationship(lazy="joined", innerjoin=True)


class ApprovalDigestSent(Model):
    """An approver's daily digest of what has waited for them (docs/spec.md §4): at most one per approver per
    day (the institution's calendar day), enforced here, so a rerun of send-reminders sends nothing twice."""

    __tablename__ = "approval_digest_sent"
    __table_args__ = (UniqueConstraint("user_id", "day", name="uq_approval_digest_sent_user_day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    day: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
