"""Edit a placed order: changes to the pending edit, applied at once on "Submit changes".

The pending edit is orders.domain.ordering.pending_edits. A PendingEdit holds the order as the user
wants it (its items and sections) and the order as it was when they began (its version and its "base"
state). Nothing touches the order until submit, which checks that version: if someone changed the order
meanwhile, nothing is applied; the user's changes (what they added and removed against the base) are
carried onto the order as it is now, those that no longer apply are dropped and named, and the user
reviews the result and submits again.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, select
from sqlalchemy.exc import IntegrityError

from orders.domain import outbox as mail
from orders.domain.audit import record_event
from orders.domain.costs import other_costs
from orders.domain.costs.fields import CostFields
from orders.domain.lines import counted_requests
from orders.domain.lookups import claimed_sections
from orders.domain.models import (
    CatalogItem,
    EventKind,
    Order,
    OrderEvent,
    OrderLine,
    OrderSection,
    OrderStatus,
    PendingEdit,
    Requirement,
    Section,
    SectionState,
    User,
)
from orders.domain.ordering.content_requests import TitleRequest, cancel_request, new_request, next_position
from orders.domain.ordering.pending_edits import (
    EditDiff,
    EditState,
    diff,
    find_pending,
    is_stale,
    pending_state,
    rebase,
    save_pending,
    wanted_state,
)
from orders.domain.refusals import PermissionDenied, Refused, StaleOrder
from orders.domain.review.royalty import NO_ROYALTY, RoyaltyAnswer
from orders.domain.review.submitting import mark_authored, route_change, royalty_details, submit_change
from orders.domain.rules import can_place, edit_decision
from orders.domain.transitions import transition
from orders.extensions import db

ROYALTY_UNANSWERED = "Answer the question about the added materials' authors and royalties: Yes or No."
CHANGED_WHILE_EDITING = (
    "This order changed while you were editing. Nothing of yours was applied: here it is as it is now."
)
NOTHING_CHANGED = "You had not changed anything, so the order stays as it was."
CHANGES_KEPT = (
    "This order changed while you were editing, so nothing was applied yet. Your changes are kept: "
    "review them against the order as it is now, then submit again."
)


class EditResult(enum.Enum):
    """What became of a submit; none of these is an error, so each is an outcome, not a refusal."""

    APPLIED = "applied"  # the order changed: one event, one set of emails
    UNCHANGED = "unchanged"  # nothing pending differed from the order
    ALREADY_APPLIED = "already applied"  # a repeat (double click, second tab): the first one applied them
    CHANGES_KEPT = "changes kept"  # stale: the changes now stand on the order as it is, for review (saved)
    CHANGES_DROPPED = "changes dropped"  # stale, and none of them still applies (the pending edit is deleted)
    SUBMITTED = "submitted for approval"
    ALREADY_SUBMITTED = "already submitted"  # a repeat of a submit that sent them to review


def _already_applied(order: Order) -> EditOutcome:
    return EditOutcome(
        order,
        EditResult.ALREADY_APPLIED,
        message=(
            f"Your changes to order #{order.number} were already applied (from another tab or an earlier click). "
            "Nothing more changed."
        ),
    )


def _require_edit(order: Order, actor: User, now: datetime) -> None:
    decision = edit_decision(actor, order, now)
    if not decision:
        raise PermissionDenied(decision.reason)


def _refuse_a_second_line(order: Order, item: CatalogItem) -> None:
    """An item an approved request already brought to the order is on it: a line for it would bill students
    twice (orders/domain/lines.py counts each item once; this keeps the order's own rows saying so too)."""
    brought = next((r for r in counted_requests(order) if r.fulfilled_by_id == item.id), None)
    if brought is not None:
        raise Refused(f"{item.title} is already on this order: the approved request for “{brought.title}” brought it.")


def awaiting_approval_notice(order: Order) -> str:
    """Why a user's submitted changes can't be changed any more (docs/spec.md §8)."""
    return (
        f"Your changes to order #{order.number} await approval, so they can no longer be changed. "
        "Discard them to withdraw them, or wait for the decision."
    )


def _changeable_pending(order: Order, actor: User) -> PendingEdit | None:
    """The user's pending edit, refused once submitted for approval: an approver decides what was submitted."""
    pending = find_pending(order, actor)
    if pending is not None and pending.submitted_at is not None:
        raise Refused(awaiting_approval_notice(order))
    return pending


def add_item(order: Order, actor: User, item_id: int, now: datetime) -> CatalogItem:
    """Put an active catalog item on the pending edit (a no-op when it is already there)."""
    _require_edit(order, actor, now)
    item = db.session.get(CatalogItem, item_id)
    if item is None:
        raise Refused("That item is not in the catalog. Search again and choose it from the results.")
    pending = _changeable_pending(order, actor)
    state = pending_state(order, pending)
    if item.id not in state.items:
        if not item.active:
            raise Refused(f"{item.title} is no longer available to order. Search for a current edition.")
        _refuse_a_second_line(order, item)
        state.items.append(item.id)
        save_pending(order, actor, pending, state, now)
    return item


def set_requirement(
    order: Order, actor: User, item_id: int, requirement: Requirement, now: datetime
) -> CatalogItem | None:
    """Mark an item of the pending edit required or recommended; returns it, or None when it is not on the edit."""
    _require_edit(order, actor, now)
    pending = _changeable_pending(order, actor)
    state = pending_state(order, pending)
    if item_id not in state.items:
        return None
    current = next((line.requirement for line in order.current_lines if line.catalog_item_id == item_id), None)
    if state.requirement_of(item_id, current) is not requirement:
        state.requirements[str(item_id)] = requirement.value
        save_pending(order, actor, pending, state, now)
    return db.session.get(CatalogItem, item_id)


def remove_item(order: Order, actor: User, item_id: int, now: datetime) -> CatalogItem | None:
    """Take an item off the pending edit; returns it, or None when it was not there."""
    _require_edit(order, actor, now)
    pending = _changeable_pending(order, actor)
    state = pending_state(order, pending)
    if item_id not in state.items:
        return None
    state.items.remove(item_id)
    save_pending(order, actor, pending, state, now)
    return db.session.get(CatalogItem, item_id)


def addable_sections(
    order: Order, actor: User, now: datetime, *, keep: AbstractSet[int] = frozenset()
) -> list[Section]:
    """The order's own sections, and active sections of its course and term the user may put on it now
    (not on another order).

    A section the SIS removed stays listed while it is on the order: the edit page must not drop it
    just because it is no longer offered.
    """
    on_order = {s.id for s in order.sections}
    candidates = list(
        db.session.scalars(
            select(Section)
            .where(
                Section.course_id == order.course_id,
                Section.term_id == order.term_id,
                or_(Section.state == SectionState.ACTIVE, Section.id.in_(on_order)),
            )
            .order_by(Section.label)
        )
    )
    taken = claimed_sections([s.id for s in candidates], excluding_order_id=order.id)
    return [
        s for s in candidates if s.id not in taken and (s.id in on_order or s.id in keep or can_place(actor, s, now))
    ]


def set_sections(order: Order, actor: User, section_ids: list[int], now: datetime) -> None:
    """Put exactly these sections on the pending edit; at least one must stay."""
    _require_edit(order, actor, now)
    if not section_ids:
        raise Refused("Keep at least one section on the order. To withdraw the whole order, use Cancel Order.")
    allowed = {s.id for s in addable_sections(order, actor, now)} | {s.id for s in order.sections}
    if any(section_id not in allowed for section_id in section_ids):
        raise Refused("That section can't be put on this order. Choose from the list.")
    pending = _changeable_pending(order, actor)
    state = pending_state(order, pending)
    state.sections = sorted(set(section_ids))
    save_pending(order, actor, pending, state, now)


def discard(order: Order, actor: User) -> bool:
    """Drop the user's pending changes (submitted for approval or not: discarding withdraws them); False when
    there were none."""
    pending = find_pending(order, actor)
    if pending is None:
        return False
    # A guarded DELETE: an approver deciding the same submitted change at this moment wins or loses whole.
    gone = db.session.execute(
        delete(PendingEdit).where(PendingEdit.id == pending.id).execution_options(synchronize_session=False)
    )
    db.session.expunge(pending)
    return cast("CursorResult[Any]", gone).rowcount == 1


@dataclass(frozen=True)
class EditOutcome:
    """What a submit did, the event when it changed the order, and the words that say so."""

    order: Order
    result: EditResult
    event: OrderEvent | None = None
    message: str = ""


def royalty_offered(change: EditDiff) -> list[CatalogItem]:
    """The lines the royalty question asks about on "Submit changes": the items the change adds (docs/spec.md §8)."""
    return change.added_items


def _already_submitted(order: Order) -> EditOutcome:
    return EditOutcome(
        order,
        EditResult.ALREADY_SUBMITTED,
        message=(f"Your changes to order #{order.number} already await approval. Nothing more was submitted."),
    )


def submit(
    order: Order,
    *,
    actor: User,
    now: datetime,
    request_id: str | None,
    expected_version: int,
    royalty: RoyaltyAnswer | None = None,
) -> EditOutcome:
    """Apply the user's pending changes at once, if the order is still the version they started from; in an
    organization that reviews changes (or with a royalty Yes on an added item) send them to review instead.
    `royalty` answers the royalty question, required when the change adds an item."""
    _require_edit(order, actor, now)
    pending = find_pending(order, actor)
    if pending is not None and pending.submitted_at is not None:
        return _already_submitted(order)  # a double submit: the first one sent them to review
    if pending is None:
        # Read the version as it is now, not as loaded: a concurrent submit of these same changes may have
        # applied them (and dropped them) between loading the order and looking for them.
        version = db.session.scalar(select(Order.version).where(Order.id == order.id))
        if expected_version != version and _last_edit_by(order, actor):
            return _already_applied(order)  # a double submit: the first one applied and dropped the changes
        return EditOutcome(order, EditResult.UNCHANGED, message=NOTHING_CHANGED)
    if pending.base_version != order.version or expected_version != order.version:
        # Their changes were made against an order that no longer exists: carry them onto the order as
        # it is now, for the user to review and submit again (or drop them when none still applies).
        state, dropped = rebase(order, pending) if is_stale(order, pending) else (wanted_state(pending), [])
        if not diff(order, state):
            db.session.delete(pending)
            db.session.flush()
            left_out = " Left out: " + "; ".join(dropped) + "." if dropped else ""
            return EditOutcome(order, EditResult.CHANGES_DROPPED, message=CHANGED_WHILE_EDITING + left_out)
        save_pending(order, actor, pending, state, now)
        left_out = " No longer applies, so left out: " + "; ".join(dropped) + "." if dropped else ""
        return EditOutcome(order, EditResult.CHANGES_KEPT, message=CHANGES_KEPT + left_out)
    change = diff(order, pending_state(order, pending))
    if not change:
        db.session.delete(pending)
        db.session.flush()
        return EditOutcome(order, EditResult.UNCHANGED, message=NOTHING_CHANGED)
    _check(order, actor, now, change)
    if change.added_items and royalty is None:
        raise Refused(ROYALTY_UNANSWERED)
    answer = (royalty or NO_ROYALTY).check(item.id for item in royalty_offered(change))
    route = route_change(order, actor, change, answer, now)
    if route.waits:
        event = submit_change(order, pending, change, route, answer, actor=actor, now=now, request_id=request_id)
        if event is None:
            return _already_submitted(order)
        return EditOutcome(
            order,
            EditResult.SUBMITTED,
            event,
            (
                f"Your changes to order #{order.number} were submitted for approval. The order stays as it is until an "
                "approver approves them."
            ),
        )
    # The guarded UPDATE comes before any other write: of twenty identical submits it lets one through,
    # and the rest wait for it, match nothing and find their pending changes already applied.
    if not transition(order, expected=OrderStatus.PLACED, now=now):
        if find_pending(order, actor) is None:
            return _already_applied(order)
        raise StaleOrder(CHANGED_WHILE_EDITING)
    db.session.delete(pending)
    apply_change(order, change, actor, now)
    mark_authored(order, answer, only={item.id for item in change.added_items})
    details = change.details()
    if answer.authored:
        details["royalty"] = royalty_details(answer)
    if route.self_approved:
        details["approved_by_placer"] = True
    event = record_event(order, EventKind.EDITED, actor=actor, now=now, request_id=request_id, details=details)
    dropped_instructors = tuple(person for section in change.removed_sections for person in section.instructors)
    mail.enqueue_changed_emails(order, event, now=now, also=dropped_instructors)
    return EditOutcome(order, EditResult.APPLIED, event, f"Order #{order.number} was updated.")


def apply_change(order: Order, change: EditDiff, actor: User, now: datetime) -> None:
    """Write a change onto the order (whose version the caller has just moved): lines, requests, costs, sections.
    `actor` is who requested any new title (the change's author, when an approver applies it)."""
    _apply_items(order, change, now)
    _apply_requests(order, change, actor, now)
    other_costs.apply(order, change.costs)
    _apply_sections(order, change, now)


def check_change(order: Order, change: EditDiff) -> None:
    """What must still hold when an approver applies a change: at least one material and section, items still
    orderable, added sections still of this course and term (the author's period rule held when submitted)."""
    _check_shape(order, change)


def _last_edit_by(order: Order, actor: User) -> bool:
    """The order's latest change is an edit by this user."""
    last = db.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id.desc()).limit(1)
    ).first()
    return last is not None and last.kind is EventKind.EDITED and last.actor_id == actor.id


