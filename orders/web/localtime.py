"""Wall-clock times in the institution's timezone <-> aware UTC, refusing times DST skips."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, available_timezones

INPUT_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")


class LocalTimeError(ValueError):
    """A time the admin typed that cannot be stored; the message says why in their terms."""


def is_timezone(name: str) -> bool:
    """An IANA timezone name this machine knows (never a file path)."""
    return name in _zones()


_ZONES: set[str] = set()


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES


def to_input(moment: datetime | None, tz_name: str) -> str:
    """A UTC moment as the value of a datetime-local input, in the institution's timezone."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(tz_name)).strftime("%Y-%m-%dT%H:%M")


def describe(moment: datetime, tz_name: str) -> str:
    """E.g. "Mar 14, 2027, 9:00 AM CDT" in the institution's timezone."""
    local = moment.astimezone(ZoneInfo(tz_name))
    hour = local.strftime("%I").lstrip("0")
    return f"{local:%b} {local.day}, {local.year}, {hour}:{local:%M %p %Z}"


def parse_local(text: str, tz_name: str) -> datetime:
    """Read "2027-03-14T09:00" as wall-clock time in `tz_name`; return it as aware UTC.

    A time that never happens (the hour clocks skip in spring) is refused. A time that happens twice
    (the repeated hour in autumn) means its first occurrence, the one still on daylight time.
    """
    value = (text or "").strip()
    naive = None
    if value.isascii():
        for fmt in INPUT_FORMATS:
            try:
                naive = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if naive is None:
        raise LocalTimeError("Enter a date and time like 2027-03-14 09:00.")
    if not 2000 <= naive.year <= 2100:
        raise LocalTimeError("Enter a year between 2000 and 2100.")
    zone = ZoneInfo(tz_name)
    local = naive.replace(tzinfo=zone, fold=0)
    utc = local.astimezone(timezone.utc)
    if utc.astimezone(zone).replace(tzinfo=None) != naive:
        raise LocalTimeError(
            f"{naive:%H:%M} on {naive:%b} {naive.day}, {naive.year} does not exist in {tz_name}: the clocks skip "
            "that hour for daylight saving time. Choose another time."
        )
    return utc
