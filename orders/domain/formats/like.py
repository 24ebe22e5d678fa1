"""LIKE patterns from what a user typed: the one place their wildcards (`%`, `_`) are taken literally."""
from __future__ import annotations

ESCAPE = "\\"


def anywhere(text: str) -> str:
    """A case-insensitive "contains" pattern for `text` (compare with a lower-cased column, escape=ESCAPE)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
