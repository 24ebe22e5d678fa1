"""The order history as CSV: the app's one dialect (RFC 4180, CRLF), UTF-8, a header row, spreadsheet-safe, streamed."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable, Iterator
from zoneinfo import ZoneInfo

from orders.domain.formats.csvstream import CHUNK_ROWS
from orders.domain.formats.csvstream import csv_chunks as stream_csv
from orders.domain.formats.money import money, price_words
from orders.web.screens.orders.history_queries import HistoryRow

HEADER = ["Order", "Term", "Course", "Title", "Sections", "Items", "Placed by", "Placed", "Last change", "Status",
          "Student prices", "Total per student", "Other required costs"]


def _moment(value: datetime | None, zone: ZoneInfo) -> str:
    """ISO 8601 in the institution's timezone, with its offset, to the minute."""
    return value.astimezone(zone).isoformat(timespec="minutes") if value else ""


def csv_record(row: HistoryRow, zone: ZoneInfo) -> list[str]:
    """One order as CSV fields; the order number is bare (1042), a draft has none."""
    return [
        str(row.number) if row.number is not None else "Draft",
        row.term_name,
        row.course_code,
        row.course_title,
        ", ".join(row.sections),
        str(row.items),
        row.placed_by or "",  # a draft has no placer
        _moment(row.placed_at, zone),
        _moment(row.last_change, zone),
        row.status_label,
        "; ".join(price_words(amount) for amount in row.student_prices),
        money(row.total_student_price),
        "; ".join(f"{description} {money(amount)}" for description, amount in row.other_costs),
    ]


def csv_chunks(rows: Iterable[HistoryRow], zone: ZoneInfo, chunk_rows: int = CHUNK_ROWS) -> Iterator[str]:
    """The header, then the rows, every cell spreadsheet-safe, a few hundred at a time so memory stays flat."""
    return stream_csv(HEADER, (csv_record(row, zone) for row in rows), for_spreadsheet=True, chunk_rows=chunk_rows)
