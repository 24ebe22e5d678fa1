"""Pagination, once: how many pages a total makes, the page a request may see, and a page of rows."""
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
    """One page of rows with what its navigation shows ("21–40 of 95", page 2 of 5)."""

    rows: list[T]
    page: int
    total: int
    size: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.size)

    @property
    def first(self) -> int:
        return offset_of(self.page, self.size) + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.size)