def _check(order: Order, actor: User, now: datetime, change: EditDiff) -> None:
    """Refuse a change that breaks a rule, naming what to do instead."""
    _check_shape(order, change)
    for section in change.added_sections:
        if not can_place(actor, section, now):
            raise Refused(f"You may not order for section {section.label} now.")


def _check_shape(order: Order, change: EditDiff) -> None:
    """The order the change leaves: some material, some section, orderable items, sections of its course and term."""
    remaining_items = len(order.current_lines) - len(change.removed_items) + len(change.added_items)
    remaining_requests = len(order.current_requests) - len(change.removed_requests) + len(change.added_requests)
    if remaining_items + remaining_requests == 0:
        raise Refused(
            "An order needs at least one course material. To withdraw the whole order, use Cancel Order instead."
        )
    if len(order.sections) - len(change.removed_sections) + len(change.added_sections) == 0:
        raise Refused("Keep at least one section on the order. To withdraw the whole order, use Cancel Order.")
    for item in change.added_items:
        if not item.active:
            raise Refused(f"{item.title} is no longer available to order. Remove it, then submit again.")
        _refuse_a_second_line(order, item)
    for section in change.added_sections:
        if section.course_id != order.course_id or section.term_id != order.term_id or section.is_removed:
            raise Refused(f"Section {section.label} can't be put on this order.")


