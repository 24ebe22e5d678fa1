"""The feed's rows: one per order x section x line, the current state of each order (a snapshot).

One SQL statement whatever the size of the term, read in chunks (a server-side cursor on PostgreSQL),
so memory stays flat; the rows are formatted here and written by the CSV module (RFC 4180 quoting).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import lru_cache

from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    Numeric,
    Select,
    String,
    case,
    func,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)

from orders.domain.changelog import reported_clause
from orders.domain.formats.csvstream import csv_chunks as stream_csv
from orders.domain.formats.money import plain_price
from orders.domain.formats.times import iso_utc
from orders.domain.lines import fulfilling_item_id
from orders.domain.models import (
    CatalogItem,
    ContentRequest,
    ContentRequestStatus,
    Order,
    OrderLine,
    OrderSection,
    OrderStatus,
    Section,
    SectionState,
    UTCDateTime,
)

COLUMNS = (
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
CATALOG_ITEM = "catalog_item"
CONTENT_REQUEST = "content_request"
FETCH_ROWS = 2000  # rows per round trip to the database


@lru_cache(maxsize=4096)  # an order's times repeat on each of its rows
def _lines():
    """Catalog lines and content requests of every order, as one set with the same columns."""
    catalog = select(
        OrderLine.order_id.label("order_id"),
        literal_column(f"'{CATALOG_ITEM}'", String).label("item_type"),
        literal_column("0", Integer).label("type_rank"),
        OrderLine.position.label("position"),
        OrderLine.catalog_item_id.label("line_key"),
        OrderLine.catalog_item_id.label("item_id"),
        OrderLine.student_price.label("price"),
        OrderLine.removed_at.label("removed_at"),
        type_coerce(null(), ContentRequest.status.type).label("cr_status"),
        type_coerce(null(), UTCDateTime()).label("cr_created"),
        type_coerce(null(), String()).label("cr_title"),
        type_coerce(null(), String()).label("cr_isbn"),
    )
    requests = select(
        ContentRequest.order_id,
        literal_column(f"'{CONTENT_REQUEST}'", String),
        literal_column("1", Integer),
        ContentRequest.position,
        ContentRequest.id,
        # An approved request counts as the catalog item that fulfils it (docs/spec.md §3, content requests),
        # unless another line of the order already carries that item: each item once (orders/domain/lines.py).
        fulfilling_item_id(),
        type_coerce(null(), Numeric(10, 2)),
        ContentRequest.removed_at,
        ContentRequest.status,
        ContentRequest.created_at,
        ContentRequest.title,
        ContentRequest.isbn13,
    )
    return union_all(catalog, requests).subquery("line")


def changed_at():
    """SQL: when the order last changed, for `order_updated` and the delta windows.

    Order.last_changed_at, else placed_at; a cancel later than both counts too, so a cancel is
    reported even where the cancel service has not moved last_changed_at.
    """
    changed = func.coalesce(Order.last_changed_at, Order.placed_at)
    return case((Order.canceled_at > changed, Order.canceled_at), else_=changed)


def feed_query(term_id: int, since: datetime | None, also: Select | None = None) -> Select:
    """Rows of the term's placed and canceled orders (drafts never), changed after `since` if given.

    `also` (a SELECT of order ids: the delta's claimed change log) adds orders whatever their times.
    """
    line = _lines()
    statement = (
        select(
            Order.number,
            Order.placed_at,
            changed_at().label("updated_at"),
            Order.status,
            Section.sis_id,
            Section.state,
            OrderSection.removed_at.label("section_removed_at"),
            line.c.item_type,
            line.c.item_id,
            line.c.removed_at,
            line.c.cr_status,
            line.c.cr_created,
            line.c.cr_title,
            line.c.cr_isbn,
            CatalogItem.title,
            CatalogItem.authors,
            CatalogItem.isbn13,
            CatalogItem.publisher,
            CatalogItem.edition,
            CatalogItem.delivery,
            # The price the order carries for a catalog line; the item's price for an approved request.
            func.coalesce(line.c.price, CatalogItem.student_price).label("price"),
        )
        .select_from(Order)
        .join(OrderSection, OrderSection.order_id == Order.id)
        .join(Section, Section.id == OrderSection.section_id)
        .join(line, line.c.order_id == Order.id)
        .outerjoin(CatalogItem, CatalogItem.id == line.c.item_id)
        .where(Order.term_id == term_id, reported_clause())
        .order_by(Order.number, Section.label, Section.id, line.c.type_rank, line.c.position, line.c.line_key)
    )
    if since is not None:
        changed = changed_at() > since
        statement = statement.where(changed if also is None else or_(changed, Order.id.in_(also)))
    return statement


def _removed_at(row) -> datetime | None:
    """When an edit took this row's section or line off the order (the earlier of the two), if it did."""
    times = [t for t in (row.section_removed_at, row.removed_at) if t is not None]
    return min(times) if times else None


def format_row(row, since: datetime | None) -> list[str] | None:
    """One CSV row, or None when the row is not reported.

    A row an edit removed is reported once, deleted, in the next delta (its removal falls in the
    window) and never again: fulls (since=None) and later deltas leave it out.
    """
    removed_at = _removed_at(row)
    if removed_at is not None and (since is None or removed_at <= since):
        return None
    is_request = row.item_type == CONTENT_REQUEST
    deleted = (
        row.status is OrderStatus.CANCELED
        or row.state is SectionState.REMOVED
        or removed_at is not None
        or (is_request and row.cr_status is ContentRequestStatus.CANCELED)
    )
    has_item = row.item_id is not None
    return [
        str(row.number),
        iso_utc(row.placed_at),
        iso_utc(row.updated_at),
        row.sis_id or "",
        "true" if deleted else "false",
        row.item_type,
        str(row.item_id) if has_item else "",
        row.title if has_item else "",
        row.authors if has_item else "",
        row.isbn13 if has_item else "",
        row.publisher if has_item else "",
        row.edition if has_item else "",
        row.delivery.value if has_item else "",
        plain_price(row.price) if has_item else "",
        iso_utc(row.cr_created) if is_request else "",
        (row.cr_title or "") if is_request else "",
        (row.cr_isbn or "") if is_request else "",
        feed_status(row.cr_status) if is_request and row.cr_status else "",
    ]


# The feed is the bookstore's contract (docs/spec.md §6a) and spells this status the British way; the app says
# "canceled" everywhere else. Changing the file's value would need FEED_VERSION and the bookstore's parser.
_FEED_STATUS = {ContentRequestStatus.CANCELED: "cancelled"}


def feed_status(status: ContentRequestStatus) -> str:
    """A content request's status as the feed writes it."""
    return _FEED_STATUS.get(status, status.value)


def feed_rows(connection: Connection, term_id: int, since: datetime | None, also: Select | None = None,
              removed_after: datetime | None = None) -> Iterator[list[str]]:
    """The formatted rows of a full (since=None) or of the changes after `since` (and of the orders `also`), streamed.

    Removed rows are reported when removed after `removed_after` (default `since`). The caller
    chooses the connection: the command's own transaction, or for a download a connection of its
    own that outlives the request's session while the response streams.
    """
    result = connection.execute(feed_query(term_id, since, also).execution_options(yield_per=FETCH_ROWS))
    cutoff = since if removed_after is None else removed_after
    for row in result:
        formatted = format_row(row, cutoff)
        if formatted is not None:
            yield formatted


def stream_feed(engine: Engine, term_id: int, since: datetime | None) -> Iterator[str]:
    """The back office's download: CSV chunks safe to open in a spreadsheet (the command's file stays exact).

    Read on a connection opened when the first chunk is asked for, closed after the last.
    """
    with engine.connect() as connection:
        yield from csv_chunks(feed_rows(connection, term_id, since), for_spreadsheet=True)


def csv_chunks(rows: Iterable[list[str]], stats: dict | None = None, *, for_spreadsheet: bool = False) -> Iterator[str]:
    """The CSV text: header row, then the rows, in chunks (orders/domain/formats/csvstream.py: RFC 4180, CRLF).

    The command's file is exact (for the bookstore's importer); a download passes `for_spreadsheet`.
    `stats`, when given, receives "rows" and "orders" as the rows go by.
    """

    def counted() -> Iterator[list[str]]:
        count, orders, last_order = 0, 0, None
        for row in rows:
            count += 1
            if row[0] != last_order:
                orders, last_order = orders + 1, row[0]
            yield row
        if stats is not None:
            stats.update(rows=count, orders=orders)

    return stream_csv(COLUMNS, counted(), for_spreadsheet=for_spreadsheet)
