"""The catalog of digital course materials."""
from __future__ import annotations

import enum
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Integer,
    Numeric,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from orders.domain.models.base import _enum
from orders.extensions import db

if TYPE_CHECKING:
    from orders.extensions import Base as Model
else:
    Model = db.Model


class Delivery(enum.Enum):
    ETEXT = "eText"
    COURSEWARE = "Courseware"


class CatalogItem(Model):
    __tablename__ = "catalog_item"
    __table_args__ = (CheckConstraint("student_price >= 0", name="ck_catalog_price_non_negative"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300), index=True)
    authors: Mapped[str] = mapped_column(String(300))
    isbn13: Mapped[str] = mapped_column(String(13), unique=True)
    publisher: Mapped[str] = mapped_column(String(200))
    edition: Mapped[str] = mapped_column(String(50))
    delivery: Mapped[Delivery] = mapped_column(_enum(Delivery, "delivery"))
    student_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    copyright_year: Mapped[int | None] = mapped_column(Integer)
    list_price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))  # the publisher's retail price
    # OER or otherwise free to students: never billed, offers no student choice.
    zero_cost: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # docs/spec.md §10: the course's graded work runs on it (students see so before opting out), and where the
    # publisher states what it does with students' data (http or https only).
    courseware_for_graded_work: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    data_terms_url: Mapped[str | None] = mapped_column(String(500))
    # An inactive item can no longer be ordered; orders that have it keep it.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))

    @property
    def isbn_display(self) -> str:
        """ISBN-13 hyphenated only at the prefix, e.g. 978-0134689517."""
        return f"{self.isbn13[:3]}-{self.isbn13[3:]}"
