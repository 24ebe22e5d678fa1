"""A user's pending edit of a placed order: the order as they want it, the base they began from, and
the differences; rebased onto the order as it is now when someone changed it meanwhile.

Nothing here changes the order itself: orders.domain.ordering.editing applies a pending edit on "Submit changes".
"""
from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from orders.domain.costs import other_costs
from orders.domain.costs.other_costs import CostChange
from orders.domain.lookups import claimed_sections
from orders.domain.models import CatalogItem, ContentRequest, Order, PendingEdit, Requirement, Section, User
from orders.domain.ordering.content_requests import TitleRequest
from orders.extensions import db


@dataclass
class EditState:
    """The order as the user wants it: catalog item ids (in order), section ids, the content requests
    it keeps (ids) and new ones (each with a key, as the user filled them in), and the requirement the
    user chose per item (item id as text -> Requirement value; an item without one keeps the order's, or
    is required when new); and the other required costs it keeps (ids) and new ones (each with a key)."""

    items: list[int] = field(default_factory=list)
    sections: list[int] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    new_requests: list[dict] = field(default_factory=list)
    requirements: dict[str, str] = field(default_factory=dict)
    costs: list[int] = field(default_factory=list)
    new_costs: list[dict] = field(default_factory=list)

    @classmethod
    def of(cls, order: Order) -> EditState:
        return cls(
            [line.catalog_item_id for line in order.current_lines],
            [s.id for s in order.sections],
            [r.id for r in order.current_requests],
            costs=[c.id for c in order.other_costs],
        )

    def as_json(self) -> dict:
        return {
            "items": self.items,
            "sections": self.sections,
            "requests": self.requests,
            "new_requests": self.new_requests,
            "requirements": self.requirements,
            "costs": self.costs,
            "new_costs": self.new_costs,
        }

    def requirement_of(self, item_id: int, current: Requirement | None) -> Requirement:
        """The requirement this item would have: the user's choice, else the order's, else required."""
        chosen = self.requirements.get(str(item_id))
        if chosen is not None:
            return Requirement(chosen)
        return current or Requirement.REQUIRED


@dataclass(frozen=True)
class EditDiff:
    """What a submit would change, as loaded objects."""

    added_items: list[CatalogItem]
    removed_items: list[CatalogItem]
    added_sections: list[Section]
    removed_sections: list[Section]
    added_requests: list[TitleRequest] = field(default_factory=list)
    removed_requests: list[ContentRequest] = field(default_factory=list)
    # Kept items whose requirement changes: (item, from, to). Added items carry theirs in `requirements`.
    changed_requirements: list[tuple[CatalogItem, Requirement, Requirement]] = field(default_factory=list)
    requirements: dict[int, Requirement] = field(default_factory=dict)
    costs: CostChange = field(default_factory=CostChange)  # other required costs added and removed

    def __bool__(self) -> bool:
        return bool(
            self.added_items
            or self.removed_items
            or self.added_sections
            or self.removed_sections
            or self.added_requests
            or self.removed_requests
            or self.changed_requirements
            or self.costs.added
            or self.costs.removed
        )

    def details(self) -> dict:
        """The event's record of exactly what changed."""

        def items(found: list[CatalogItem]) -> list[dict]:
            return [{"id": i.id, "title": i.title, "isbn": i.isbn13} for i in found]

        def sections(found: list[Section]) -> list[dict]:
            return [{"id": s.id, "label": s.label} for s in found]

        # Kept items whose requirement changed, and added items marked recommended (from: None).
        requirements = [
            {"id": i.id, "title": i.title, "isbn": i.isbn13, "from": old.value, "to": new.value}
            for i, old, new in self.changed_requirements
        ] + [
            {"id": i.id, "title": i.title, "isbn": i.isbn13, "from": None, "to": Requirement.RECOMMENDED.value}
            for i in self.added_items
            if self.requirements.get(i.id) is Requirement.RECOMMENDED
        ]
        return (
            {
                "added_items": items(self.added_items),
                "removed_items": items(self.removed_items),
                "added_sections": sections(self.added_sections),
                "removed_sections": sections(self.removed_sections),
                "added_requests": [{"title": r.title, "isbn": r.isbn13} for r in self.added_requests],
                "removed_requests": [{"id": r.id, "title": r.title, "isbn": r.isbn13} for r in self.removed_requests],
            }
            | ({"changed_requirements": requirements} if requirements else {})
            | self.costs.details()
        )


