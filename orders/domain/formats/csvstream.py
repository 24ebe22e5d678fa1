"""CSV in chunks: the one streamer behind every download and feed file, so memory stays flat."""
from __future__ import annotations

import csv
import io
from typing import Iterable, Iterator, Sequence

CHUNK_ROWS = 500  # rows per chunk handed to the response or the file


def csv_chunks(
    header: Sequence[str], rows: Iterable[Sequence], *, chunk_rows: int = CHUNK_ROWS, lineterminator: str = "\r\n"
) -> Iterator[str]:
    """The header row, then the rows, yielded `chunk_rows` at a time (RFC 4180 quoting)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=lineterminator)
    writer.writerow(header)
    for count, row in enumerate(rows, 1):
        writer.writerow(row)
        if count % chunk_rows == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
