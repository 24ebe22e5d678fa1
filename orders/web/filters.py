"""Filters that round-trip through the query string, parsed once: every list screen declares its fields here.

A filter is a frozen dataclass whose fields say how to read themselves (`arg(kind, default)`). Reading is
lenient: anything malformed, absurd or absent is the field's default, never an error (a bookmark with a
stale value still opens). Writing leaves the defaults out, so URLs stay short and shareable.
"""
from __future__ import annotations

import enum
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Generic, TypeVar, cast

from orders.web.parsing import parse_id, parse_id_list, parse_page

V = TypeVar("V")
E = TypeVar("E", bound=enum.Enum)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Arg(Generic[V]):
    """How one field reads itself from the raw query-string value and writes itself back."""

    read: Callable[[str], V | None]  # None: the field's default
    write: Callable[[V], str] = str


def arg(kind: Arg, default: Any) -> Any:
    """A filter field: its kind and its default."""
    return field(default=default, metadata={"arg": kind})


def clean(raw: str, limit: int) -> str:
    """Query-string text without control characters (NUL included), trimmed and bounded."""
    return _CONTROL.sub("", raw).strip()[:limit]


def text(limit: int, *, upper: bool = False) -> Arg[str]:
    """Free text (a search box, a term or subject code)."""
    return Arg(lambda raw: (clean(raw, limit).upper() if upper else clean(raw, limit)) or None)


def choice(options: Collection[str], aliases: Mapping[str, str] | None = None) -> Arg[str]:
    """One of a few words; `aliases` accepts other spellings of them."""
    return Arg(lambda raw: (aliases or {}).get(raw, raw) if (aliases or {}).get(raw, raw) in options else None)


def member(options: Collection[E], aliases: Mapping[str, str] | None = None) -> Arg[E | None]:
    """An enum member named by its value."""
    def read(raw: str) -> E | None:
        raw = (aliases or {}).get(raw, raw)
        return next((option for option in options if option.value == raw), None)

    return Arg(read, lambda value: value.value if value is not None else "")


def identifier(*, also: Collection[str] = (), as_text: bool = False) -> Arg[Any]:
    """A database id (ASCII digits that fit int4, never '²'), or one of the words in `also`.

    `as_text` keeps it a string.
    """

    def read(raw: str) -> Any:
        raw = raw.strip()
        if raw in also:
            return raw
        found = parse_id(raw)
        return str(found) if as_text and found is not None else found

    return Arg(read, lambda value: "" if value is None else str(value))


def identifiers() -> Arg[tuple[int, ...]]:
    """Comma-separated database ids ("12,13"): malformed ones dropped, a bounded number kept."""
    return Arg(lambda raw: parse_id_list(raw) or None, lambda value: ",".join(str(number) for number in value))


def flag() -> Arg[bool]:
    """On when the argument is "1"."""
    return Arg(lambda raw: raw == "1" or None, lambda value: "1" if value else "")


def page() -> Arg[int]:
    """A 1-based page number."""
    return Arg(lambda raw: parse_page(raw), str)


@dataclass(frozen=True)
class QueryFilter:
    """Reads itself from request args and writes its non-default parts back as URL arguments."""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Any:
        """Parse request args leniently: anything malformed falls back to the default."""
        values = {}
        for spec in fields(cls):
            read = cast(Arg, spec.metadata["arg"]).read(args.get(spec.name, "") or "")
            values[spec.name] = spec.default if read is None else read
        return cls(**values)

    def query_args(self, **changes: Any) -> dict[str, str]:
        """The non-default parts as URL arguments, with `changes` applied (None removes one)."""
        written: dict[str, str] = {}
        for spec in fields(self):
            value = changes.pop(spec.name, getattr(self, spec.name))
            if value is None or value == spec.default:
                continue
            text_value = cast(Arg, spec.metadata["arg"]).write(value)
            if text_value:
                written[spec.name] = text_value
        written.update({name: str(value) for name, value in changes.items() if value not in (None, "")})
        return written
