"""Content requests: a title the catalog lacks, on an order, researched by staff until approved or denied.

Like every service these take the acting user and `now`, flush and never commit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from orders.domain import outbox as mail
from orders.domain.audit import record, record_event
from orders.domain.catalog.fields import item_values
from orders.domain.formats.text import clean_text
from orders.domain.lines import counted_requests
from orders.domain.models import (
    CatalogItem,
    ContentRequest,
    ContentRequestComment,
    Delivery,
    EventKind,
    Order,
    OrderStatus,
    Requirement,
    User,
)
from orders.domain.models import ContentRequestStatus as Status
from orders.domain.reach import can_view_order
from orders.domain.refusals import PermissionDenied, Refused, StaleOrder
from orders.domain.rules import ALLOWED, Decision
from orders.domain.transitions import revise_draft, transition
from orders.extensions import db

# Who may move a request where: staff research, then approve or deny; a denial can be reopened.
# Canceled is reached only by removing the request from its order or canceling the order.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.SUBMITTED: frozenset({Status.RESEARCHING, Status.APPROVED, Status.DENIED}),
    Status.RESEARCHING: frozenset({Status.APPROVED, Status.DENIED}),
    Status.DENIED: frozenset({Status.RESEARCHING}),
    Status.APPROVED: frozenset(),
    Status.CANCELED: frozenset(),
}
STAFF_STATUSES = [Status.RESEARCHING, Status.APPROVED, Status.DENIED]
MAX_COMMENT = 2000


@dataclass(frozen=True)
class TitleRequest:
    """A validated request as the user filled it in (ISBN normalised to ISBN-13)."""

    title: str
    isbn13: str
    author: str | None = None
    edition: str | None = None
    note: str | None = None
    requirement: str = Requirement.REQUIRED.value

    def as_json(self) -> dict:
        return {
            "title": self.title,
            "isbn13": self.isbn13,
            "author": self.author,
            "edition": self.edition,
            "note": self.note,
            "requirement": self.requirement,
        }

    @classmethod
    def from_json(cls, data: dict) -> TitleRequest:
        return cls(
            data["title"],
            data["isbn13"],
            data.get("author"),
            data.get("edition"),
            data.get("note"),
            data.get("requirement", Requirement.REQUIRED.value),
        )


def active_item_with_isbn(isbn13: str) -> CatalogItem | None:
    """The orderable catalog item with this ISBN: offered instead of a request for it."""
    return db.session.scalars(select(CatalogItem).where(CatalogItem.isbn13 == isbn13, CatalogItem.active)).first()


def new_request(order: Order, wanted: TitleRequest, *, actor: User, now: datetime, position: int) -> ContentRequest:
    """A content request line for `order` (not yet added to the session)."""
    return ContentRequest(
        order_id=order.id,
        position=position,
        title=wanted.title,
        isbn13=wanted.isbn13,
        author=wanted.author,
        edition=wanted.edition,
        note=wanted.note,
        status=Status.SUBMITTED,
        requested_by_id=actor.id,
        requirement=Requirement(wanted.requirement),
        requested_by=actor,
        created_at=now,
        updated_at=now,
        version=1,
    )


def next_position(order: Order) -> int:
    return max((r.position for r in order.content_requests), default=-1) + 1


def add_to_draft(draft: Order, wanted: TitleRequest, *, actor: User, now: datetime) -> ContentRequest:
    """Put a content request on a draft (or an order returned to its placer); staff see it once the order is placed."""
    if not draft.status.workable:
        raise Refused("This draft can no longer be changed.")
    if any(r.isbn13 == wanted.isbn13 for r in draft.current_requests):
        raise Refused(f"A request for ISBN {wanted.isbn13} is already on this order.")
    request = new_request(draft, wanted, actor=actor, now=now, position=next_position(draft))
    draft.content_requests.append(request)
    revise_draft(draft, now)
    return request


def remove_from_draft(draft: Order, request_id: int, now: datetime) -> ContentRequest | None:
    """Take a request off a draft (it was never seen by staff, so it simply goes); on an order returned to its placer
    it stays, removed and canceled, since staff could see it while the order waited (docs/spec.md §8)."""
    if not draft.status.workable:
        raise Refused("This draft can no longer be changed.")
    request = next((r for r in draft.current_requests if r.id == request_id), None)
    if request is None:
        return None
    if draft.status is OrderStatus.RETURNED:
        request.removed_at = now
        cancel_request(request, now)
    else:
        draft.content_requests.remove(request)
    revise_draft(draft, now)
    return request


def cancel_request(request: ContentRequest, now: datetime) -> None:
    """The request left its order (an edit removed it, or the order was canceled): it is Canceled."""
    if request.status is not Status.CANCELED:
        request.status, request.updated_at = Status.CANCELED, now
        request.version += 1


# --- Staff: status and comments ---------------------------------------------------------------------


def status_change_decision(user: User, request: ContentRequest) -> Decision:
    """Only Program Administrators research, approve and deny requests, on placed orders, while a move is left."""
    if not user.is_program_admin:
        return Decision(False, "Only a Program Administrator can change a content request's status.")
    if request.order.status is not OrderStatus.PLACED:
        return Decision(False, "Only requests on placed orders can change status.")
    if not TRANSITIONS[request.status]:
        return Decision(False, f"A request that is {request.status.label} can't change status any more.")
    return ALLOWED


def comment_decision(user: User, request: ContentRequest) -> Decision:
    """Anyone who may view the order may comment on its requests, once it is placed (a draft's request
    has reached nobody yet, and its email would have no order number to name)."""
    if request.order.status in (OrderStatus.PLACED, OrderStatus.CANCELED) and can_view_order(user, request.order):
        return ALLOWED
    return Decision(False, "You can comment only on requests on placed orders you may view.")


def allowed_next(request: ContentRequest) -> list[Status]:
    """The statuses staff may move this request to, in display order."""
    return [s for s in STAFF_STATUSES if s in TRANSITIONS[request.status]]


def _event(request: ContentRequest, kind: EventKind, *, actor: User, now: datetime, request_id: str | None, **details):
    details = {"request_id": request.id, "title": request.title, "isbn": request.isbn13, **details}
    return record_event(request.order, kind, actor=actor, now=now, request_id=request_id, details=details)


def change_status(
    request: ContentRequest,
    to: Status,
    *,
    actor: User,
    now: datetime,
    request_id: str | None,
    expected_version: int,
    comment: str = "",
    fulfilled_by: CatalogItem | None = None,
) -> None:
    """Move the request (with an optional comment); approving needs the catalog item that fulfils it."""
    if not actor.is_program_admin:
        raise PermissionDenied(status_change_decision(actor, request).reason)
    if expected_version != request.version:
        raise StaleOrder(
            "This request changed while you were looking at it (someone else updated it). Nothing was changed."
        )
    if request.order.status is not OrderStatus.PLACED:
        raise Refused("Only requests on placed orders can change status.")
    if to not in TRANSITIONS[request.status]:
        raise Refused(f"A request that is {request.status.label} can't become {to.label}.")
    if to is Status.APPROVED and fulfilled_by is None:
        raise Refused("Choose the catalog item that fulfils this request, or create it, to approve it.")
    if to is Status.APPROVED and fulfilled_by is not None:
        refuse_item_already_counted(request, fulfilled_by)
    # The order's version and last change move too: the feed reports the request's new status.
    if not transition(request.order, expected=OrderStatus.PLACED, now=now):
        raise StaleOrder(
            "The order changed while you were looking at it. Nothing was changed; review it and try again."
        )
    previous = request.status
    request.status, request.updated_at, request.version = to, now, request.version + 1
    if to is Status.APPROVED and fulfilled_by is not None:  # refused above when None
        request.fulfilled_by_id, request.fulfilled_by = fulfilled_by.id, fulfilled_by
    comment = clean_text(comment)
    if comment:
        db.session.add(
            ContentRequestComment(request_id=request.id, author_id=actor.id, author=actor, created_at=now, text=comment)
        )
    event = _event(
        request,
        EventKind.CONTENT_REQUEST_STATUS,
        actor=actor,
        now=now,
        request_id=request_id,
        from_status=previous.value,
        to_status=to.value,
        comment=comment,
        fulfilled_by={"id": fulfilled_by.id, "title": fulfilled_by.title} if fulfilled_by else None,
    )
    mail.enqueue_request_update_emails(request, event, now=now)


def refuse_item_already_counted(request: ContentRequest, item: CatalogItem) -> None:
    """An order counts each catalog item once (orders/domain/lines.py): approving a request with an item the
    order already has would list the title twice and bill every student twice, so it is refused.

    Checked against the order as loaded; the approval's transition is guarded on that version, so an
    edit adding the item meanwhile makes the approval a StaleOrder instead.
    """
    order = request.order
    if any(line.catalog_item_id == item.id for line in order.current_lines):
        how = "as one of its catalog items"
    else:
        other = next((r for r in counted_requests(order) if r.fulfilled_by_id == item.id and r.id != request.id), None)
        if other is None:
            return
        how = f"as the approved request “{other.title}”"
    raise Refused(
        f"“{item.title}” is already on order #{order.number} {how}. Approving this request with it would list the "
        "title twice and charge each student twice. Deny the request (a comment can say the order already has "
        "the title), or approve it with another item. Nothing was changed."
    )


def add_comment(
    request: ContentRequest, text: str, *, actor: User, now: datetime, request_id: str | None
) -> ContentRequestComment:
    """Append a comment to the thread; the requester and the placer hear about it."""
    allowed = comment_decision(actor, request)
    if not allowed:
        raise PermissionDenied(allowed.reason)
    text = clean_text(text)
    if not text:
        raise Refused("Write a comment first.")
    comment = ContentRequestComment(request_id=request.id, author_id=actor.id, author=actor, created_at=now, text=text)
    db.session.add(comment)
    request.updated_at = now
    event = _event(
        request, EventKind.CONTENT_REQUEST_COMMENT, actor=actor, now=now, request_id=request_id, comment=text
    )
    mail.enqueue_request_update_emails(request, event, now=now)
    return comment


def create_item_for(
    request: ContentRequest,
    *,
    publisher: str,
    edition: str,
    delivery: Delivery,
    price: Decimal,
    actor: User,
    now: datetime,
) -> CatalogItem:
    """A catalog item made from the request's title and ISBN (approving "create it here"); it joins the
    audit log like every catalog item a Program Administrator adds."""
    existing = db.session.scalars(select(CatalogItem).where(CatalogItem.isbn13 == request.isbn13)).first()
    if existing is not None:
        raise Refused(f"The catalog already has ISBN {request.isbn13}: {existing.title}. Choose it instead.")
    item = CatalogItem(
        title=request.title,
        authors=request.author or "",
        isbn13=request.isbn13,
        publisher=publisher,
        edition=edition,
        delivery=delivery,
        student_price=price,
        active=True,
    )
    db.session.add(item)
    db.session.flush()
    values = dict(
        item_values(item), source=f"{request.title} (ISBN {request.isbn13}), on order #{request.order.number}"
    )
    record("catalog.item_added", f"Catalog item {item.isbn13} {item.title}", None, values, actor=actor, now=now)
    return item
