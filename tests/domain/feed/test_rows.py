"""The feed's formatting and deletion rules, row by row (no database)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

import click
import pytest

from orders.cli.feed import parse_since
from orders.domain.feed.rows import COLUMNS, csv_chunks, format_row
from orders.domain.formats.money import plain_price
from orders.domain.formats.times import iso_utc
from orders.domain.models import ContentRequestStatus, Delivery, OrderStatus, SectionState

T0 = datetime(2027, 1, 5, 14, 3, tzinfo=timezone.utc)


def row(**changes):
    base = dict(
        number=1042,
        placed_at=T0,
        updated_at=T0 + timedelta(days=1),
        status=OrderStatus.PLACED,
        sis_id="202710-MATH-221-001",
        state=SectionState.ACTIVE,
        section_removed_at=None,
        item_type="catalog_item",
        item_id=7,
        removed_at=None,
        cr_status=None,
        cr_created=None,
        cr_title=None,
        cr_isbn=None,
        title="Calculus",
        authors="A, B",
        isbn13="9780357693544",
        publisher="Cengage",
        edition="9th",
        delivery=Delivery.ETEXT,
        price=Decimal("89.9"),
    )
    base.update(changes)
    return SimpleNamespace(**base)


def as_dict(values):
    return dict(zip(COLUMNS, values))


def test_columns_are_the_specs_in_its_order():
    assert COLUMNS == (
        "order_id",
        "order_created",
        "order_updated",
        "sis_section_id",
        "is_deleted",
        "order_item_type",
        "content_id",
        "ci_title",
        "ci_author",
        "ci_searchable_isbn",
        "ci_publisher_name",
        "ci_edition",
        "ci_delivery_solution",
        "ci_student_price",
        "cr_created",
        "cr_title",
        "cr_isbn",
        "cr_status",
    )


def test_a_catalog_line():
    assert as_dict(format_row(row(), None)) == {
        "order_id": "1042",
        "order_created": "2027-01-05T14:03:00Z",
        "order_updated": "2027-01-06T14:03:00Z",
        "sis_section_id": "202710-MATH-221-001",
        "is_deleted": "false",
        "order_item_type": "catalog_item",
        "content_id": "7",
        "ci_title": "Calculus",
        "ci_author": "A, B",
        "ci_searchable_isbn": "9780357693544",
        "ci_publisher_name": "Cengage",
        "ci_edition": "9th",
        "ci_delivery_solution": "eText",
        "ci_student_price": "89.90",
        "cr_created": "",
        "cr_title": "",
        "cr_isbn": "",
        "cr_status": "",
    }


def test_a_content_request_not_yet_approved_has_no_catalog_columns():
    values = as_dict(
        format_row(
            row(
                item_type="content_request",
                item_id=None,
                title=None,
                price=None,
                cr_status=ContentRequestStatus.RESEARCHING,
                cr_created=T0,
                cr_title="X",
                cr_isbn="9781633438538",
            ),
            None,
        )
    )
    assert [values[c] for c in ("content_id", "ci_title", "ci_student_price", "ci_delivery_solution")] == [
        "",
        "",
        "",
        "",
    ]
    assert [values[c] for c in ("cr_created", "cr_title", "cr_isbn", "cr_status", "is_deleted")] == [
        "2027-01-05T14:03:00Z",
        "X",
        "9781633438538",
        "researching",
        "false",
    ]


@pytest.mark.parametrize(
    "changes, deleted",
    [
        ({}, "false"),
        ({"status": OrderStatus.CANCELED}, "true"),
        ({"state": SectionState.REMOVED}, "true"),
        ({"item_type": "content_request", "cr_status": ContentRequestStatus.CANCELED}, "true"),
        ({"item_type": "content_request", "cr_status": ContentRequestStatus.DENIED}, "false"),
    ],
)
def test_is_deleted(changes, deleted):
    assert as_dict(format_row(row(**changes), None))["is_deleted"] == deleted


@pytest.mark.parametrize("field", ["removed_at", "section_removed_at"])
def test_a_row_removed_by_an_edit_is_reported_once(field):
    removed = {field: T0 + timedelta(days=2)}
    assert format_row(row(**removed), None) is None, "never in a full"
    assert format_row(row(**removed), T0 + timedelta(days=2)) is None, "not in a delta after its removal"
    assert as_dict(format_row(row(**removed), T0 + timedelta(days=1)))["is_deleted"] == "true", (
        "in the delta covering it"
    )


def test_the_earlier_removal_decides():
    # The section went in an earlier window; the line's later removal does not bring the row back.
    r = row(section_removed_at=T0, removed_at=T0 + timedelta(days=3))
    assert format_row(r, T0 + timedelta(days=1)) is None


@pytest.mark.parametrize(
    "amount, text",
    [(Decimal("110"), "110.00"), (Decimal("0.5"), "0.50"), (Decimal("1234567.891"), "1234567.89"), (None, "")],
)
def test_prices_are_plain_decimals_with_two_places(amount, text):
    assert plain_price(amount) == text


def test_times_are_utc_to_the_second():
    chicago = timezone(timedelta(hours=-6))
    assert iso_utc(datetime(2027, 1, 5, 8, 3, 59, 999999, tzinfo=chicago)) == "2027-01-05T14:03:59Z"
    assert iso_utc(None) == ""


@pytest.mark.parametrize(
    "text, moment",
    [
        ("2027-01-05T14:03:00Z", T0),
        ("2027-01-05T14:03", T0),
        ("2027-01-05T08:03:00-06:00", T0),
        ("2027-01-05", datetime(2027, 1, 5, tzinfo=timezone.utc)),
    ],
)
def test_since_without_an_offset_means_utc(text, moment):
    assert parse_since(text) == moment


def test_since_must_be_iso_8601():
    with pytest.raises(click.BadParameter):
        parse_since("yesterday")


def test_csv_has_a_header_always_and_counts_rows_and_orders():
    stats = {}
    assert "".join(csv_chunks([], stats)) == ",".join(COLUMNS) + "\r\n" and stats == {"rows": 0, "orders": 0}
    rows = [["1001"] + [""] * 17, ["1001"] + [""] * 17, ["1002", 'say "hi", twice'] + [""] * 16] * 400
    text = "".join(csv_chunks(rows, stats))
    assert stats == {"rows": 1200, "orders": 800}
    assert '1002,"say ""hi"", twice",' in text and text.count("\r\n") == 1201 and "\n" not in text.replace("\r\n", "")


def test_canceled_requests_keep_the_feeds_documented_spelling():
    """The app says "canceled"; the bookstore's feed keeps docs/spec.md §6a's "cancelled".

    Old stored values still read.
    """
    from orders.domain.feed.rows import feed_status

    assert ContentRequestStatus.CANCELED.value == "canceled" and ContentRequestStatus.CANCELED.label == "Canceled"
    assert feed_status(ContentRequestStatus.CANCELED) == "cancelled"
    assert feed_status(ContentRequestStatus.APPROVED) == "approved"
    assert ContentRequestStatus("cancelled") is ContentRequestStatus.CANCELED
