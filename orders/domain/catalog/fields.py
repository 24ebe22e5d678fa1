"""Catalog item rules shared by the item form and the CSV import: one parser, one set of messages."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass
from decimal import Decimal

from orders.domain.formats import isbn
from orders.domain.formats.text import clean_line
from orders.domain.formats.weburl import parse_web_url
from orders.domain.models import CatalogItem, Delivery

CSV_COLUMNS = ("title", "authors", "isbn", "publisher", "edition", "delivery", "student_price", "active")
# Optional: a file without them still imports, and leaves those values of existing items as they are.
OPTIONAL_CSV_COLUMNS = ("copyright_year", "list_price", "zero_cost", "courseware_for_graded_work", "data_terms_url")
MAX_CSV_BYTES = 5_000_000
MAX_CSV_ROWS = 20_000
MAX_PRICE = Decimal("99999999.99")  # Numeric(10, 2)
_PRICE = re.compile(r"^[0-9]{1,8}(\.[0-9]{1,2})?$")
_YEAR = re.compile(r"^[0-9]{4}$")
MIN_YEAR, MAX_YEAR = 1450, 2100
_LIMITS = {"title": 300, "authors": 300, "publisher": 200, "edition": 50}
_TRUE = {"true", "yes", "y", "1", "active"}
_FALSE = {"false", "no", "n", "0", "inactive"}


@dataclass(frozen=True)
class ItemFields:
    """A catalog item's values, validated."""

    title: str
    authors: str
    isbn13: str
    publisher: str
    edition: str
    delivery: Delivery
    student_price: Decimal
    active: bool = True
    copyright_year: int | None = None
    list_price: Decimal | None = None
    zero_cost: bool = False
    courseware_for_graded_work: bool = False  # docs/spec.md §10: students see it before they opt out
    data_terms_url: str | None = None  # the publisher's student-data terms (http or https)
    keep: tuple[str, ...] = ()  # fields the source did not give: an existing item keeps its values

    def as_audit(self) -> dict:
        values = {k: v for k, v in asdict(self).items() if k != "keep" and k not in self.keep}
        values["delivery"] = self.delivery.value
        values["student_price"] = str(self.student_price)
        if "list_price" in values:
            values["list_price"] = None if self.list_price is None else str(self.list_price)
        return values


def item_values(item: CatalogItem) -> dict:
    """An item's current values in the shape of ItemFields.as_audit()."""
    return dict(
        title=item.title,
        authors=item.authors,
        isbn13=item.isbn13,
        publisher=item.publisher,
        edition=item.edition,
        delivery=item.delivery.value,
        student_price=str(item.student_price.quantize(Decimal("0.01"))),
        active=item.active,
        copyright_year=item.copyright_year,
        list_price=None if item.list_price is None else str(item.list_price.quantize(Decimal("0.01"))),
        zero_cost=bool(item.zero_cost),
        courseware_for_graded_work=bool(item.courseware_for_graded_work),
        data_terms_url=item.data_terms_url,
    )


def parse_isbn13(raw: str) -> tuple[str | None, str | None]:
    """(ISBN-13, None) or (None, reason); hyphens and spaces are ignored."""
    value = (raw or "").replace("-", "").replace(" ", "").strip()
    if not value:
        return None, "ISBN is required."
    if not (value.isascii() and value.isdigit() and len(value) == 13):
        return None, "ISBN must be 13 digits (ISBN-13), hyphens allowed."
    if not isbn.is_valid(value):
        return None, "ISBN has a wrong check digit or does not start with 978/979."
    return value, None


def _parse_money(raw: str, label: str, *, required: bool, example: str) -> tuple[Decimal | None, str | None]:
    """A price in dollars: a decimal >= 0 with at most two decimals (a leading "$" is allowed)."""
    value = (raw or "").strip().removeprefix("$").strip()
    if not value:
        return None, (f"{label} is required." if required else None)
    if not _PRICE.match(value):
        tail = "" if required else ", or empty"
        return None, f"{label} must be a number of dollars like {example} (0 or more, at most two decimals){tail}."
    price = Decimal(value)
    if price > MAX_PRICE:
        return None, f"{label} is too large."
    return price.quantize(Decimal("0.01")), None


