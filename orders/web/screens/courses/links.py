"""The links of the Courses rows, built without a url_for per link (orders/web/links.py)."""

from __future__ import annotations

from flask import url_for

from orders.web.links import pattern, query


class RowLinks:
    """Every link a Courses row carries; `back` is the page's own query string (the way back to it)."""

    def __init__(self, back: str | None):
        self.back = back or None
        self._summary = pattern("orders.summary", "number")
        self._add_sections = pattern("orders.add_sections_form", "number")
        self._draft = pattern("ordering.sections", "draft_id")
        self._start = pattern("ordering.start", "course_id", "term_id")
        self._reorder = pattern("orders.reorder", "course_id", "term_id")
        self._confirm = url_for("no_materials.confirm")
        self.undo = url_for("no_materials.undo", back=self.back)  # the same form action on every row

    def summary(self, number: int) -> str:
        return self._summary(number, back=self.back)

    def add_sections(self, number: int) -> str:
        return self._add_sections(number, back=self.back)

    def draft(self, draft_id: int) -> str:
        return self._draft(draft_id)

    def start(self, course_id: int, term_id: int, instructor: int | None) -> str:
        return self._start(course_id, term_id, instructor=instructor)

    def reorder(self, course_id: int, term_id: int, instructor: int | None) -> str:
        return self._reorder(course_id, term_id, instructor=instructor)

    def no_materials(self, course_id: int, term_id: int, instructor) -> str:
        """The "No materials needed" prompt for the row (no_materials.confirm)."""
        return self._confirm + query(
            course_id=course_id, term_id=term_id, instructor=instructor or None, back=self.back
        )
