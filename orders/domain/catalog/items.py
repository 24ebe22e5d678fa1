"""Catalog items: saving one (form or CSV import) and retiring it, each audited, ISBNs unique among active items."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from orders.domain.audit import record
from orders.domain.catalog.fields import ItemFields, item_values
from orders.domain.models import AdminAuditEntry, CatalogItem, User
from orders.domain.refusals import RuleBroken
from orders.extensions import db


def _isbn_taken(code: str, except_id: int | None) -> CatalogItem | None:
    query = select(CatalogItem).where(CatalogItem.isbn13 == code)
    if except_id is not None:
        query = query.where(CatalogItem.id != except_id)
    return db.session.scalars(query).first()


def _item_target(values: dict) -> str:
    return f"Catalog item {values['isbn13']} {values['title']}"


def save_item(item: CatalogItem | None, fields: ItemFields, *, actor: User, now: datetime) -> tuple[CatalogItem, bool]:
    """Add an item (item None) or change one; returns the item and whether anything changed."""
    holder = _isbn_taken(fields.isbn13, item.id if item else None)
    if holder is not None:
        raise RuleBroken(f"ISBN {fields.isbn13} already belongs to “{holder.title}”.")
    after = fields.as_audit()
    taken = RuleBroken(f"ISBN {fields.isbn13} already exists in the catalog: another change added it just now.")
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
    return record(kind, _item_target(item_values(item)), {"active": not active}, {"active": active}, actor=actor, now=now)


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
        chunk = codes[start:start + 1000]
        existing.update((item.isbn13, item) for item in db.session.scalars(select(CatalogItem).where(CatalogItem.isbn13.in_(chunk))))
    inserted, updated = [], {}
    for fields in items:
        after = fields.as_audit()
        item = existing.get(fields.isbn13)
        if item is None:
            db.session.add(CatalogItem(**{k: getattr(fields, k) for k in after}))
            inserted.append(fields.isbn13)
            continue
        before = item_values(item)
        changed = {k: v for k, v in after.items() if before[k] != v}
        if changed:
            for name in changed:
                setattr(item, name, getattr(fields, name))
            updated[fields.isbn13] = {name: [before[name], value] for name, value in changed.items()}
    db.session.flush()
    result = CatalogImportResult(len(inserted), len(updated), len(items) - len(inserted) - len(updated))
    if inserted or updated:
        record(
            "catalog.imported", f"Catalog import {filename}"[:300], None,
            {"file": filename, "inserted": inserted, "updated": updated, "unchanged": result.unchanged},
            actor=actor, now=now,
        )
    return result


