"""Pagination, once: how many pages a total makes, the page a request may see, and a page of rows.

Every paginated screen answers with a Page and draws it with the one pager macro (templates/shared/_pager.html).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


def page_count(total: int, size: int) -> int:
    """Pages of `size` rows that `total` rows fill; an empty list is one (empty) page."""
    return max(1, -(-total // size))


def offset_of(page: int, size: int) -> int:
    """The OFFSET of a 1-based page."""
    return (page - 1) * size


@dataclass
class Page(Generic[T]):
    """One page of rows with what its navigation shows ("21–40 of 95", page 2 of 5).

    `total` is exact when `total_exact`, else a lower bound ("1,000+": counting stopped past the page).
    `shown` counts what the page shows when its rows are groups of it (the Courses page groups its
    section rows by instructor); otherwise it is the number of rows.
    """

    rows: list[T]
    page: int
    total: int
    size: int
    total_exact: bool = True
    shown: int | None = None

    @property
    def pages(self) -> int:
        """The last page when the total is exact, else the pages known so far."""
        return page_count(self.total, self.size)

    @property
    def count(self) -> int:
        return len(self.rows) if self.shown is None else self.shown

    @property
    def first(self) -> int:
        return offset_of(self.page, self.size) + 1 if self.count else 0

    @property
    def last(self) -> int:
        return offset_of(self.page, self.size) + self.count if self.count else 0

    @property
    def has_next(self) -> bool:
        return self.last < self.total or not self.total_exact
