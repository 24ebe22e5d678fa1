"""Parsing untrusted form and query values: ASCII digits only, bounded, never an exception."""
from __future__ import annotations

MAX_ID = 2**31 - 1  # PostgreSQL integer columns


def parse_id(value: str | None) -> int | None:
    """A positive database id from form or query input, else None ('²', '1e3', 5,000 digits included)."""
    if not value or len(value) > 10 or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None
