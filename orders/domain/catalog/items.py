"""Catalog items: saving one (form or CSV import) and retiring it, each audited, ISBNs unique in the catalog.

Two changes may add the same new ISBN at once (two imports, an import and "New item"): each read that
the ISBN was free. The unique index decides who was first; the other is refused whole with a 409 that
says so (`added_meanwhile`), never a 500, and nothing of it is applied.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from orders.domain.audit import record
from orders.domain.catalog.fields import ItemFields, item_values
from orders.domain.models import AdminAuditEntry, CatalogItem, User
from orders.domain.refusals import Conflict, RuleBroken
from orders.extensions import db


def _isbn_taken(code: str, except_id: int | None) -> CatalogItem | None:
    query = select(CatalogItem).where(CatalogItem.isbn13 == code)
    if except_id is not None:
        query = query.where(CatalogItem.id != except_id)
    return db.session.scalars(query).first()


def added_meanwhile(isbns: list[str]) -> Conflict:
    """The refusal of a change that lost the race for new ISBNs to another change."""
    named = ", ".join(isbns[:5]) + (f" and {len(isbns) - 5} more" if len(isbns) > 5 else "")
    return Conflict(f"Another change added ISBN {named} to the catalog first, while this one was being saved. "
                    "Nothing was changed: import again (or look the item up), and those ISBNs will be updated instead.")


def _item_target(values: dict) -> str:
    return f"Catalog item {values['isbn13']} {values['title']}"


def save_item(item: CatalogItem | None, fields: ItemFields, *, actor: User, now: datetime) -> tuple[CatalogItem, bool]:
    """Add an item (item None) or change one; returns the item and whether anything changed."""
    holder = _isbn_taken(fields.isbn13, item.id if item else None)
    if holder is not None:
        raise RuleBroken(f"ISBN {fields.isbn13} already belongs to “{holder.title}”.")
    after = fields.as_audit()
    taken = added_meanwhile([fields.isbn13])
    if item is None:
        item = CatalogItem(**{k: getattr(fields, k) for k in after})
        try:
            with db.session.begin_nested():  # two admins adding one ISBN at once: the unique index decides
                db.session.add(item)
        except IntegrityError as error:
            raise taken from error
        record("catalog.item_added", _item_target(after), None, after, actor=actor, now=now)
        return item, True
    before = item_values(item)
    after["active"] = item.active  # the edit form does not change it; deactivate/reactivate does
    changed = {k: v for k, v in after.items() if before[k] != v}
    if not changed:
        return item, False
    try:
        with db.session.begin_nested():
            for name in changed:
                setattr(item, name, getattr(fields, name))
    except IntegrityError as error:
        raise taken from error
    record("catalog.item_updated", _item_target(after), {k: before[k] for k in changed}, changed, actor=actor, now=now)
    return item, True


def set_item_active(item: CatalogItem, active: bool, *, actor: User, now: datetime) -> AdminAuditEntry | None:
    """Deactivate (no longer orderable; orders keep it) or reactivate a catalog item."""
    if item.active == active:
        return None
    item.active = active
    db.session.flush()
    kind = "catalog.item_reactivated" if active else "catalog.item_deactivated"
    return record(
        kind, _item_target(item_values(item)), {"active": not active}, {"active": active}, actor=actor, now=now
    )


def _insert_new(rows: list[dict]) -> set[str]:
    """INSERT the new items in batches, skipping an ISBN another change added since it was read (ON CONFLICT
    DO NOTHING: PostgreSQL waits for that change to commit instead of failing); the ISBNs inserted."""
    table = cast(Table, CatalogItem.__table__)  # a mapped class's __table__ is its Table
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    done: set[str] = set()
    for start in range(0, len(rows), 500):  # one multi-row VALUES per batch: RETURNING then names every row inserted
        statement = (
            dialect.insert(table)
            .values(rows[start : start + 500])
            .on_conflict_do_nothing(index_elements=["isbn13"])
            .returning(table.c.isbn13)
        )
        done.update(db.session.execute(statement).scalars())
    return done


@dataclass(frozen=True)
class CatalogImportResult:
    inserted: int
    updated: int
    unchanged: int


def import_catalog(items: list[ItemFields], filename: str, *, actor: User, now: datetime) -> CatalogImportResult:
    """Upsert validated items by ISBN in bulk: one SELECT, one INSERT batch, one UPDATE batch, one audit entry."""
    codes = [i.isbn13 for i in items]
    existing: dict[str, CatalogItem] = {}
    for start in range(0, len(codes), 1000):
        chunk = codes[start : start + 1000]
        existing.update(
            (item.isbn13, item) for item in db.session.scalars(select(CatalogItem).where(CatalogItem.isbn13.in_(chunk)))
        )
    inserted, updated, new_rows = [], {}, []
    for fields in items:
        after = fields.as_audit()
        item = existing.get(fields.isbn13)
        if item is None:
            new_rows.append({k: getattr(fields, k) for k in after})
            inserted.append(fields.isbn13)
            continue
        before = item_values(item)
        changed = {k: v for k, v in after.items() if before[k] != v}
        if changed:
            for name in changed:
                setattr(item, name, getattr(fields, name))
            updated[fields.isbn13] = {name: [before[name], value] for name, value in changed.items()}
    db.session.flush()
    added = _insert_new(new_rows)
    taken = [code for code in inserted if code not in added]
    if taken:  # another change added them since the SELECT above: refuse the whole file (the caller rolls back)
        raise added_meanwhile(taken)
    result = CatalogImportResult(len(inserted), len(updated), len(items) - len(inserted) - len(updated))
    if inserted or updated:
        record(
            "catalog.imported",
            f"Catalog import {filename}"[:300],
            None,
            {"file": filename, "inserted": inserted, "updated": updated, "unchanged": result.unchanged},
            actor=actor,
            now=now,
        )
    return result
