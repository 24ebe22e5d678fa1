"""Rules of the back office that need no database: local times across DST, the period rule, item parsing."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from orders.domain.catalog.fields import parse_item, parse_price
from orders.domain.periods import period_dates_decision
from orders.web.localtime import LocalTimeError, is_timezone, parse_local, to_input

UTC = timezone.utc


def test_local_times_follow_daylight_saving_time():
    assert parse_local("2027-01-15T09:00", "America/Chicago") == datetime(2027, 1, 15, 15, tzinfo=UTC)  # CST
    assert parse_local("2027-07-15 09:00", "America/Chicago") == datetime(2027, 7, 15, 14, tzinfo=UTC)  # CDT
    # The repeated hour in November means its first (daylight time) occurrence.
    assert parse_local("2027-11-07T01:30", "America/Chicago") == datetime(2027, 11, 7, 6, 30, tzinfo=UTC)
    with pytest.raises(LocalTimeError, match="does not exist"):
        parse_local("2027-03-14T02:30", "America/Chicago")
    assert to_input(datetime(2027, 7, 15, 14, tzinfo=UTC), "America/Chicago") == "2027-07-15T09:00"


@pytest.mark.parametrize(
    "text", ["", "tomorrow", "2027-13-01T09:00", "1999-01-01T09:00", "２０２７-01-01T09:00", "2027-01-01T09:00\x00"]
)
def test_unreadable_local_times_are_refused(text):
    with pytest.raises(LocalTimeError):
        parse_local(text, "America/Chicago")


def test_period_rule():
    a, b, c = (datetime(2027, 1, d, tzinfo=UTC) for d in (1, 2, 3))
    assert period_dates_decision(a, None, c)
    assert period_dates_decision(a, b, c)
    assert period_dates_decision(a, c, c)  # soft close may equal the close
    assert not period_dates_decision(a, a, c)
    assert not period_dates_decision(a, None, a)
    assert not period_dates_decision(a, c, b)


def test_timezones_are_iana_names_only():
    assert is_timezone("America/Chicago") and is_timezone("UTC")
    assert not is_timezone("../etc/passwd") and not is_timezone("Mars/Olympus")


@pytest.mark.parametrize(
    "raw, expected", [("0", Decimal("0.00")), ("$49.9", Decimal("49.90")), ("99999999.99", Decimal("99999999.99"))]
)
def test_prices(raw, expected):
    assert parse_price(raw) == (expected, None)


@pytest.mark.parametrize("raw", ["-1", "1.234", "NaN", "Infinity", "1e2", "１２", "1,000", ""])
def test_bad_prices(raw):
    assert parse_price(raw)[0] is None


def test_item_parsing_normalises_and_reports_every_field():
    fields, errors = parse_item(
        {
            "title": "  A   Book ",
            "authors": "X",
            "isbn": "978-0-13-468599-1",
            "publisher": "P",
            "edition": "",
            "delivery": "etext",
            "student_price": "5",
            "active": "no",
        }
    )
    assert errors == {} and fields.title == "A Book" and fields.isbn13 == "9780134685991" and fields.active is False
    _, errors = parse_item({})
    assert set(errors) == {"title", "authors", "publisher", "isbn", "delivery", "student_price"}