def _apply_items(order: Order, change: EditDiff, now: datetime) -> None:
    """Removed lines are kept, marked removed; an item added back revives its row at today's price."""
    removed_ids = {item.id for item in change.removed_items}
    rows = {line.catalog_item_id: line for line in order.lines}
    for line in order.current_lines:
        if line.catalog_item_id in removed_ids:
            line.removed_at = now
    for item, _, requirement in change.changed_requirements:
        rows[item.id].requirement = requirement
    position = max((line.position for line in order.lines), default=-1)
    for item in change.added_items:
        position += 1
        row = rows.get(item.id)
        requirement = change.requirements.get(item.id, Requirement.REQUIRED)
        if row is None:
            order.lines.append(
                OrderLine(
                    catalog_item_id=item.id,
                    item=item,
                    position=position,
                    student_price=item.student_price,
                    requirement=requirement,
                )
            )
        else:
            row.removed_at, row.position, row.student_price, row.requirement = (
                None,
                position,
                item.student_price,
                requirement,
            )


def _apply_requests(order: Order, change: EditDiff, actor: User, now: datetime) -> None:
    """Removed requests are kept, marked removed and Canceled; new ones join as Submitted."""
    for request in change.removed_requests:
        request.removed_at = now  # kept, so the feed reports it deleted
        cancel_request(request, now)
    position = next_position(order)
    for wanted in change.added_requests:
        order.content_requests.append(new_request(order, wanted, actor=actor, now=now, position=position))
        position += 1


