"""The back office's review settings (docs/spec.md §8): each organization's ordering policy and pre-approved list,
and the institution's royalty review threshold. Every change is audited; none touches an order already waiting
(a waiting order keeps waiting whatever the policy becomes: it is never placed or dropped silently)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.exc import IntegrityError

from orders.domain.audit import record
from orders.domain.formats import isbn
from orders.domain.models import CatalogItem, Institution, OrderingPolicy, Organization, PreApprovedItem, User
from orders.domain.refusals import RuleBroken
from orders.extensions import db

MAX_LIST_BYTES = 1_000_000
MAX_LIST_ROWS = 10_000


def set_policy(organization: Organization, policy: OrderingPolicy, *, actor: User, now: datetime) -> bool:
    """Change the organization's ordering policy; False when it already was this one."""
    before = organization.ordering_policy
    if before is policy:
        return False
    organization.ordering_policy = policy
    db.session.flush()
    record("organization.policy", f"Ordering policy of {organization.name}", {"policy": before.label},
           {"policy": policy.label}, actor=actor, now=now)
    return True


def listed_items(organization: Organization) -> list[PreApprovedItem]:
    """The organization's pre-approved list, by title."""
    return list(db.session.scalars(
        select(PreApprovedItem).join(CatalogItem, CatalogItem.id == PreApprovedItem.catalog_item_id)
        .where(PreApprovedItem.organization_id == organization.id).order_by(CatalogItem.title, CatalogItem.id)
    ))


def _audit_item(item: CatalogItem) -> dict:
    return {"title": item.title, "isbn13": item.isbn13}


def add_to_list(organization: Organization, item: CatalogItem, *, actor: User, now: datetime) -> bool:
    """Put a catalog item on the list; False when it already was (the same item added twice at once: the unique
    constraint keeps one)."""
    try:
        with db.session.begin_nested():
            db.session.add(
                PreApprovedItem(
                    organization_id=organization.id, catalog_item_id=item.id, added_by_id=actor.id, added_at=now
                )
            )
    except IntegrityError:
        return False
    record(
        "pre_approved.added",
        f"Pre-approved list of {organization.name}: {item.title}",
        None,
        _audit_item(item),
        actor=actor,
        now=now,
    )
    return True


def remove_from_list(organization: Organization, item: CatalogItem, *, actor: User, now: datetime) -> bool:
    """Take a catalog item off the list; False when it was not on it."""
    gone = cast(
        "CursorResult[Any]",
        db.session.execute(
            delete(PreApprovedItem)
            .where(PreApprovedItem.organization_id == organization.id, PreApprovedItem.catalog_item_id == item.id)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if not gone:
        return False
    record(
        "pre_approved.removed",
        f"Pre-approved list of {organization.name}: {item.title}",
        _audit_item(item),
        None,
        actor=actor,
        now=now,
    )
    return True


class ListFileError(RuleBroken):
    """A pre-approved list file refused whole; `problems` names each row."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


def parse_isbn_list(data: bytes) -> list[str]:
    """The ISBN-13s of a CSV of ISBNs: one per row in the first column (ISBN-10 or ISBN-13, hyphens allowed), an
    optional header row naming it "isbn"; blank rows skipped. Any invalid row refuses the whole file."""
    if len(data) > MAX_LIST_BYTES:
        raise ListFileError([f"The file is larger than {MAX_LIST_BYTES // 1_000_000} MB."])
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ListFileError([f"Row {line}: the file is not UTF-8 text."]) from None
    if "\x00" in content:
        raise ListFileError(["The file contains NUL characters; it is not a CSV text file."])
    problems: list[str] = []
    found: list[str] = []
    try:
        for number, row in enumerate(csv.reader(io.StringIO(content, newline="")), start=1):
            value = (row[0] if row else "").strip()
            if not value or (number == 1 and value.lower() in ("isbn", "isbn13", "isbn-13")):
                continue
            if number > MAX_LIST_ROWS:
                raise ListFileError([f"The file has more than {MAX_LIST_ROWS:,} rows."])
            code = isbn.to_isbn13(value)
            if code is None:
                problems.append(f"Row {number}: “{value[:40]}” is not a valid ISBN-10 or ISBN-13.")
            elif code not in found:
                found.append(code)
    except csv.Error as error:
        raise ListFileError([f"The file is not valid CSV: {error}."]) from None
    if problems:
        raise ListFileError(problems[:20] + ([f"… and {len(problems) - 20} more rows."] if len(problems) > 20 else []))
    if not found:
        raise ListFileError(["The file lists no ISBN."])
    return found


@dataclass(frozen=True)
class ListImport:
    added: int
    already: int


def import_list(
    organization: Organization, codes: list[str], filename: str, *, actor: User, now: datetime
) -> ListImport:
    """Put every catalog item these ISBN-13s name on the list; an ISBN the catalog lacks refuses the whole file."""
    items: dict[str, CatalogItem] = {}
    for start in range(0, len(codes), 1000):
        chunk = codes[start : start + 1000]
        items.update(
            (i.isbn13, i) for i in db.session.scalars(select(CatalogItem).where(CatalogItem.isbn13.in_(chunk)))
        )
    unknown = [code for code in codes if code not in items]
    if unknown:
        raise ListFileError(
            [
                f"Not in the catalog: {', '.join(unknown[:20])}{' …' if len(unknown) > 20 else ''}. "
                "Add them to the catalog first; nothing was imported."
            ]
        )
    listed = set(
        db.session.scalars(
            select(PreApprovedItem.catalog_item_id).where(PreApprovedItem.organization_id == organization.id)
        )
    )
    new = [items[code] for code in codes if items[code].id not in listed]
    try:
        with db.session.begin_nested():
            db.session.add_all(
                PreApprovedItem(
                    organization_id=organization.id, catalog_item_id=item.id, added_by_id=actor.id, added_at=now
                )
                for item in new
            )
    except IntegrityError:
        raise RuleBroken("Someone changed this list at the same moment. Nothing was imported; try again.") from None
    if new:
        record(
            "pre_approved.imported",
            f"Pre-approved list of {organization.name}: import {filename}"[:300],
            None,
            {"file": filename, "added": [item.isbn13 for item in new]},
            actor=actor,
            now=now,
        )
    return ListImport(len(new), len(codes) - len(new))


def set_royalty_threshold(inst: Institution, threshold: Decimal | None, *, actor: User, now: datetime) -> bool:
    """Review every royalty Yes (None), or only those above this estimated royalty per section; False when unchanged."""
    before = inst.royalty_review_threshold
    if before == threshold:
        return False
    inst.royalty_review_threshold = threshold
    db.session.flush()

    def words(amount: Decimal | None) -> str:
        return "always" if amount is None else f"above ${amount:,.2f} per section"

    record(
        "institution.royalty_threshold",
        "Royalty review",
        {"royalty_review": words(before)},
        {"royalty_review": words(threshold)},
        actor=actor,
        now=now,
    )
    return True
