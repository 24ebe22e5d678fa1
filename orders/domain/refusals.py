"""Typed refusals: a service or guard raises one, and one handler in orders.web.errors answers it."""
from __future__ import annotations

from orders.domain.models import Order, OrderStatus, Requirement


class PermissionDenied(Exception):
    """A signed-in user asked for something they may not do; the message says why (403)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Refused(Exception):
    """A step was refused as it stands; the message tells the user what to do (nothing changed)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class DraftClosed(Refused):
    """The draft was placed or discarded meanwhile (double submit, another tab): answered calmly."""

    def __init__(self, draft: Order):
        if draft.status is OrderStatus.PLACED:
            message = f"This draft was already placed as order #{draft.number}."
        else:
            message = (
                f"Your draft order for {draft.course.code} in {draft.term.name} was canceled, "
                "so it can no longer be changed."
            )
        super().__init__(message)
        self.draft = draft


class StaleOrder(Refused):
    """The order changed since the user's form was rendered."""

    def __init__(self, message: str = "This order changed while you were looking at it."):
        super().__init__(message)


def parse_requirement(value: str | None) -> Requirement:
    """A line's requirement from a form value (the materials step's select); anything else is refused."""
    for option in Requirement:
        if value == option.value:
            return option
    raise Refused("Choose Required or Recommended.")