def add_request(order: Order, actor: User, wanted: TitleRequest, now: datetime) -> None:
    """Put a new content request on the pending edit."""
    _require_edit(order, actor, now)
    pending = _changeable_pending(order, actor)
    state = pending_state(order, pending)
    kept = [r.isbn13 for r in order.current_requests if r.id in state.requests]
    if wanted.isbn13 in kept or any(d["isbn13"] == wanted.isbn13 for d in state.new_requests):
        raise Refused(f"A request for ISBN {wanted.isbn13} is already on this order.")
    state.new_requests.append(dict(wanted.as_json(), key=uuid.uuid4().hex[:12]))
    save_pending(order, actor, pending, state, now)


def remove_request(order: Order, actor: User, key: str, now: datetime) -> str | None:
    """Take a content request off the pending edit (`r<id>` for one on the order, else a new one's key)."""
    _require_edit(order, actor, now)
    pending = _changeable_pending(order, actor)
    state = pending_state(order, pending)
    title = None
    request_id = next((rid for rid in state.requests if key == f"r{rid}"), None)  # one already on the order
    if request_id is not None:
        state.requests.remove(request_id)
        title = next((r.title for r in order.current_requests if r.id == request_id), None)
    else:
        found = next((d for d in state.new_requests if d.get("key") == key), None)
        if found is not None:
            state.new_requests.remove(found)
            title = found["title"]
    if title is not None:
        save_pending(order, actor, pending, state, now)
    return title