def parse_price(raw: str) -> tuple[Decimal | None, str | None]:
    """A student price: required."""
    return _parse_money(raw, "Student price", required=True, example="49.95")


def parse_optional_amount(raw: str, label: str, example: str = "4.50") -> tuple[Decimal | None, str | None]:
    """An optional amount of dollars, like a price (an estimated royalty per copy, docs/spec.md §8)."""
    return _parse_money(raw, label, required=False, example=example)


def parse_list_price(raw: str) -> tuple[Decimal | None, str | None]:
    """The publisher's retail price: optional, else like a student price."""
    return _parse_money(raw, "List price", required=False, example="129.95")


def parse_year(raw: str) -> tuple[int | None, str | None]:
    """A copyright year: optional, four digits."""
    value = (raw or "").strip()
    if not value:
        return None, None
    if not _YEAR.match(value) or not MIN_YEAR <= int(value) <= MAX_YEAR:
        return None, f"Copyright year must be a year like 2021 (between {MIN_YEAR} and {MAX_YEAR}), or empty."
    return int(value), None


def parse_zero_cost(raw: str | bool | None) -> tuple[bool | None, str | None]:
    if isinstance(raw, bool):
        return raw, None
    value = (raw or "").strip().lower()
    if value == "" or value in _FALSE:
        return False, None
    if value in _TRUE | {"oer", "zero cost"}:
        return True, None
    return None, "Zero cost must be true or false."


def parse_courseware(raw: str | bool | None) -> tuple[bool | None, str | None]:
    """ "Courseware needed for graded work": true or false (empty: false)."""
    if isinstance(raw, bool):
        return raw, None
    value = (raw or "").strip().lower()
    if value == "" or value in _FALSE:
        return False, None
    if value in _TRUE:
        return True, None
    return None, "Courseware needed for graded work must be true or false."


def parse_delivery(raw: str) -> tuple[Delivery | None, str | None]:
    value = (raw or "").strip().lower()
    for option in Delivery:
        if option.value.lower() == value:
            return option, None
    return None, "Delivery must be eText or Courseware."


def parse_active(raw: str | bool | None) -> tuple[bool | None, str | None]:
    if isinstance(raw, bool):
        return raw, None
    value = (raw or "").strip().lower()
    if value == "" or value in _TRUE:
        return True, None
    if value in _FALSE:
        return False, None
    return None, "Active must be true or false."


def parse_item(raw: dict) -> tuple[ItemFields | None, dict[str, str]]:
    """Validate raw strings (form or CSV row); returns the fields or the errors by field name."""
    errors: dict[str, str] = {}
    text: dict[str, str] = {}
    for name, limit in _LIMITS.items():
        given = str(raw.get(name) or "")
        value = " ".join(clean_line(given).split())  # controls out, invisible-only text empty, spaces folded
        if "\x00" in given:
            errors[name] = f"{name.capitalize()} contains a NUL character."
        elif not value and name != "edition":
            errors[name] = f"{name.capitalize()} is required."
        elif len(value) > limit:
            errors[name] = f"{name.capitalize()} is longer than {limit} characters."
        text[name] = value
    code, problem = parse_isbn13(str(raw.get("isbn") or ""))
    if problem:
        errors["isbn"] = problem
    delivery, problem = parse_delivery(str(raw.get("delivery") or ""))
    if problem:
        errors["delivery"] = problem
    price, problem = parse_price(str(raw.get("student_price") or ""))
    if problem:
        errors["student_price"] = problem
    active, problem = parse_active(raw.get("active", True))
    if problem:
        errors["active"] = problem
    year, problem = parse_year(str(raw.get("copyright_year") or ""))
    if problem:
        errors["copyright_year"] = problem
    list_price, problem = parse_list_price(str(raw.get("list_price") or ""))
    if problem:
        errors["list_price"] = problem
    zero_cost, problem = parse_zero_cost(raw.get("zero_cost", False))
    if problem:
        errors["zero_cost"] = problem
    courseware, problem = parse_courseware(raw.get("courseware_for_graded_work", False))
    if problem:
        errors["courseware_for_graded_work"] = problem
    terms_url, problem = parse_web_url(str(raw.get("data_terms_url") or ""), "The student-data terms link")
    if problem:
        errors["data_terms_url"] = problem
    if errors:
        return None, errors
    # Each parser gives its value whenever it reports no problem.
    assert (
        code is not None and delivery is not None and price is not None and active is not None and zero_cost is not None
    )
    assert courseware is not None
    return ItemFields(
        title=text["title"],
        authors=text["authors"],
        isbn13=code,
        publisher=text["publisher"],
        edition=text["edition"],
        delivery=delivery,
        student_price=price,
        active=active,
        copyright_year=year,
        list_price=list_price,
        zero_cost=zero_cost,
        courseware_for_graded_work=courseware,
        data_terms_url=terms_url,
        keep=tuple(name for name in OPTIONAL_CSV_COLUMNS if name not in raw),
    ), {}