def find_pending(order: Order, user: User) -> PendingEdit | None:
    """The user's unsubmitted changes to this order, if any."""
    return db.session.scalars(
        select(PendingEdit).where(PendingEdit.order_id == order.id, PendingEdit.user_id == user.id)
    ).first()


def wanted_state(pending: PendingEdit) -> EditState:
    changes = pending.changes
    # An edit saved before other required costs existed has none: its order had none at its version either.
    return EditState(
        list(changes.get("items", [])),
        list(changes.get("sections", [])),
        list(changes.get("requests", [])),
        list(changes.get("new_requests", [])),
        dict(changes.get("requirements", {})),
        costs=list(changes.get("costs", [])),
        new_costs=list(changes.get("new_costs", [])),
    )


def is_stale(order: Order, pending: PendingEdit | None) -> bool:
    """The user's changes were made against an earlier version of the order."""
    return pending is not None and pending.base_version != order.version


def pending_state(order: Order, pending: PendingEdit | None) -> EditState:
    """The order as this user is editing it (the order itself when they have not changed anything);
    changes made against an earlier version are shown carried onto the order as it is now."""
    if pending is None:
        return EditState.of(order)
    if is_stale(order, pending):
        return rebase(order, pending)[0]
    return wanted_state(pending)


def _carry_over(
    current: list[int],
    added: list[int],
    removed: list[int],
    describe: Callable[[int], str],
    taken: Collection[int] = (),
) -> tuple[list[int], list[str]]:
    """`current` with the user's additions and removals applied where they still apply, and in words
    those that do not (someone else did the same meanwhile, or the addition is `taken` elsewhere)."""
    result, dropped = list(current), []
    for key in removed:
        if key in result:
            result.remove(key)
        else:
            dropped.append(f"removing {describe(key)} (someone else already removed it)")
    for key in added:
        if key in result:
            dropped.append(f"adding {describe(key)} (someone else already added it)")
        elif key in taken:
            dropped.append(f"adding {describe(key)} (it is now on another order)")
        else:
            result.append(key)
    return result, dropped


def rebase(order: Order, pending: PendingEdit) -> tuple[EditState, list[str]]:
    """The user's changes (against the order as they began) carried onto the order as it is now, and
    in words those that no longer apply. Without a recorded base (an edit begun before bases were kept)
    nothing can be carried over."""
    now_state = EditState.of(order)
    base = pending.changes.get("base")
    if base is None:
        return now_state, ["your earlier changes (start again from the order as it is now)"]
    wanted = wanted_state(pending)
    added = [i for i in wanted.items if i not in base["items"]]
    removed = [i for i in base["items"] if i not in wanted.items]
    titles = (
        {i.id: i.title for i in db.session.scalars(select(CatalogItem).where(CatalogItem.id.in_(added + removed)))}
        if added or removed
        else {}
    )
    items, dropped = _carry_over(now_state.items, added, removed, lambda item_id: titles.get(item_id, "an item"))
    added_sections = [s for s in wanted.sections if s not in base["sections"]]
    removed_sections = [s for s in base["sections"] if s not in wanted.sections]
    labels = (
        {
            s.id: s.label
            for s in db.session.scalars(select(Section).where(Section.id.in_(added_sections + removed_sections)))
        }
        if added_sections or removed_sections
        else {}
    )
    taken = claimed_sections(added_sections, excluding_order_id=order.id) if added_sections else set()
    sections, dropped_sections = _carry_over(
        now_state.sections,
        added_sections,
        removed_sections,
        lambda section_id: f"section {labels.get(section_id, '?')}",
        taken,
    )
    dropped += dropped_sections
    if not sections:  # the user's removals and someone else's would leave none: keep what is there
        sections = list(now_state.sections)
        dropped.append("removing the last sections (an order keeps at least one)")
    requests = list(now_state.requests)
    titles_of = {r.id: r.title for r in order.content_requests}
    for request_id in [r for r in base["requests"] if r not in wanted.requests]:
        if request_id in requests:
            requests.remove(request_id)
        else:
            dropped.append(
                f"removing the request for {titles_of.get(request_id, 'a title')} (it is no longer on the order)"
            )
    on_order = {r.isbn13 for r in order.current_requests}
    new_requests = []
    for wanted_request in wanted.new_requests:
        if wanted_request["isbn13"] in on_order:
            dropped.append(f"requesting {wanted_request['title']} (someone else already requested it)")
        else:
            new_requests.append(wanted_request)
    # A Required/Recommended choice carries over for the items still on the edit (a same choice made
    # meanwhile by someone else is then simply no change).
    requirements = {key: value for key, value in wanted.requirements.items() if int(key) in items}
    costs, new_costs, dropped_costs = other_costs.carry_over(
        order, base.get("costs", []), wanted.costs, wanted.new_costs
    )
    dropped += dropped_costs
    return EditState(
        items, sorted(sections), requests, new_requests, requirements, costs=costs, new_costs=new_costs
    ), dropped


