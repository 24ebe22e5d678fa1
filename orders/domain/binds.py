"""Bound lists of ids: one statement text whatever the number of ids, so PostgreSQL plans it once.

An expanding IN renders one placeholder per id, so a page about 3 sections and one about 30 run two
different statements, and psycopg never prepares either. On PostgreSQL the ids go as one array
(`= ANY(:ids)`); SQLite, which has no arrays, keeps the expanding IN.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, Integer, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

from orders.extensions import db


def dialect_name() -> str:
    """The database's dialect: statements built once per process key on it."""
    return db.session.get_bind().dialect.name


def one_of(column, name: str, dialect: str) -> ColumnElement[bool]:
    """SQL: `column` is one of the integer ids bound as `name` (a list)."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(Integer)))
    return column.in_(bindparam(name, expanding=True))
