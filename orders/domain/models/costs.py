"""What a section costs besides its catalog lines (docs/spec.md §10): an order's other required costs."""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orders.extensions import db

if TYPE_CHECKING:
    from orders.domain.models.ordering import Order
    from orders.extensions import Base as Model
else:
    Model = db.Model


class OtherCost(Model):
    """A required cost of every section of an order besides its catalog lines: a courseware fee, a calculator,
    a software subscription. Disclosed (pages, emails, the public lookup); never billed through this program
    and never a student choice, so neither feed carries it."""

    __tablename__ = "order_other_cost"
    __table_args__ = (
        CheckConstraint("amount >= 0 AND amount <= 10000", name="ck_other_cost_amount"),
        Index("ix_other_cost_order", "order_id", "position"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("course_order.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))

    order: Mapped[Order] = relationship(back_populates="other_costs")