class CatalogFileError(ValueError):
    """The uploaded file is refused as a whole; `problems` lists every reason with its row."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def parse_catalog_csv(data: bytes) -> list[ItemFields]:
    """Every row of the file, validated; any invalid row refuses the whole file.

    Row numbers are spreadsheet rows: the header is row 1, the first item row 2.
    """
    if len(data) > MAX_CSV_BYTES:
        raise CatalogFileError([f"The file is larger than {MAX_CSV_BYTES // 1_000_000} MB."])
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line_number = data[: error.start].count(b"\n") + 1
        raise CatalogFileError([f"Row {line_number}: the file is not UTF-8 text."]) from None
    if "\x00" in content:
        raise CatalogFileError(["The file contains NUL characters; it is not a CSV text file."])
    reader = csv.reader(io.StringIO(content, newline=""), strict=True)
    problems: list[str] = []
    try:
        header = next(reader, None)
        if header is None:
            raise CatalogFileError(["The file is empty; the first row must name the columns."])
        names = [h.strip().lower() for h in header]
        missing = [c for c in CSV_COLUMNS if c not in names]
        extra = [h for h in names if h not in CSV_COLUMNS + OPTIONAL_CSV_COLUMNS]
        if missing or extra or len(names) != len(set(names)):
            detail = []
            if missing:
                detail.append("missing " + ", ".join(missing))
            if extra:
                detail.append("unknown " + ", ".join(extra))
            if len(names) != len(set(names)):
                detail.append("a column appears twice")
            raise CatalogFileError(
                [f"Row 1: the header must name the columns {', '.join(CSV_COLUMNS)} ({'; '.join(detail)})."]
            )
        items: list[ItemFields] = []
        seen: dict[str, int] = {}
        for row_number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(items) >= MAX_CSV_ROWS:
                raise CatalogFileError([f"The file has more than {MAX_CSV_ROWS:,} items; split it."])
            if len(row) != len(names):
                problems.append(f"Row {row_number}: expected {len(names)} columns, found {len(row)}.")
                continue
            fields, errors = parse_item(dict(zip(names, row)))
            if errors:
                problems.extend(f"Row {row_number}: {message}" for message in errors.values())
                continue
            assert fields is not None  # parse_item gives the fields whenever it reports no errors
            if fields.isbn13 in seen:
                problems.append(f"Row {row_number}: ISBN {fields.isbn13} already appears in row {seen[fields.isbn13]}.")
                continue
            seen[fields.isbn13] = row_number
            items.append(fields)
    except csv.Error as error:
        problems.append(f"Row {reader.line_num}: the CSV quoting is malformed ({error}).")
    if problems:
        raise CatalogFileError(problems)
    if not items:
        raise CatalogFileError(["The file has a header but no items."])
    return items
