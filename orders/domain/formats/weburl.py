"""Web addresses people follow from our pages (a publisher's student-data terms, the low-cost criteria):
absolute http or https only, so a stored link can never be `javascript:` or a local file."""
from __future__ import annotations

from urllib.parse import urlsplit

MAX_URL = 500


def parse_web_url(raw: str | None, label: str) -> tuple[str | None, str | None]:
    """(address, None), (None, None) for an empty value, or (None, why) for anything but an http(s) address."""
    value = (raw or "").strip()
    if not value:
        return None, None
    refusal = f"{label} must be a web address starting with https:// or http://, like https://www.example.edu/terms."
    if len(value) > MAX_URL:
        return None, f"{label} is longer than {MAX_URL} characters."
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        return None, refusal
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 -- raises ValueError for a port that is no number
    except ValueError:  # a malformed IPv6 literal, a bad port
        return None, refusal
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None, refusal
    return value, None
