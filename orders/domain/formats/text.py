"""Free text as the app keeps it: control characters normalised once, at input, and invisible text is empty.

Titles, names, notes, comments and reasons come from forms, the catalog CSV and the SIS dump, and end up
in pages, emails, logs and CSV files. A carriage return typed into a title split feed records; a reason
made of a zero-width space passed "required". Every form field (orders/web/forms.py) and every imported
text column goes through `clean_line` or `clean_text`, so neither reaches the database.
"""
from __future__ import annotations

import re
import unicodedata

# Line breaks of every kind (CR LF, CR, LF, VT, FF, the C1 NEL and the Unicode line and paragraph separators).
_LINE_BREAK = re.compile(r"\r\n|[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# Other control characters (C0 but TAB, DEL, C1): nothing a person types on purpose; TAB becomes a space.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
# Letters and symbols that render as nothing (filler characters), besides the format and space categories.
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me", "Cn", "Cs"})


def is_blank(value: str | None) -> bool:
    """True when nothing of `value` shows.

    That is: empty, or only spaces, controls, zero-width and other invisible characters.
    """
    return not value or all(
        ch.isspace() or ch in _INVISIBLE or unicodedata.category(ch) in _INVISIBLE_CATEGORIES for ch in value
    )


def clean_line(value: str | None) -> str:
    """One line of text (a title, a name): every line break and TAB a space, other controls dropped, ends trimmed;
    "" when nothing visible is left."""
    text = _CONTROL.sub("", _LINE_BREAK.sub(" ", (value or "").replace("\t", " "))).strip()
    return "" if is_blank(text) else text


def clean_text(value: str | None) -> str:
    """Text of several lines (a note, a comment, a reason): every line break "\\n", TAB a space, other controls
    dropped, ends trimmed; "" when nothing visible is left."""
    text = _CONTROL.sub("", _LINE_BREAK.sub("\n", (value or "").replace("\t", " "))).strip()
    return "" if is_blank(text) else text