def add_cost(order: Order, actor: User, cost: CostFields, now: datetime) -> bool:
    """Put an other required cost on the pending edit; False when exactly it is already there (a double click)."""
    _require_edit(order, actor, now)
    pending = find_pending(order, actor)
    state = pending_state(order, pending)
    added = other_costs.add_to_pending(order, state.costs, state.new_costs, cost)
    if added:
        save_pending(order, actor, pending, state, now)
    return added


def remove_cost(order: Order, actor: User, key: str, now: datetime) -> str | None:
    """Take an other required cost off the pending edit (`c<id>` for one on the order, else a new one's key);
    its description, or None when it was not there."""
    _require_edit(order, actor, now)
    pending = find_pending(order, actor)
    state = pending_state(order, pending)
    description = other_costs.remove_from_pending(order, state.costs, state.new_costs, key)
    if description is not None:
        save_pending(order, actor, pending, state, now)
    return description


def _apply_sections(order: Order, change: EditDiff, now: datetime) -> None:
    """Removed sections are released and kept, marked removed; added ones are claimed (the database decides races)."""
    removed_ids = {s.id for s in change.removed_sections}
    links = {link.section_id: link for link in order.order_sections}
    for link in order.order_sections:
        if link.section_id in removed_ids and link.removed_at is None:
            link.removed_at, link.claimed = now, False
    db.session.flush()  # release before claiming, so a section moved between orders never collides with itself
    try:
        with db.session.begin_nested():
            for section in change.added_sections:
                known = links.get(section.id)
                if known is None:
                    order.order_sections.append(
                        OrderSection(section_id=section.id, section=section, claimed=True, added_at=now)
                    )
                else:
                    known.removed_at, known.claimed, known.added_at = None, True, now
            db.session.flush()
    except IntegrityError:
        labels = ", ".join(s.label for s in change.added_sections)
        raise Refused(
            f"Section {labels} was put on another order a moment ago. Nothing was changed; "
            "review the order and try again."
        ) from None


