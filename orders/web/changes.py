"""The one way a view runs a change: commit on success; on a refusal or a lost race, roll back and say why.

Views never commit or roll back by hand. A view calls `run_change(lambda: service(...))` and answers
the Outcome: the value on success, or `outcome.refusal` (a Refused, whose message and status the
page, the fragment or the flash shows). A refusal marked `answered_by_handler` (PermissionDenied,
DraftClosed) is not the view's to answer: it goes on to the one handler in orders.web.errors.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Generic, TypeVar, cast

from sqlalchemy.exc import IntegrityError

from orders.domain.refusals import Conflict, Refused
from orders.extensions import db

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What became of a change: its value, or the refusal that undid it."""

    value: T | None = None
    refusal: Refused | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None

    def result(self) -> T:
        """The value; a refusal the view does not answer itself goes on to the one handler (its page and status)."""
        if self.refusal is not None:
            raise self.refusal
        # Not narrowed to T: on success `value` is what the service returned, and that may itself be None.
        return cast(T, self.value)

    @property
    def message(self) -> str:
        return self.refusal.message if self.refusal is not None else ""


def run_change(change: Callable[[], T], *, conflict: str | None = None) -> Outcome[T]:
    """Run `change` in the request's transaction and end it.

    Success commits. A Refused rolls back: nothing of a refused change is kept.
    An IntegrityError, the database refusing a duplicate another request wrote first, rolls back and
    becomes a Conflict with the words `conflict`; without them it is a bug and propagates.
    """
    try:
        value = change()
        db.session.commit()
    except Refused as refusal:
        db.session.rollback()
        if refusal.answered_by_handler:
            raise
        return Outcome(refusal=refusal)
    except IntegrityError:
        db.session.rollback()
        if conflict is None:
            raise
        return Outcome(refusal=Conflict(conflict))
    return Outcome(value=value)

