"""CSV a person downloads and opens in a spreadsheet: no cell may run as a formula (OWASP "CSV injection").

Titles, names, course codes and section labels come from the SIS, the catalog and any instructor's
content request, so every text cell of every web download goes through `safe_cell`. A cell that
starts with = + - @ TAB or CR gets a leading apostrophe: the spreadsheet shows it as text, and a
person reading the file sees the apostrophe, not a silently altered value.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str | None) -> str:
    """The cell as text a spreadsheet will not evaluate."""
    value = value or ""
    return "'" + value if value.startswith(FORMULA_START) else value


def safe_rows(rows: Iterable[list[str]]) -> Iterator[list[str]]:
    """Every cell of every row through safe_cell."""
    for row in rows:
        yield [safe_cell(cell) for cell in row]
