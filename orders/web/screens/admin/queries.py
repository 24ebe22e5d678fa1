"""Reads for the back-office screens: each page a constant number of statements, whatever the data size."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, func, or_, select

from orders.domain.formats import isbn
from orders.domain.formats.like import ESCAPE, anywhere
from orders.domain.models import (
    AdminAuditEntry,
    Campus,
    CatalogItem,
    CoordinatorGrant,
    Course,
    Organization,
    Section,
    SectionState,
    Term,
    User,
)
from orders.domain.periods import period_state
from orders.domain.reach import grant_covers_clause
from orders.domain.windows import WindowState
from orders.extensions import db
from orders.web.filters import QueryFilter, arg, identifier, page, text
from orders.web.paging import Page, offset_of, page_count
from orders.web.parsing import parse_page

T = TypeVar("T")
PAGE_SIZE = 25
AUDIT_PAGE_SIZE = 50


def page_number(raw: str | None) -> int:
    """A page number from the query string; anything odd is page 1."""
    return parse_page(raw)


def _paginate(query: Select, page: int, size: int) -> Page:
    total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    page = min(page, page_count(total, size))
    rows = list(db.session.scalars(query.limit(size).offset(offset_of(page, size))).unique())
    return Page(rows, page, total, size)


def search_text(raw: str | None) -> str:
    """The search box's text: trimmed, bounded, no NUL."""
    return " ".join((raw or "").replace("\x00", "").split())[:100]


# --- Terms and periods ------------------------------------------------------------------------------


def default_preview_term(terms: list[Term], now: datetime) -> Term | None:
    """The term a grant preview counts in: the open one, else the next upcoming, else the newest."""
    for wanted in (WindowState.OPEN, WindowState.UPCOMING):
        matching = [t for t in terms if period_state(t, now) is wanted]
        if matching:
            return min(matching, key=lambda t: t.starts_on)
    return terms[0] if terms else None


# --- Grants -----------------------------------------------------------------------------------------


@dataclass
class GrantOptions:
    subjects: list[str]
    organizations: list[Organization]
    campuses: list[Campus]


def grant_options() -> GrantOptions:
    return GrantOptions(
        subjects=list(db.session.scalars(select(Course.subject).distinct().order_by(Course.subject))),
        organizations=list(db.session.scalars(select(Organization).order_by(Organization.name))),
        campuses=list(db.session.scalars(select(Campus).order_by(Campus.name))),
    )


def covered_section_count(grant: CoordinatorGrant, term: Term) -> int:
    """How many active sections of the term the (possibly unsaved) grant covers."""
    return db.session.execute(
        select(func.count()).select_from(Section).join(Course, Course.id == Section.course_id)
        .where(Section.term_id == term.id, Section.state == SectionState.ACTIVE, grant_covers_clause(grant))
    ).scalar_one()


def user_grants(user: User) -> list[CoordinatorGrant]:
    return list(
        db.session.scalars(
            select(CoordinatorGrant).where(CoordinatorGrant.user_id == user.id).order_by(CoordinatorGrant.id)
        ).unique()
    )


# --- Users and catalog -------------------------------------------------------------------------------


def users_page(text: str, page: int) -> Page[User]:
    query = select(User).order_by(User.sort_name, User.id)
    if text:
        pattern = anywhere(text)
        query = query.where(
            or_(func.lower(User.name).like(pattern, escape=ESCAPE), func.lower(User.email).like(pattern, escape=ESCAPE))
        )
    return _paginate(query, page, PAGE_SIZE)


def catalog_page(text: str, page: int) -> Page[CatalogItem]:
    query = select(CatalogItem).order_by(CatalogItem.title, CatalogItem.id)
    if text:
        pattern = anywhere(text)
        digits = isbn.search_digits(text)
        conditions = [
            func.lower(CatalogItem.title).like(pattern, escape=ESCAPE),
            func.lower(CatalogItem.authors).like(pattern, escape=ESCAPE),
        ]
        if digits:
            conditions.append(CatalogItem.isbn13.like(f"%{digits}%"))
        query = query.where(or_(*conditions))
    return _paginate(query, page, PAGE_SIZE)


# --- Audit log and imports ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter(QueryFilter):
    """The audit log's filters: the kind of change, who made it, the page."""

    kind: str = arg(text(64), "")
    user: str = arg(identifier(also=("system",), as_text=True), "")  # a user id, "system" for commands, "" anyone
    page: int = arg(page(), 1)


def audit_page(filters: AuditFilter) -> Page[AdminAuditEntry]:
    query = select(AdminAuditEntry).order_by(AdminAuditEntry.id.desc())
    if filters.kind:
        query = query.where(AdminAuditEntry.kind == filters.kind)
    if filters.user == "system":
        query = query.where(AdminAuditEntry.actor_id.is_(None))
    elif filters.user:
        query = query.where(AdminAuditEntry.actor_id == int(filters.user))
    return _paginate(query, filters.page, AUDIT_PAGE_SIZE)


def audit_choices() -> tuple[list[str], list[tuple[int, str]]]:
    """The kinds and the people that appear in the log, for its filters."""
    kinds = list(db.session.scalars(select(AdminAuditEntry.kind).distinct().order_by(AdminAuditEntry.kind)))
    actors = [
        (row.id, row.name)
        for row in db.session.execute(
            select(User.id, User.name)
            .where(User.id.in_(select(AdminAuditEntry.actor_id).distinct()))
            .order_by(User.sort_name)
        )
    ]
    return kinds, actors


def last_sis_import() -> AdminAuditEntry | None:
    return db.session.scalars(
        select(AdminAuditEntry).where(AdminAuditEntry.kind == "sis.import").order_by(AdminAuditEntry.id.desc()).limit(1)
    ).first()