def add_sections(
    order: Order, section_ids: list[int], *, actor: User, now: datetime, request_id: str | None, expected_version: int
) -> EditOutcome:
    """Put more sections on a placed order (the same lines now cover them): one event, one set of emails."""
    if order.status is not OrderStatus.PLACED:
        raise Refused("Only placed orders can get more sections.")
    on_order = {s.id for s in order.sections}
    if expected_version != order.version:
        if section_ids and set(section_ids) <= on_order:
            return _already_applied(order)  # a double submit: the first one added them
        raise StaleOrder(CHANGED_WHILE_EDITING)
    if not section_ids:
        raise Refused("Choose at least one section to add.")
    addable = {s.id: s for s in addable_sections(order, actor, now)}
    chosen = []
    for section_id in dict.fromkeys(section_ids):
        section = addable.get(section_id)
        if section is None or section_id in on_order:
            raise Refused("That section can't be added to this order. Choose from the list.")
        chosen.append(section)
    change = EditDiff([], [], chosen, [])
    route = route_change(order, actor, change, NO_ROYALTY, now)
    if route.waits:  # adding sections is an edit: in an organization under review it waits (docs/spec.md §8)
        return _submit_added_sections(order, change, route, actor=actor, now=now, request_id=request_id)
    if not transition(order, expected=OrderStatus.PLACED, now=now):
        if {s.id for s in chosen} <= {s.id for s in order.sections}:
            return _already_applied(order)  # a double submit: the first one added them
        raise StaleOrder(CHANGED_WHILE_EDITING)
    _apply_sections(order, change, now)
    event = record_event(
        order, EventKind.SECTIONS_ADDED, actor=actor, now=now, request_id=request_id, details=change.details()
    )
    mail.enqueue_changed_emails(order, event, now=now)
    return EditOutcome(order, EditResult.APPLIED, event, f"Order #{order.number} was updated.")


def _submit_added_sections(
    order: Order, change: EditDiff, route, *, actor: User, now: datetime, request_id: str | None
) -> EditOutcome:
    """Sections to add, sent to review as the user's pending change (the one pending-edits machinery holds both)."""
    pending = find_pending(order, actor)
    if pending is not None and pending.submitted_at is not None:
        return _already_submitted(order)  # a double submit: the first one sent them to review
    if pending is not None:
        raise Refused(
            "You have changes to this order that are not submitted yet. Submit or discard them (Edit order), "
            "then add the sections."
        )
    state = EditState.of(order)
    state.sections = sorted(set(state.sections) | {s.id for s in change.added_sections})
    try:
        with db.session.begin_nested():  # the same sections added twice at once: uq_pending_edit_order_user keeps one
            pending = save_pending(order, actor, None, state, now)
    except IntegrityError:
        return _already_submitted(order)
    event = submit_change(order, pending, change, route, NO_ROYALTY, actor=actor, now=now, request_id=request_id)
    if event is None:
        return _already_submitted(order)
    return EditOutcome(
        order,
        EditResult.SUBMITTED,
        event,
        (
            f"Adding section{'s' if len(change.added_sections) > 1 else ''} "
            f"{', '.join(s.label for s in change.added_sections)} to order #{order.number} awaits approval. "
            "The order stays as it is until an approver approves it."
        ),
    )
