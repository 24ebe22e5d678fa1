"""Counting SQL statements: the query budgets in the tests and the benchmark's SQL-per-request column."""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine


class StatementCounter:
    """Records every statement the engine sends while the `with` block runs."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.statements: list[str] = []

    def _record(self, conn, cursor, statement, *args) -> None:
        self.statements.append(statement)

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def count(self) -> int:
        return len(self.statements)