@dataclass(frozen=True)
class PendingLine:
    """A catalog item as it would be on the order: kept items keep their price, new ones cost today's."""

    item: CatalogItem
    student_price: Decimal
    requirement: Requirement = Requirement.REQUIRED

    @property
    def catalog_item_id(self) -> int:
        return self.item.id


def pending_lines(order: Order, state: EditState) -> list[PendingLine]:
    """The items of the pending state, in order, each with the price it would have."""
    kept = {line.catalog_item_id: line for line in order.current_lines}
    new_ids = [i for i in state.items if i not in kept]
    new = (
        {i.id: i for i in db.session.scalars(select(CatalogItem).where(CatalogItem.id.in_(new_ids)))} if new_ids else {}
    )
    lines = []
    for item_id in state.items:
        if item_id in kept:
            line = kept[item_id]
            lines.append(PendingLine(line.item, line.student_price, state.requirement_of(item_id, line.requirement)))
        elif item_id in new:
            lines.append(PendingLine(new[item_id], new[item_id].student_price, state.requirement_of(item_id, None)))
    return lines


def save_pending(order: Order, user: User, pending: PendingEdit | None, state: EditState, now: datetime) -> PendingEdit:
    """Store the user's pending state; the first change records the version and the state they started
    from (a change to a stale edit, already carried onto the order as it is now, starts from now)."""
    if pending is None:
        pending = PendingEdit(order_id=order.id, user_id=user.id, base_version=order.version, created_at=now)
        db.session.add(pending)
    base = (pending.changes or {}).get("base")
    if base is None or pending.base_version != order.version:
        pending.base_version = order.version
        current = EditState.of(order)
        base = {
            "items": current.items,
            "sections": current.sections,
            "requests": current.requests,
            "costs": current.costs,
        }
    pending.changes = dict(state.as_json(), base=base)
    pending.updated_at = now
    db.session.flush()
    return pending


def diff(order: Order, state: EditState) -> EditDiff:
    """Compare the pending state with the order as it is."""
    current_items = [line.catalog_item_id for line in order.current_lines]
    current_sections = {s.id: s for s in order.sections}
    added_item_ids = [i for i in state.items if i not in current_items]
    added_section_ids = [s for s in state.sections if s not in current_sections]
    # No query at all for the usual case of nothing added.
    items = (
        {i.id: i for i in db.session.scalars(select(CatalogItem).where(CatalogItem.id.in_(added_item_ids)))}
        if added_item_ids
        else {}
    )
    sections = (
        {s.id: s for s in db.session.scalars(select(Section).where(Section.id.in_(added_section_ids)))}
        if added_section_ids
        else {}
    )
    return EditDiff(
        added_items=[items[i] for i in added_item_ids if i in items],
        removed_items=[line.item for line in order.current_lines if line.catalog_item_id not in state.items],
        added_sections=[sections[s] for s in added_section_ids if s in sections],
        removed_sections=[s for s_id, s in current_sections.items() if s_id not in state.sections],
        added_requests=[TitleRequest.from_json(d) for d in state.new_requests],
        removed_requests=[r for r in order.current_requests if r.id not in state.requests],
        changed_requirements=[
            (line.item, line.requirement, state.requirement_of(line.catalog_item_id, line.requirement))
            for line in order.current_lines
            if line.catalog_item_id in state.items
            and state.requirement_of(line.catalog_item_id, line.requirement) is not line.requirement
        ],
        requirements={i: state.requirement_of(i, None) for i in added_item_ids},
        costs=other_costs.cost_change(order, state.costs, state.new_costs),
    )


def pending_requests(order: Order, state: EditState) -> list[dict]:
    """The content requests of the pending state, for display: key, title, ISBN, status label."""
    kept = [
        {
            "key": f"r{r.id}",
            "title": r.title,
            "isbn13": r.isbn13,
            "status": r.status.label,
            "requirement": r.requirement.label,
        }
        for r in order.current_requests
        if r.id in state.requests
    ]
    new = [
        {
            "key": d["key"],
            "title": d["title"],
            "isbn13": d["isbn13"],
            "status": "Submitted (not yet submitted)",
            "requirement": Requirement(d.get("requirement", Requirement.REQUIRED.value)).label,
        }
        for d in state.new_requests
    ]
    return kept + new
