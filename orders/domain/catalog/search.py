"""The catalog search every materials step uses (ordering, editing): title, author or ISBN."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from orders.domain.formats import isbn
from orders.domain.formats.like import ESCAPE, anywhere
from orders.domain.models import CatalogItem
from orders.extensions import db

MIN_SEARCH_LENGTH = 3
SEARCH_LIMIT = 25


@dataclass(frozen=True)
class CatalogSearch:
    """One catalog search: the cleaned query, the first matches, and whether there are more."""

    query: str
    items: list[CatalogItem]
    more: bool = False

    @property
    def too_short(self) -> bool:
        return 0 < len(self.query) < MIN_SEARCH_LENGTH

    @property
    def searched(self) -> bool:
        return len(self.query) >= MIN_SEARCH_LENGTH


def search_catalog(raw: str, limit: int = SEARCH_LIMIT) -> CatalogSearch:
    """Catalog items whose title or authors contain the query, or whose ISBN does.

    Hyphens are ignored, and an ISBN-10 is searched as its ISBN-13.
    """
    query = " ".join(raw.split())[:100]
    if len(query) < MIN_SEARCH_LENGTH:
        return CatalogSearch(query, [])
    pattern = anywhere(query.lower())
    conditions = [
        func.lower(CatalogItem.title).like(pattern, escape=ESCAPE),
        func.lower(CatalogItem.authors).like(pattern, escape=ESCAPE),
    ]
    digits = isbn.search_digits(query)
    if digits and len(digits) >= MIN_SEARCH_LENGTH:
        conditions.append(CatalogItem.isbn13.like(f"%{digits}%"))
    items = list(
        db.session.scalars(
            select(CatalogItem)
            .where(CatalogItem.active, or_(*conditions))
            .order_by(CatalogItem.title, CatalogItem.id)
            .limit(limit + 1)
        )
    )
    return CatalogSearch(query, items[:limit], more=len(items) > limit)
