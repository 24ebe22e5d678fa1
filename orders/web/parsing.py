"""Parsing untrusted input: ids and page numbers that fit the database, and no NUL bytes anywhere.

`str.isdigit()` accepts '²' and 5,000-digit strings, and `int()` of those either fails or gives a
number PostgreSQL's int4 cannot hold; these helpers accept only short runs of ASCII digits.
"""
from __future__ import annotations

import re

from flask import request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, ValidationError

MAX_ID = 2**31 - 1  # PostgreSQL integer (int4), the type of every id and order number
MAX_PAGE = 100_000
_DIGITS = re.compile(r"[0-9]{1,10}")


def parse_int(value: str | None, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """ASCII digits within [minimum, maximum] as an int, else None (never an exception)."""
    if value is None or not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if minimum <= number <= maximum else None


def parse_id(value: str | None) -> int | None:
    """A database id (1 .. 2^31-1) from a query string or form field, else None."""
    return parse_int(value, minimum=1)


MAX_ID_LIST = 50


def parse_id_list(value: str | None) -> tuple[int, ...]:
    """Comma-separated ids ("12,13") as a tuple, malformed parts dropped, at most MAX_ID_LIST of them."""
    found = (parse_id(part.strip()) for part in (value or "").split(",")[:MAX_ID_LIST])
    return tuple(dict.fromkeys(number for number in found if number is not None))


def parse_page(value: str | None, default: int = 1) -> int:
    """A 1-based page number; anything malformed or absurd is the default."""
    return parse_int(value, minimum=1, maximum=MAX_PAGE) or default


def parse_version(value: str | None) -> int | None:
    """An optimistic-lock version number (0 .. 2^31-1), else None."""
    return parse_int(value, minimum=0)


class BoundedIntConverter(IntegerConverter):
    """The `int` URL converter, but only ASCII digits and never above int4: /orders/99999999999 is a 404."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = 0, max: int | None = MAX_ID, signed: bool = False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else max, signed=False)

    def to_python(self, value: str) -> int:
        if not _DIGITS.fullmatch(value):
            raise ValidationError()
        return super().to_python(value)


def contains_nul(values) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in values.items(multi=True))


def reject_nul_bytes() -> None:
    """before_request: a NUL byte in the path, query string or form is a 400, before any view sees it.

    PostgreSQL text cannot hold NUL, so such a value would otherwise fail deep inside a query.
    """
    if "\x00" in request.path or contains_nul(request.args):
        raise BadRequest("The address contained a character that is not allowed (NUL).")
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        if contains_nul(request.form):
            raise BadRequest("The form contained a character that is not allowed (NUL).")


# Free text in the query string (search words, filter values) and the form fields that carry a search
# or a page to go back to: capped here, once, so no view echoes an unbounded value into a redirect's
# Location, an HX-Push-Url or a page. Longer values are cut, not refused: a search by its first 200
# characters finds what the whole one would.
MAX_TEXT_PARAMETER = 200
MAX_LINK_PARAMETER = 1000  # back / next hold a page's address with its own query
LINK_PARAMETERS = frozenset({"back", "next"})
# An LMS's login and registration hints are opaque tokens (often JWTs) it needs back whole (docs/spec.md §9).
MAX_LTI_PARAMETER = 4096
LTI_PARAMETERS = frozenset(
    {"login_hint", "lti_message_hint", "target_link_uri", "openid_configuration", "registration_token"}
)
FREE_TEXT_FORM_FIELDS = frozenset({"q", "back", "next", "instructor_name"})


def _bounded(values, keys=None):
    """`values` with each (selected) value cut to its cap; the same object when nothing is too long."""

    def cap(key: str) -> int:
        if key in LTI_PARAMETERS:
            return MAX_LTI_PARAMETER
        return MAX_LINK_PARAMETER if key in LINK_PARAMETERS else MAX_TEXT_PARAMETER

    items = list(values.items(multi=True))
    if not any(isinstance(v, str) and len(v) > cap(k) and (keys is None or k in keys) for k, v in items):
        return values
    return type(values)((k, v[: cap(k)] if isinstance(v, str) and (keys is None or k in keys) else v) for k, v in items)


def cap_free_text() -> None:
    """before_request: every query value, and the form's search and back fields, cut to their caps."""
    request.args = _bounded(request.args)
    if request.method == "POST" and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        request.form = _bounded(request.form, FREE_TEXT_FORM_FIELDS)


def bounded_next(full_path: str) -> str | None:
    """The page to return to after sign-in, or None when its address is too long to carry in a header."""
    target = full_path.rstrip("?")
    return target if len(target) <= MAX_LINK_PARAMETER else None
