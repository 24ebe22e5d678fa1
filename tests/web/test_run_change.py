"""run_change: the one way a view ends a change (commit, or roll back and say why)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from orders.domain.models import AdminAuditEntry
from orders.domain.refusals import Conflict, DraftClosed, PermissionDenied, Refused
from orders.extensions import db
from orders.web.changes import run_change


def _entry(kind: str) -> None:
    db.session.add(AdminAuditEntry(kind=kind, target="t", before=None, after=None, occurred_at=func.now()))
    db.session.flush()


def _count(kind: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AdminAuditEntry).where(AdminAuditEntry.kind == kind))


def _refuse(kind: str, refusal: Exception):
    def change():
        _entry(kind)
        raise refusal

    return change


def test_success_commits_and_returns_the_value(app):
    with app.app_context():
        outcome = run_change(lambda: _entry("t.ok") or 7)
        db.session.remove()
        assert outcome.ok and outcome.value == 7 and _count("t.ok") == 1


def test_a_refusal_rolls_back_and_carries_its_words(app):
    with app.app_context():
        outcome = run_change(_refuse("t.refused", Refused("No, because.")))
        assert not outcome.ok and outcome.message == "No, because." and outcome.refusal.status == 422
        assert _count("t.refused") == 0
        with pytest.raises(Refused):
            outcome.result()


def test_no_refusal_keeps_a_write(app):
    """Only errors are refusals: every refusal's writes are rolled back.

    An outcome that keeps a write is no refusal.
    """
    with app.app_context():
        for refusal in (Refused("No."), Conflict("Taken.")):
            outcome = run_change(_refuse("t.kept", refusal))
            db.session.remove()
            assert not outcome.ok and _count("t.kept") == 0


@pytest.mark.parametrize("refusal", [PermissionDenied("Not yours."), DraftClosed.__new__(DraftClosed)])
def test_refusals_the_handler_answers_roll_back_and_propagate(app, refusal):
    if isinstance(refusal, DraftClosed):
        Refused.__init__(refusal, "Placed meanwhile.")
    with app.app_context():
        with pytest.raises(type(refusal)):
            run_change(_refuse("t.handled", refusal))
        assert _count("t.handled") == 0


def test_an_integrity_error_is_a_conflict_only_when_the_view_names_it(app):
    def duplicate():
        _entry("t.dup")
        raise IntegrityError("INSERT", {}, Exception("unique"))

    with app.app_context():
        outcome = run_change(duplicate, conflict="Someone else did it first.")
        assert isinstance(outcome.refusal, Conflict) and outcome.refusal.status == 409
        assert outcome.message == "Someone else did it first." and _count("t.dup") == 0
        with pytest.raises(IntegrityError):
            run_change(duplicate)
