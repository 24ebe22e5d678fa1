"""A term's public records as CSV or JSON, streamed: one statement, read in chunks on a connection of its own.

On PostgreSQL `yield_per` reads through a server-side cursor, so memory stays flat whatever the term's size.
"""
from __future__ import annotations

import json
from collections.abc import Iterator

from sqlalchemy import Engine

from orders.domain.formats.csvstream import csv_chunks
from orders.web.screens.materials.queries import record, records_query

COLUMNS = (
    "term_code", "section_sis_id", "subject", "course_number", "course_title", "section_label", "status",
    "requirement", "title", "authors", "isbn13", "publisher", "edition", "copyright_year", "format",
    "student_price", "list_price", "zero_cost", "instructor_authored",
)
FETCH_ROWS = 2000
CHUNK_RECORDS = 500
SCHEMA_ID = "course-materials.v2.schema.json"  # v2 (docs/spec.md §8): instructor_authored; v1's fields unchanged


def _records(engine: Engine, term_id: int, term_code: str) -> Iterator[dict]:
    with engine.connect() as connection:
        statement, params = records_query(term_id)
        result = connection.execute(statement.execution_options(yield_per=FETCH_ROWS), params)
        for row in result:
            yield record(row, term_code)


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def stream_csv(engine: Engine, term_id: int, term_code: str) -> Iterator[str]:
    """CSV text in chunks: a header row, then one row per record; every cell spreadsheet-safe, since anyone
    downloads it and a title may come from any instructor's content request."""
    rows = ([_csv_value(item[column]) for column in COLUMNS] for item in _records(engine, term_id, term_code))
    return csv_chunks(COLUMNS, rows, for_spreadsheet=True, chunk_rows=CHUNK_RECORDS)


def stream_json(engine: Engine, term_id: int, term_code: str, term_name: str) -> Iterator[str]:
    """JSON text in chunks: {"term": ..., "records": [...]}, the shape docs/course-materials.v2.schema.json describes."""
    head = {"schema": SCHEMA_ID, "term": {"code": term_code, "name": term_name}}
    prefix = json.dumps(head, ensure_ascii=False)[:-1] + ', "records": ['
    parts, first = [prefix], True
    for item in _records(engine, term_id, term_code):
        parts.append(("\n" if first else ",\n") + json.dumps(item, ensure_ascii=False))
        first = False
        if len(parts) >= CHUNK_RECORDS:
            yield "".join(parts)
            parts = []
    parts.append("\n]}\n")
    yield "".join(parts)
