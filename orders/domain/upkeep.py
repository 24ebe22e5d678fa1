"""Keeping the derived tables (reach, per-section counts) in step with every change, in its transaction.

A session collects what a change moved: each flush is inspected (a teaching assignment, a grant, an
enrollment, a choice, an order's lines ...), and the few writes that bypass the ORM's unit of work
(the guarded UPDATE of an order's state, the claims, a choice's INSERT, the SIS import) say what they
touched through `orders_changed` / `sections_changed` / `reach_changed`. The rows moved are rebuilt
from the rule (orders/domain/reach_table.py, orders/domain/section_counts.py) at the end of the
flush that saw the change, before a read that follows a bulk write, and before commit: a change and
its derived rows commit together or not at all, and a read in the same transaction sees them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session

from orders.domain import reach_table, section_counts
from orders.domain.models import (
    CatalogItem,
    ContentRequest,
    CoordinatorGrant,
    Course,
    Enrollment,
    Institution,
    NoMaterialsAnswer,
    Order,
    OrderLine,
    OrderSection,
    OrderStatus,
    ProgramMode,
    Section,
    StudentChoice,
    TeachingAssignment,
    Term,
    User,
)

PENDING = "orders.upkeep"
WHOLESALE_AT = 2000  # past this many ids a rebuild of everything is one cheaper statement than a long IN list


@dataclass
class Pending:
    """What moved since the last rebuild, per session."""

    reach_sections: set[int] = field(default_factory=set)
    reach_courses: set[int] = field(default_factory=set)
    reach_terms: set[int] = field(default_factory=set)
    reach_instructors: set[int] = field(default_factory=set)
    reach_viewers: set[int] = field(default_factory=set)
    reach_all: bool = False
    count_sections: set[int] = field(default_factory=set)
    count_orders: set[int] = field(default_factory=set)
    count_items: set[int] = field(default_factory=set)
    count_all: bool = False

    def __bool__(self) -> bool:
        return bool(
            self.reach_all
            or self.count_all
            or self.reach_sections
            or self.reach_courses
            or self.reach_terms
            or self.reach_instructors
            or self.reach_viewers
            or self.count_sections
            or self.count_orders
            or self.count_items
        )


def _pending(session: Session) -> Pending:
    found = session.info.get(PENDING)
    if found is None:
        found = session.info[PENDING] = Pending()
    return found


# --- What the writes that bypass the unit of work say -------------------------------------------------


def orders_changed(session: Session, order_ids) -> None:
    """The orders' state or claims changed (a guarded UPDATE): their sections' counts move."""
    _pending(session).count_orders.update(order_ids)


def sections_changed(session: Session, section_ids=(), *, reach: bool = True, counts: bool = True) -> None:
    """These sections changed (their reach rows, their counts, or both)."""
    pending = _pending(session)
    if reach:
        pending.reach_sections.update(section_ids)
    if counts:
        pending.count_sections.update(section_ids)


def reach_changed(session: Session, *, courses=(), terms=(), instructors=(), viewers=()) -> None:
    """Reach rows moved with courses renumbered, terms' dates, instructors renamed, or viewers' grants or flags."""
    pending = _pending(session)
    pending.reach_courses.update(courses)
    pending.reach_terms.update(terms)
    pending.reach_instructors.update(instructors)
    pending.reach_viewers.update(viewers)


def everything_changed(session: Session, *, reach: bool = True, counts: bool = True) -> None:
    """Rebuild the tables whole (a bulk load, a repair)."""
    pending = _pending(session)
    pending.reach_all = pending.reach_all or reach
    pending.count_all = pending.count_all or counts


# --- What a flush shows ------------------------------------------------------------------------------------


def _changed(obj, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _before(obj, name: str):
    """The value an attribute had before this flush (the current one when unchanged)."""
    history = inspect(obj).attrs[name].history
    return history.deleted[0] if history.deleted else getattr(obj, name)


def _order_counts(session: Session, order_id: int | None) -> bool:
    """Whether lines of this order can move counts: not when it is known to be a draft (only placed orders count)."""
    if order_id is None:
        return False
    order = session.identity_map.get(inspect(Order).identity_key_from_primary_key((order_id,)))
    return order is None or order.status not in (OrderStatus.DRAFT, OrderStatus.DISCARDED)


def _note(session: Session, pending: Pending, obj, kind: str) -> None:
    """Record what one new, changed or deleted object moves."""
    changed = kind == "dirty"
    if isinstance(obj, TeachingAssignment):
        pending.reach_sections.add(obj.section_id)
    elif isinstance(obj, CoordinatorGrant):
        # Only the scope moves reach (not a grant's other flags).
        if not changed or _changed(obj, "user_id", "subject", "level", "organization_id", "campus_id"):
            pending.reach_viewers.update({obj.user_id, _before(obj, "user_id")} if changed else {obj.user_id})
    elif isinstance(obj, Section):
        if not changed or _changed(
            obj, "course_id", "term_id", "level", "organization_id", "campus_id", "label", "instructors"
        ):
            pending.reach_sections.add(obj.id)
        if not changed or _changed(obj, "state"):
            pending.count_sections.add(obj.id)
    elif isinstance(obj, Enrollment):
        if not changed or _changed(obj, "state", "section_id", "user_id"):
            pending.count_sections.update({obj.section_id, _before(obj, "section_id")} if changed else {obj.section_id})
    elif isinstance(obj, StudentChoice):
        if not changed or _changed(obj, "choice", "catalog_item_id", "section_id", "user_id"):
            pending.count_sections.update({obj.section_id, _before(obj, "section_id")} if changed else {obj.section_id})
    elif isinstance(obj, OrderSection):
        # A draft's sections count for nothing; a claim, or a claimed section taken off, does.
        if obj.claimed or (changed and _changed(obj, "claimed")) or (kind == "deleted" and _before(obj, "claimed")):
            pending.count_sections.add(obj.section_id)
    elif isinstance(obj, Order):
        if not changed or _changed(obj, "status", "placed_at", "submitted_at"):
            pending.count_orders.add(obj.id)
    elif isinstance(obj, (OrderLine, ContentRequest)):
        if _order_counts(session, obj.order_id):
            pending.count_orders.add(obj.order_id)
    elif isinstance(obj, NoMaterialsAnswer):
        pending.count_sections.add(obj.section_id)
    elif isinstance(obj, CatalogItem):
        if changed and _changed(obj, "zero_cost"):
            pending.count_items.add(obj.id)
    elif isinstance(obj, User):
        if changed and _changed(obj, "sort_name"):
            pending.reach_instructors.add(obj.id)
        if changed and _changed(obj, "active", "is_program_admin"):
            pending.reach_viewers.add(obj.id)
    elif isinstance(obj, Course):
        if changed and _changed(obj, "subject", "number"):
            pending.reach_courses.add(obj.id)
    elif isinstance(obj, Term):
        if changed and _changed(obj, "starts_on"):
            pending.reach_terms.add(obj.id)
    elif isinstance(obj, Institution):
        if not changed or _changed(obj, "program_mode"):
            pending.count_all = True


def _after_flush(session: Session, flush_context) -> None:
    pending = _pending(session)
    for kind, objects in (("new", session.new), ("deleted", session.deleted), ("dirty", session.dirty)):
        for obj in objects:
            if kind != "dirty" or session.is_modified(obj):
                _note(session, pending, obj, kind)


# --- Rebuilding -----------------------------------------------------------------------------------------------


def _mode(session: Session) -> ProgramMode:
    """The institution's program mode (the session's institution when loaded; opt-out without one)."""
    found = session.info.get("institution")
    if found is not None:
        return found.program_mode
    mode = session.connection().execute(select(Institution.program_mode).limit(1)).scalar()
    return mode or ProgramMode.OPT_OUT


def _ids(values: set[int]) -> list[int]:
    return sorted(v for v in values if v is not None)


def apply(session: Session) -> None:
    """Rebuild what moved (in the session's transaction), then forget it."""
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    connection = session.connection()
    touched = reach_table.Touched(
        sections=frozenset(_ids(pending.reach_sections)),
        courses=frozenset(_ids(pending.reach_courses)),
        terms=frozenset(_ids(pending.reach_terms)),
        instructors=frozenset(_ids(pending.reach_instructors)),
        viewers=frozenset(_ids(pending.reach_viewers)),
        everything=pending.reach_all or len(pending.reach_sections) > WHOLESALE_AT,
    )
    reach_table.rebuild(connection, touched)
    if pending.count_all or len(pending.count_sections) > WHOLESALE_AT or len(pending.count_orders) > WHOLESALE_AT:
        section_counts.rebuild(connection, _mode(session), None)
    else:
        section_counts.rebuild(
            connection,
            _mode(session),
            {
                "sections": _ids(pending.count_sections),
                "orders": _ids(pending.count_orders),
                "items": _ids(pending.count_items),
            },
        )


def rebuild_everything(session: Session) -> None:
    """Both tables whole, now (a bulk load, `--repair`)."""
    everything_changed(session)
    apply(session)


def _after_flush_postexec(session: Session, flush_context) -> None:
    if session.info.get(PENDING):
        apply(session)


def _before_commit(session: Session) -> None:
    if session.info.get(PENDING):
        session.flush()  # the ORM's changes join the bulk writes' in one rebuild
        apply(session)


def _before_read(state: ORMExecuteState) -> None:
    """A read after a bulk write in the same transaction sees its derived rows."""
    if not state.is_select or state.is_relationship_load or state.is_column_load:
        return
    if state.session.info.get(PENDING):
        state.session.flush()
        apply(state.session)


def _forget(session: Session, previous_transaction) -> None:
    """The transaction rolled back: what it moved never happened (a savepoint's rollback keeps the marks)."""
    if previous_transaction.parent is None:
        session.info.pop(PENDING, None)


def install() -> None:
    """Listen on every session (idempotent)."""
    if event.contains(Session, "after_flush", _after_flush):
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "after_flush_postexec", _after_flush_postexec)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "do_orm_execute", _before_read)
    event.listen(Session, "after_soft_rollback", _forget)
