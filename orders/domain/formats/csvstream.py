"""CSV in chunks: the one writer and the one dialect behind every download and every feed file.

RFC 4180: comma, double quotes doubled, CRLF between records, and a field quoted whenever it holds a
comma, a double quote, a CR or an LF. (Python's writer quotes only the characters of its line
terminator: with "\\n" a bare CR went out unquoted and a reader split the record there.) Whether the
cells are neutralised for spreadsheets is the caller's explicit choice: every CSV the web app serves
is (orders/domain/formats/spreadsheet.py); the files the commands write for the bookstore's and the
bursar's importers stay exact.
"""
from __future__ import annotations

import csv
import io
from typing import Iterable, Iterator, Sequence

from orders.domain.formats.spreadsheet import safe_cell

CHUNK_ROWS = 500  # rows per chunk handed to the response or the file


class RFC4180(csv.Dialect):
    """The app's one CSV dialect."""

    delimiter = ","
    quotechar = '"'
    doublequote = True
    skipinitialspace = False
    lineterminator = "\r\n"  # also makes the writer quote any field with a CR or an LF in it
    quoting = csv.QUOTE_MINIMAL
    strict = True


def csv_chunks(
    header: Sequence[str], rows: Iterable[Sequence], *, for_spreadsheet: bool, chunk_rows: int = CHUNK_ROWS
) -> Iterator[str]:
    """The header row, then the rows, yielded `chunk_rows` at a time; with `for_spreadsheet`, every cell
    through safe_cell (no formula runs when a person opens the file)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect=RFC4180)
    writer.writerow(header)
    for count, row in enumerate(rows, 1):
        writer.writerow([safe_cell(_text(cell)) for cell in row] if for_spreadsheet else row)
        if count % chunk_rows == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _text(cell) -> str:
    """A cell as the writer would write it: None is empty, everything else its str()."""
    return "" if cell is None else str(cell)

