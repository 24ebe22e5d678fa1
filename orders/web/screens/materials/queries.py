"""The public lookup's reads: visible terms, sections matching a search, their records, the ETag.

A record is one section x line (a section without a line is one record with its status), then one per other
required cost of the section's order (docs/spec.md §10); every record of a section carries the section's estimated
required cost and label (orders/domain/costs/estimate.py, asked once per section here). Only placed orders count;
drafts and canceled orders never reach these queries. No column names a person.
"""
from __future__ import annotations

import hashlib
import time
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import (
    Integer,
    Select,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import aliased

from orders.domain.costs.estimate import CostLabel, CostLine, Disclosure, estimate, label_clause, order_totals
from orders.domain.costs.other_costs import OrderCostFacts, cost_facts
from orders.domain.costs.settings import AUDIT_SETTINGS
from orders.domain.formats.like import ESCAPE, anywhere
from orders.domain.formats.money import plain_price
from orders.domain.institution import local_date
from orders.domain.lines import order_lines
from orders.domain.models import (
    AdminAuditEntry,
    CatalogItem,
    ContentRequest,
    Course,
    NoMaterialsAnswer,
    Order,
    OrderingPeriod,
    OrderSection,
    OrderStatus,
    Requirement,
    Section,
    SectionState,
    Term,
)
from orders.extensions import db
from orders.web.paging import Page, offset_of

PUBLISHED_FOR = timedelta(days=365)  # a term stays listed until a year after its ordering period ended
MAX_QUERY = 200  # longer searches are cut: nobody types more, and LIKE patterns stay cheap
MAX_WORDS = 8
PAGE_SIZE = 20
FORMAT_VERSION = "3"  # part of every ETag: a change of what the pages show must not be answered by an old 304

# A record's status: what this record tells a student.
MATERIAL = "material"  # a listed item
NONE_REQUIRED = "no_materials_required"
TO_BE_DETERMINED = "to_be_determined"  # no placed order and no answer, or a line not yet known (pending request)
OTHER_COST = "other_required_cost"  # an other required cost of the section's order (docs/spec.md §10)
STATUS_LABELS = {
    MATERIAL: "Material",
    NONE_REQUIRED: "No course materials required",
    TO_BE_DETERMINED: "To be determined",
    OTHER_COST: "Other required cost",
}
# The fields every record of a section shares (the section's, then its estimate's).
SECTION_FIELDS = ("term_code", "section_sis_id", "subject", "course_number", "course_title", "section_label")
ESTIMATE_FIELDS = ("estimated_required_cost", "estimated_recommended_cost", "cost_label")
# Orders that hold a section: placed ones count; those in review (docs/spec.md §8) make it "to be determined".
HOLDING = (OrderStatus.PLACED, OrderStatus.AWAITING_APPROVAL, OrderStatus.RETURNED)


def visible_terms_clause(now: datetime):
    """SQL: terms whose ordering period is open, upcoming or ended less than a year ago."""
    return OrderingPeriod.closes_at > now - PUBLISHED_FOR


def visible_terms(now: datetime) -> list[Term]:
    """The terms the lookup offers, newest first."""
    query = (
        select(Term)
        .join(OrderingPeriod, OrderingPeriod.term_id == Term.id)
        .where(visible_terms_clause(now))
        .order_by(Term.starts_on.desc(), Term.id.desc())
    )
    return list(db.session.scalars(query))


def _period(term: Term) -> OrderingPeriod:
    """A visible term's ordering period: the lookup offers only terms that have one (its queries join it)."""
    period = term.period
    assert period is not None  # visible_terms and find_visible_term join OrderingPeriod
    return period


def default_term(terms: list[Term], now: datetime) -> Term | None:
    """The term whose ordering is open (the earliest starting), else the next upcoming, else the latest."""
    by_start = sorted(terms, key=lambda t: t.starts_on)
    for term in by_start:
        if _period(term).opens_at <= now < _period(term).closes_at:
            return term
    for term in by_start:
        if now < _period(term).opens_at:
            return term
    return terms[0] if terms else None


def find_visible_term(code: str, now: datetime) -> Term | None:
    """The visible term with this code, or None (unknown, or no longer published)."""
    if not code or len(code) > 16:
        return None
    query = (
        select(Term)
        .join(OrderingPeriod, OrderingPeriod.term_id == Term.id)
        .where(Term.code == code, visible_terms_clause(now))
    )
    return db.session.scalars(query).first()


def find_section_id(term: Term, sis_id: str) -> int | None:
    """The id of the term's active section with this SIS id."""
    if not sis_id or len(sis_id) > 64:
        return None
    return db.session.scalar(
        select(Section.id).where(
            Section.term_id == term.id, Section.sis_id == sis_id, Section.state == SectionState.ACTIVE
        )
    )


def clean_query(raw: str | None) -> str:
    """The search text as used: whitespace collapsed, cut to MAX_QUERY characters."""
    return " ".join((raw or "")[: MAX_QUERY * 2].split())[:MAX_QUERY]


def _search_clause(q: str):
    """Every word must match the subject, number, title or section label."""
    clauses = []
    for word in q.split()[:MAX_WORDS]:
        needle = anywhere(word)
        clauses.append(
            or_(
                *(
                    func.lower(column).like(needle, escape=ESCAPE)
                    for column in (Course.subject, Course.number, Course.title, Section.label)
                )
            )
        )
    return and_(*clauses) if clauses else None


def matching_sections(
    term: Term, q: str, page: int, *, label: CostLabel | None = None, threshold: Decimal | None = None
) -> Page[int]:
    """The ids of the term's active sections matching `q` (and carrying `label`), one page of them in course order."""
    query = (
        select(Section.id)
        .join(Course, Course.id == Section.course_id)
        .where(Section.term_id == term.id, Section.state == SectionState.ACTIVE)
    )
    clause = _search_clause(q)
    if clause is not None:
        query = query.where(clause)
    if label is not None:
        query = _with_label(query, term, label, threshold)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    ids = (
        list(
            db.session.scalars(
                query.order_by(Course.subject, Course.number, Section.label, Section.id)
                .limit(PAGE_SIZE)
                .offset(offset_of(page, PAGE_SIZE))
            )
        )
        if total
        else []
    )
    return Page(ids, page, total or 0, PAGE_SIZE)


def _with_label(query: Select, term: Term, label: CostLabel, threshold: Decimal | None) -> Select:
    """The sections of `query` whose estimate carries `label`.

    The estimate's SQL twin (orders/domain/costs/estimate.py).
    """
    link = (
        select(OrderSection.section_id, OrderSection.order_id)
        .join(Order, Order.id == OrderSection.order_id)
        .where(
            OrderSection.claimed.is_(True),
            OrderSection.removed_at.is_(None),
            Order.status == OrderStatus.PLACED,
            Order.term_id == term.id,
        )
        .subquery("label_link")
    )
    totals = order_totals(select(Order.id).where(Order.term_id == term.id, Order.status == OrderStatus.PLACED))
    held, holder = aliased(OrderSection), aliased(Order)  # their own names: never correlated with the page's query
    in_review = exists().where(
        held.section_id == Section.id,
        held.claimed.is_(True),
        held.removed_at.is_(None),
        held.order_id == holder.id,
        holder.status.in_(HOLDING),
        holder.status != OrderStatus.PLACED,
    )
    answered = and_(exists().where(NoMaterialsAnswer.section_id == Section.id), ~in_review)  # twin of disclosed()
    return (
        query.outerjoin(link, link.c.section_id == Section.id)
        .outerjoin(totals, totals.c.order_id == link.c.order_id)
        .where(
            label_clause(label, totals, ordered=link.c.order_id.is_not(None), answered=answered, threshold=threshold)
        )
    )


def records_query(term_id: int, section_ids: list[int] | None = None) -> tuple[Select, dict]:
    """SQL and its parameters: one row per section x line of the term (or of these sections), in course order."""
    params: dict[str, int | list[int]] = {"term_id": term_id}
    if section_ids is not None:
        params["section_ids"] = list(section_ids)
    return _records_statement(section_ids is not None), params


@lru_cache(maxsize=2)
def _records_statement(by_sections: bool) -> Select:
    """Built once per shape (the construction costs more than running it for one section); bound at execute."""
    term_id = bindparam("term_id", type_=Integer)
    section_ids = bindparam("section_ids", expanding=True, type_=Integer)
    # The order holding each section: placed, or in review (awaiting approval or returned: "to be determined",
    # docs/spec.md §8, whatever a "no materials needed" answer says). Only a placed order's lines are shown.
    placed = (
        select(OrderSection.section_id, OrderSection.order_id, Order.status.label("order_status"))
        .join(Order, Order.id == OrderSection.order_id)
        .where(OrderSection.claimed.is_(True), OrderSection.removed_at.is_(None), Order.status.in_(HOLDING))
        .subquery("placed")
    )
    if not by_sections:
        order_ids = select(Order.id).where(Order.term_id == term_id, Order.status == OrderStatus.PLACED)
    else:
        order_ids = (
            select(OrderSection.order_id)
            .join(Order, Order.id == OrderSection.order_id)
            .where(
                OrderSection.section_id.in_(section_ids),
                OrderSection.claimed.is_(True),
                Order.status == OrderStatus.PLACED,
            )
        )
    line = order_lines(order_ids, pending=True)  # each catalog item once; pending requests "to be determined"
    item = aliased(CatalogItem, name="item")
    query = (
        select(
            Section.id.label("section_id"),
            Section.sis_id.label("section_sis_id"),
            Section.label.label("section_label"),
            Course.subject,
            Course.number.label("course_number"),
            Course.title.label("course_title"),
            placed.c.order_id,
            placed.c.order_status,
            NoMaterialsAnswer.id.label("answer_id"),
            line.c.requirement,
            line.c.pending,
            line.c.item_id,
            line.c.type_rank,
            line.c.instructor_authored,
            item.title,
            item.authors,
            item.isbn13,
            item.publisher,
            item.edition,
            item.copyright_year,
            item.delivery,
            item.list_price,
            item.zero_cost,
            item.courseware_for_graded_work,
            item.data_terms_url,
            func.coalesce(line.c.price, item.student_price).label("student_price"),
        )
        .select_from(Section)
        .join(Course, Course.id == Section.course_id)
        .outerjoin(placed, placed.c.section_id == Section.id)
        .outerjoin(line, and_(line.c.order_id == placed.c.order_id, placed.c.order_status == OrderStatus.PLACED))
        .outerjoin(item, item.id == line.c.item_id)
        .outerjoin(NoMaterialsAnswer, NoMaterialsAnswer.section_id == Section.id)
        .where(Section.term_id == term_id, Section.state == SectionState.ACTIVE)
        .order_by(Course.subject, Course.number, Section.label, Section.id, line.c.type_rank, line.c.position)
    )
    if by_sections:
        query = query.where(Section.id.in_(section_ids))
    return query


def record_status(row) -> str:
    """What one row tells: a listed item, no materials required, or to be determined."""
    if row.requirement is not None:
        return MATERIAL if row.item_id is not None and not row.pending else TO_BE_DETERMINED
    if row.order_id is not None:  # a placed order (or one in review) wins over a "no materials" answer
        return TO_BE_DETERMINED
    return NONE_REQUIRED if row.answer_id is not None else TO_BE_DETERMINED


def look_again(term: Term, now: datetime) -> str:
    """What "To be determined" means for a section of this term, and when to look again."""
    deadline = _period(term).deadline
    if now < deadline:
        return f"Instructors order them by {local_date(deadline)}: look again after that date."
    starts = f"{term.starts_on:%b} {term.starts_on.day}, {term.starts_on.year}"
    return (
        f"The ordering deadline ({local_date(deadline)}) has passed: look again before classes start on {starts}, "
        "or ask the department."
    )


def look_again_tag(term: Term, now: datetime) -> str:
    """The part of an answer's ETag that moves with look_again's words (a period change, the deadline passing)."""
    deadline = _period(term).deadline
    return hashlib.sha256(repr((deadline.isoformat(), now < deadline, term.starts_on)).encode()).hexdigest()[:8]


def disclosed(row) -> tuple[int | None, bool]:
    """A section's row as its estimate reads it: the placed order whose lines it shows (None when unordered or in
    review), and whether "no materials needed" holds (never while an order for the section is in review)."""
    if row.order_id is None:
        return None, row.answer_id is not None
    return (row.order_id if row.order_status == OrderStatus.PLACED else None), False


def record(row, term_code: str) -> dict:
    """One row as the public record: the same keys in the JSON, the CSV and the page."""
    status = record_status(row)
    listed = status == MATERIAL
    zero_cost = bool(row.zero_cost) if listed else None
    return {
        "term_code": term_code,
        "section_sis_id": row.section_sis_id,
        "subject": row.subject,
        "course_number": row.course_number,
        "course_title": row.course_title,
        "section_label": row.section_label,
        "status": status,
        "requirement": row.requirement.value if row.requirement is not None else None,
        "title": row.title if listed else None,
        "authors": row.authors if listed else None,
        "isbn13": row.isbn13 if listed else None,
        "publisher": row.publisher if listed else None,
        "edition": (row.edition or None) if listed else None,
        "copyright_year": row.copyright_year if listed else None,
        "format": row.delivery.value if listed else None,
        # Zero cost (OER): never billed, so the student price is 0 whatever the line was ordered at.
        "student_price": ("0.00" if zero_cost else plain_price(row.student_price) or None) if listed else None,
        "list_price": plain_price(row.list_price) or None if listed else None,
        "zero_cost": zero_cost,
        # Schema version 2 (docs/course-materials.v2.schema.json): the item's data terms, other required costs,
        # the estimate.
        "courseware_for_graded_work": bool(row.courseware_for_graded_work) if listed else None,
        "data_terms_url": row.data_terms_url if listed else None,
        "other_cost_description": None,
        "other_cost_amount": None,
        **dict.fromkeys(ESTIMATE_FIELDS),
        # docs/spec.md §8: the royalty question marked the line (schema v2).
        "instructor_authored": bool(row.instructor_authored) if listed else None,
    }


def _cost_line(item: dict) -> CostLine | None:
    """A record as the estimate reads it: a listed item with its price, a line still to be determined, or none."""
    if item["requirement"] is None:
        return None
    price = Decimal(item["student_price"]) if item["status"] == MATERIAL else None
    return CostLine(Requirement(item["requirement"]), price, bool(item["zero_cost"]))


def finish_section(
    records: list[dict],
    *,
    order_id: int | None,
    answered: bool,
    facts: OrderCostFacts | None,
    threshold: Decimal | None,
) -> list[dict]:
    """A section's records with its estimate on each and one record per other required cost after its lines."""
    costs = facts.costs if facts is not None and order_id is not None else []
    disclosure = (
        Disclosure.ORDERED if order_id is not None else Disclosure.NO_MATERIALS if answered else Disclosure.NOT_YET
    )
    lines = [line for line in (_cost_line(item) for item in records) if line is not None]
    found = estimate(disclosure, lines, [amount for _, amount in costs], threshold)
    first = records[0]
    for description, amount in costs:
        records.append(
            dict(
                dict.fromkeys(first),
                **{k: first[k] for k in SECTION_FIELDS},
                status=OTHER_COST,
                requirement=Requirement.REQUIRED.value,
                other_cost_description=description,
                other_cost_amount=plain_price(amount),
            )
        )
    shared = {
        "estimated_required_cost": plain_price(found.required) or None,
        "estimated_recommended_cost": plain_price(found.recommended) or None,
        "cost_label": found.label.value if found.label is not None else None,
    }
    for item in records:
        item.update(shared)
    return records


def section_records(term: Term, section_ids: list[int], threshold: Decimal | None) -> dict[tuple, list[dict]]:
    """The records of these sections, grouped by section in course order (keyed by subject, number, label, SIS id),
    each section's finished with its other required costs and estimate (one more query for the costs)."""
    grouped: dict = {}
    orders: dict = {}
    for row in db.session.execute(*records_query(term.id, section_ids)):
        key = (row.subject, row.course_number, row.section_label, row.section_sis_id)
        grouped.setdefault(key, []).append(record(row, term.code))
        orders[key] = disclosed(row)
    order_ids = [order_id for order_id, _ in orders.values() if order_id is not None]
    facts = cost_facts(select(Order.id).where(Order.id.in_(order_ids)), pending_lines=False) if order_ids else {}
    for key, records in grouped.items():
        order_id, answered = orders[key]
        finish_section(records, order_id=order_id, answered=answered, facts=facts.get(order_id), threshold=threshold)
    return grouped


_versions: dict[int, tuple[float, str]] = {}  # term id -> (valid until, fingerprint), per worker process


def cached_term_version(term: Term, seconds: float) -> str:
    """term_version, remembered for `seconds` in this process.

    The answers are public for max-age=300 anyway, so a version a second or two old changes nothing a
    client can tell; it spares the registration-week flood one aggregate per request (the 304 path).
    """
    if seconds <= 0:
        return term_version(term)
    now = time.monotonic()
    hit = _versions.get(term.id)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = term_version(term)
    _versions[term.id] = (now + seconds, value)
    return value


def term_version(term: Term) -> str:
    """A short fingerprint of everything the term's public answers show; it changes with any of it.

    Orders: placing, editing and canceling bump version and last_changed_at (count, sum and max catch
    each). Content request status: their versions. Answers: count and newest id. Catalog items and SIS
    data carry no timestamp, but every change of either writes an admin audit entry (catalog.*, sis.*),
    so the newest such entry's id moves with them; so does a change of the low-cost threshold or its criteria
    (institution.cost_disclosure). Other required costs change only with their order's version. One round
    trip, aggregates over indexed columns.
    """
    term_orders = (Order.term_id == term.id, Order.status.in_((*HOLDING, OrderStatus.CANCELED)))
    orders = select(
        func.count(Order.id), func.coalesce(func.sum(Order.version), 0), func.max(Order.last_changed_at)
    ).where(*term_orders)
    requests = (
        select(func.count(ContentRequest.id), func.coalesce(func.sum(ContentRequest.version), 0))
        .join(Order, Order.id == ContentRequest.order_id)
        .where(*term_orders)
    )
    answers = (
        select(func.count(NoMaterialsAnswer.id), func.max(NoMaterialsAnswer.id))
        .join(Section, Section.id == NoMaterialsAnswer.section_id)
        .where(Section.term_id == term.id)
    )
    audit = select(func.max(AdminAuditEntry.id)).where(
        or_(
            AdminAuditEntry.kind.like("catalog.%"),
            AdminAuditEntry.kind.like("sis.%"),
            AdminAuditEntry.kind == AUDIT_SETTINGS,
        )
    )
    o, r, a = orders.subquery(), requests.subquery(), answers.subquery()
    # Each subquery is one row: joined on true, the four aggregates come back in one row.
    query = select(*o.c, *r.c, *a.c, audit.scalar_subquery()).select_from(o).join(r, true()).join(a, true())
    row = db.session.execute(query).one()
    return hashlib.sha256(repr((FORMAT_VERSION, term.id, tuple(row))).encode()).hexdigest()[:24]
