"""The approvers' daily digest (docs/spec.md §4, §8), from send-reminders: one email per approver per day listing the
orders and changes that have waited for them more than 3 days. A marker per approver and (institution-local) day,
unique in the database, makes a rerun (or two runs at once) send nothing twice. It goes out whatever "Send reminder
emails" says: an order waiting for approval counts nowhere, so it must not wait unseen."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from orders.domain.institution import institution, local_date
from orders.domain.models import ApprovalDigestSent, Order, OrderSection, OrderStatus, OutboundEmail, PendingEdit, User
from orders.domain.outbox import institution_snapshot, outbox_row, public_url
from orders.domain.review.approvers import approvers_of
from orders.extensions import db

WAITED = timedelta(days=3)


@dataclass
class DigestLine:
    """One order or change in a digest."""

    number: int
    what: str  # "Order #1005" or "Changes to order #1001"
    course: str
    term: str
    submitted_by: str
    since: datetime
    royalty: bool
    link: str


@dataclass
class Digest:
    approver: User
    lines: list[DigestLine] = field(default_factory=list)


@dataclass(frozen=True)
class DigestResult:
    sent: int
    skipped: int  # approvers already sent today's digest (a rerun)


def _waiting(now: datetime) -> list[tuple[Order, list, bool, User, datetime, bool]]:
    """(order, sections, royalty, submitter, since, is_change) for everything waiting longer than WAITED."""
    cutoff = now - WAITED
    orders = db.session.scalars(
        select(Order)
        .where(Order.status == OrderStatus.AWAITING_APPROVAL, Order.last_changed_at < cutoff)
        .options(selectinload(Order.order_sections).selectinload(OrderSection.section))
        .order_by(Order.last_changed_at, Order.id)
    ).all()
    found = [
        (o, o.sections, o.royalty_review, o.placed_by, o.last_changed_at, False)
        for o in orders
        if o.placed_by is not None and o.last_changed_at is not None
    ]
    changes = db.session.execute(
        select(PendingEdit, Order)
        .join(Order, Order.id == PendingEdit.order_id)
        .where(
            Order.status == OrderStatus.PLACED, PendingEdit.submitted_at.is_not(None), PendingEdit.submitted_at < cutoff
        )
        .order_by(PendingEdit.submitted_at, PendingEdit.id)
    ).all()
    found += [
        (order, order.sections, pending.royalty_review, pending.user, pending.submitted_at, True)
        for pending, order in changes
        if pending.submitted_at is not None
    ]
    return found


def digests(now: datetime) -> list[Digest]:
    """Per approver, what has waited for them more than 3 days, oldest first."""
    by_approver: dict[int, Digest] = {}
    for order, sections, royalty, submitter, since, is_change in _waiting(now):
        line = DigestLine(
            order.number or 0,
            f"{'Changes to order' if is_change else 'Order'} #{order.number}",
            f"{order.course.code} {order.course.title}",
            order.term.name,
            submitter.name,
            since,
            royalty,
            public_url(f"/orders/{order.number}"),
        )
        for approver in approvers_of(sections, royalty=royalty, excluding=[submitter.id] if royalty else []):
            by_approver.setdefault(approver.id, Digest(approver)).lines.append(line)
    return list(by_approver.values())


def _markers(people: list[User], day, now: datetime) -> set[int]:
    """Insert today's markers; the user ids whose marker is new (a rerun or a racing run skips the rest)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    statement = (
        dialect_insert(ApprovalDigestSent)
        .values([dict(user_id=p.id, day=day, sent_at=now) for p in people])
        .on_conflict_do_nothing(index_elements=["user_id", "day"])
        .returning(ApprovalDigestSent.user_id)
    )
    return set(db.session.scalars(statement))


def send_digests(now: datetime) -> DigestResult:
    """Write today's digests to the outbox (the caller commits)."""
    found = digests(now)
    if not found:
        return DigestResult(0, 0)
    inst = institution()
    day = now.astimezone(ZoneInfo(inst.timezone)).date()
    new = _markers([d.approver for d in found], day, now)
    rows = []
    for digest in found:
        if digest.approver.id not in new:
            continue
        count = len(digest.lines)
        rows.append(
            outbox_row(
                kind="review_digest",
                template="review_digest",
                recipient=digest.approver.email,
                subject=f"{count} order{'s' if count != 1 else ''} awaiting your approval for more than 3 days",
                now=now,
                context=dict(
                    recipient=digest.approver,
                    lines=digest.lines,
                    institution=institution_snapshot(inst),
                    local_date=local_date,
                    approvals_link=public_url("/approvals"),
                ),
            )
        )
    if rows:
        db.session.execute(insert(OutboundEmail), rows)
    return DigestResult(len(rows), len(found) - len(rows))
