"""How each request's database transaction ends.

psycopg discards its prepared statements on ROLLBACK, and a Flask-SQLAlchemy session ends every
request with one, so PostgreSQL would plan the same queries again on every request. A request that
wrote nothing ends with COMMIT instead (for a read-only transaction the two are equivalent), so the
statements psycopg prepares after a few executions keep their plans. A request that wrote and did
not commit still rolls back: nothing is ever committed by accident.
"""
from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from orders.extensions import db

WROTE = "orders.wrote"


def _mark_flush(session: Session, flush_context) -> None:
    session.info[WROTE] = True


def _mark_dml(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WROTE] = True


def _forget(session: Session, *args) -> None:
    session.info.pop(WROTE, None)


def finish_request_transaction(error: BaseException | None) -> None:
    """teardown_request: COMMIT a transaction that only read; leave anything else to roll back."""
    session = db.session()
    if error is not None or session.info.get(WROTE) or session.new or session.dirty or session.deleted:
        return
    if session.in_transaction():
        session.commit()


def register(app: Flask) -> None:
    """Track writes on every session and end read-only requests with COMMIT."""
    if not event.contains(Session, "after_flush", _mark_flush):
        event.listen(Session, "after_flush", _mark_flush)
        event.listen(Session, "do_orm_execute", _mark_dml)
        event.listen(Session, "after_commit", _forget)
        event.listen(Session, "after_rollback", _forget)
    app.teardown_request(finish_request_transaction)
