"""Typed refusals: a service or guard raises one, and one handler in orders.web.errors answers it."""
from __future__ import annotations

from orders.domain.models import Order, OrderStatus, Requirement


class Refused(Exception):
    """A change or a page refused as it stands; the message tells the user what to do, and nothing changed.

    The one family: every refusal of the domain is one of these, and `orders.web.changes.run_change`
    and the handler in `orders.web.errors` answer them all. `status` is the HTTP status of the page
    that says so. Only errors are refusals: what is no error (a change already applied by a double
    click, stale changes carried onto the order as it is now) a service returns as its outcome.
    """

    status = 422
    answered_by_handler = False  # True: a view does not answer it; the one handler in orders.web.errors does

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class PermissionDenied(Refused):
    """A signed-in user asked for something they may not do; the message says why (403)."""

    status = 403
    answered_by_handler = True


class Conflict(Refused):
    """Someone else (or another tab) changed the same thing first (409)."""

    status = 409


class RuleBroken(Refused):
    """A back-office change that breaks a rule (a period's dates, the last Program Administrator, an ISBN taken)."""

    status = 400


class DraftClosed(Refused):
    """The draft was placed or discarded meanwhile (double submit, another tab): answered calmly."""

    answered_by_handler = True  # a redirect to where the draft went, with a notice

    def __init__(self, draft: Order):
        if draft.status is OrderStatus.PLACED:
            message = f"This draft was already placed as order #{draft.number}."
        elif draft.status is OrderStatus.AWAITING_APPROVAL:
            message = f"Order #{draft.number} was already submitted for approval."
        elif draft.status is OrderStatus.CANCELED and draft.number is not None:
            message = f"Order #{draft.number} was canceled, so it can no longer be changed."
        else:
            message = (
                f"Your draft order for {draft.course.code} in {draft.term.name} was canceled, "
                "so it can no longer be changed."
            )
        super().__init__(message)
        self.draft = draft


class StaleOrder(Conflict):
    """The order changed since the user's form was rendered."""

    def __init__(self, message: str = "This order changed while you were looking at it."):
        super().__init__(message)


def parse_requirement(value: str | None) -> Requirement:
    """A line's requirement from a form value (the materials step's select); anything else is refused."""
    for option in Requirement:
        if value == option.value:
            return option
    raise Refused("Choose Required or Recommended.")


class LaunchRefused(Refused):
    """An LMS launch (LTI 1.3, docs/spec.md §9) that failed a check: the page says what to tell the LMS
    administrator (400 for a broken or stale message, 403 for a sender or person this tool does not accept)."""

    answered_by_handler = True  # one handler writes the log line and the page for the LMS administrator

    def __init__(self, message: str, *, status: int = 400, check: str = "launch"):
        super().__init__(message)
        self.status = status
        self.check = check  # which check failed, for the log line: state, nonce, signature, deployment ...
