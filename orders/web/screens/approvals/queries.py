"""The Approvals list's read: orders awaiting approval and changes awaiting approval that the user may decide, oldest
first, in one statement for the page (plus one for its sections), whatever the number of orders."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Integer, String, exists, func, literal, null, select, union_all
from sqlalchemy.orm import aliased

from orders.domain.models import Course, Order, OrderSection, OrderStatus, PendingEdit, Section, Term, User
from orders.domain.review.approvers import decidable_clause
from orders.extensions import db
from orders.web.filters import QueryFilter, arg, choice, identifier, page, text
from orders.web.paging import Page, offset_of

PAGE_SIZE = 50
ROYALTY_CHOICES = {"yes": "Royalty reviews only", "no": "Without royalty review"}


@dataclass(frozen=True)
class ApprovalsFilter(QueryFilter):
    """Term (code), organization (id) and royalty; they round-trip through the query string."""

    term: str = arg(text(16), "")
    organization: int | None = arg(identifier(), None)
    royalty: str = arg(choice(ROYALTY_CHOICES), "")
    page: int = arg(page(), 1)


@dataclass
class Waiting:
    """One order (or one change to an order) awaiting the user's decision."""

    kind: str  # "order" or "change"
    number: int
    term_name: str
    course: str
    placed_by: str
    since: datetime
    royalty: bool
    change_id: int | None
    sections: list[str] = field(default_factory=list)


def _narrowed(query, filters: ApprovalsFilter):
    if filters.term:
        query = query.where(Term.code == filters.term)
    if filters.organization is not None:
        query = query.where(exists(
            select(OrderSection.order_id).join(Section, Section.id == OrderSection.section_id)
            .where(OrderSection.order_id == Order.id, OrderSection.removed_at.is_(None),
                   Section.organization_id == filters.organization)
        ))
    return query


def waiting_page(user: User, filters: ApprovalsFilter, now: datetime) -> Page[Waiting]:
    """One page of what awaits the user, oldest first: the approval rule's SQL twin decides what is listed."""
    placer = aliased(User, name="placer")
    author = aliased(User, name="author")
    base = (
        Order.number,
        Term.name.label("term_name"),
        Course.subject,
        Course.number.label("course_number"),
        Course.title,
    )
    orders = _narrowed(
        select(
            literal("order", String).label("kind"),
            *base,
            placer.name.label("placed_by"),
            Order.last_changed_at.label("since"),
            Order.royalty_review.label("royalty"),
            null().cast(Integer).label("change_id"),
            Order.id.label("order_id"),
        )
        .join(Term, Term.id == Order.term_id)
        .join(Course, Course.id == Order.course_id)
        .join(placer, placer.id == Order.placed_by_id)
        .where(
            Order.status == OrderStatus.AWAITING_APPROVAL,
            decidable_clause(user, Order.id, Order.royalty_review, Order.placed_by_id, now),
        ),
        filters,
    )
    changes = _narrowed(
        select(
            literal("change", String),
            *base,
            author.name,
            PendingEdit.submitted_at,
            PendingEdit.royalty_review,
            PendingEdit.id,
            Order.id,
        )
        .join(PendingEdit, PendingEdit.order_id == Order.id)
        .join(Term, Term.id == Order.term_id)
        .join(Course, Course.id == Order.course_id)
        .join(author, author.id == PendingEdit.user_id)
        .where(
            Order.status == OrderStatus.PLACED,
            PendingEdit.submitted_at.is_not(None),
            decidable_clause(user, Order.id, PendingEdit.royalty_review, PendingEdit.user_id, now),
        ),
        filters,
    )
    both = union_all(orders, changes).subquery("waiting")
    if filters.royalty:
        wanted = filters.royalty == "yes"
        listed = (
            select(both).where(both.c.royalty.is_(True) if wanted else both.c.royalty.is_(False)).subquery("listed")
        )
    else:
        listed = both
    total = db.session.scalar(select(func.count()).select_from(listed)) or 0
    rows = (
        db.session.execute(
            select(listed)
            .order_by(listed.c.since, listed.c.number, listed.c.change_id)
            .limit(PAGE_SIZE)
            .offset(offset_of(filters.page, PAGE_SIZE))
        ).all()
        if total
        else []
    )
    found = [
        Waiting(
            row.kind,
            row.number,
            row.term_name,
            f"{row.subject} {row.course_number} {row.title}",
            row.placed_by,
            row.since,
            bool(row.royalty),
            row.change_id,
        )
        for row in rows
    ]
    _add_sections(found, [row.order_id for row in rows])
    return Page(found, filters.page, total, PAGE_SIZE)


def _add_sections(found: list[Waiting], order_ids: list[int]) -> None:
    """Each row's sections, in one query for the page."""
    if not order_ids:
        return
    labels: dict[int, list[str]] = {}
    for order_id, label in db.session.execute(
        select(OrderSection.order_id, Section.label)
        .join(Section, Section.id == OrderSection.section_id)
        .where(OrderSection.order_id.in_(order_ids), OrderSection.removed_at.is_(None))
        .order_by(Section.label)
    ):
        labels.setdefault(order_id, []).append(label)
    for waiting, order_id in zip(found, order_ids):
        waiting.sections = labels.get(order_id, [])


def organizations() -> list[tuple[int, str]]:
    """(id, name) of every organization, for the filter."""
    from orders.domain.models import Organization

    return [
        (row.id, row.name)
        for row in db.session.execute(select(Organization.id, Organization.name).order_by(Organization.name))
    ]
