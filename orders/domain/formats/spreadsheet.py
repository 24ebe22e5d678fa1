"""CSV a person downloads and opens in a spreadsheet: no cell may run as a formula (OWASP "CSV injection").

Titles, names, course codes and section labels come from the SIS, the catalog and any instructor's
content request, so every cell of every CSV the web app serves goes through `safe_cell`, in the one CSV
writer (orders/domain/formats/csvstream.py, `for_spreadsheet=True`). A cell that
starts with = + - @ TAB or CR gets a leading apostrophe: the spreadsheet shows it as text, and a
person reading the file sees the apostrophe, not a silently altered value.
"""
from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str | None) -> str:
    """The cell as text a spreadsheet will not evaluate."""
    value = value or ""
    return "'" + value if value.startswith(FORMULA_START) else value

