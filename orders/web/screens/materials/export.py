"""A term's public records as CSV or JSON, streamed: one statement, read in chunks on a connection of its own.

On PostgreSQL `yield_per` reads through a server-side cursor, so memory stays flat whatever the term's size.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby

from sqlalchemy import Engine, select

from orders.domain.costs.other_costs import cost_facts_query, fold_facts
from orders.domain.formats.csvstream import csv_chunks
from orders.domain.models import Order, OrderStatus
from orders.web.screens.materials.queries import disclosed, finish_section, plain_price, record, records_query

# Version 1's columns, in order, then version 2's (docs/course-materials.v2.schema.json): old fields keep their meaning.
COLUMNS = (
    "term_code", "section_sis_id", "subject", "course_number", "course_title", "section_label", "status",
    "requirement", "title", "authors", "isbn13", "publisher", "edition", "copyright_year", "format",
    "student_price", "list_price", "zero_cost",
    "courseware_for_graded_work", "data_terms_url", "other_cost_description", "other_cost_amount",
    "estimated_required_cost", "estimated_recommended_cost", "cost_label", "instructor_authored",
)
FETCH_ROWS = 2000
CHUNK_RECORDS = 500
SCHEMA_ID = "course-materials.v2.schema.json"


@dataclass(frozen=True)
class CostSettings:
    """What the labels are measured against, read in the request (the stream runs after its session ends)."""

    low_cost_threshold: Decimal | None
    low_cost_criteria_url: str | None


def _records(engine: Engine, term_id: int, term_code: str, settings: CostSettings) -> Iterator[dict]:
    """Every record of the term, a section at a time (its rows arrive together, in course order), each section
    finished with its other required costs and estimate; the term's other required costs are read first."""
    with engine.connect() as connection:
        placed = select(Order.id).where(Order.term_id == term_id, Order.status == OrderStatus.PLACED)
        facts = fold_facts(connection.execute(cost_facts_query(placed, pending_lines=False)))
        statement, params = records_query(term_id)
        result = connection.execute(statement.execution_options(yield_per=FETCH_ROWS), params)
        for _, group in groupby(result, key=lambda row: row.section_id):
            rows = list(group)
            order_id, answered = disclosed(rows[0])
            yield from finish_section(
                [record(row, term_code) for row in rows], order_id=order_id, answered=answered,
                facts=facts.get(order_id) if order_id is not None else None, threshold=settings.low_cost_threshold,
            )


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def stream_csv(engine: Engine, term_id: int, term_code: str, settings: CostSettings) -> Iterator[str]:
    """CSV text in chunks: a header row, then one row per record; every cell spreadsheet-safe, since anyone
    downloads it and a title may come from any instructor's content request."""
    rows = ([_csv_value(item[column]) for column in COLUMNS] for item in _records(engine, term_id, term_code, settings))
    return csv_chunks(COLUMNS, rows, for_spreadsheet=True, chunk_rows=CHUNK_RECORDS)


def stream_json(engine: Engine, term_id: int, term_code: str, term_name: str, settings: CostSettings) -> Iterator[str]:
    """JSON text in chunks: {"schema": ..., "term": ..., "cost_labels": ..., "records": [...]}, the shape
    docs/course-materials.v2.schema.json describes."""
    head = {
        "schema": SCHEMA_ID, "term": {"code": term_code, "name": term_name},
        "cost_labels": {"low_cost_threshold": plain_price(settings.low_cost_threshold),
                        "low_cost_criteria_url": settings.low_cost_criteria_url},
    }
    prefix = json.dumps(head, ensure_ascii=False)[:-1] + ', "records": ['
    parts, first = [prefix], True
    for item in _records(engine, term_id, term_code, settings):
        parts.append(("\n" if first else ",\n") + json.dumps(item, ensure_ascii=False))
        first = False
        if len(parts) >= CHUNK_RECORDS:
            yield "".join(parts)
            parts = []
    parts.append("\n]}\n")
    yield "".join(parts)
