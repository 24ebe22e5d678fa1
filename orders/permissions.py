"""Who may do what (SPEC section 2): predicates the templates ask and decorators the routes declare."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Callable

from flask import url_for
from flask_login import current_user
from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from orders import clock
from orders.choices import WindowState, window_state
from orders.extensions import login_manager
from orders.htmx import redirect_to
from orders.institution import institution, local_time
from orders.models import (
    ContentRequest,
    CoordinatorGrant,
    Course,
    EnrollmentState,
    Order,
    OrderSection,
    OrderStatus,
    Section,
    TeachingAssignment,
    User,
)
from orders.periods import is_open
from orders.queries import get_draft_or_404, get_order_or_404, get_request_or_404, user_profiles
from orders.refusals import DraftClosed, PermissionDenied

# --- Coordinator grants: one rule, written for Python objects and for SQL side by side -------------


def grant_covers(grant: CoordinatorGrant, section: Section) -> bool:
    """A grant covers a section when every dimension it sets matches."""
    return (
        (grant.subject is None or grant.subject == section.course.subject)
        and (grant.level is None or grant.level == section.level)
        and (grant.organization_id is None or grant.organization_id == section.organization_id)
        and (grant.campus_id is None or grant.campus_id == section.campus_id)
    )


def grant_covers_clause(grant: CoordinatorGrant) -> ColumnElement[bool]:
    """SQL twin of grant_covers for one grant, on Section joined with its Course.

    The grant's values are inlined, so the database matches each row against constants instead of
    running a correlated subquery per row.
    """
    conditions = []
    if grant.subject is not None:
        conditions.append(Course.subject == grant.subject)
    if grant.level is not None:
        conditions.append(Section.level == grant.level)
    if grant.organization_id is not None:
        conditions.append(Section.organization_id == grant.organization_id)
    if grant.campus_id is not None:
        conditions.append(Section.campus_id == grant.campus_id)
    return and_(true(), *conditions)


def grant_row_covers_clause(grant) -> ColumnElement[bool]:
    """SQL twin of grant_covers for grants read as rows (`grant` is CoordinatorGrant or an alias), on Section
    joined with its Course: set-based questions about every coordinator at once (reminder digests)."""
    return and_(
        or_(grant.subject.is_(None), grant.subject == Course.subject),
        or_(grant.level.is_(None), grant.level == Section.level),
        or_(grant.organization_id.is_(None), grant.organization_id == Section.organization_id),
        or_(grant.campus_id.is_(None), grant.campus_id == Section.campus_id),
    )


def covered_by_grants_clause(grants: list[CoordinatorGrant]) -> ColumnElement[bool]:
    """SQL: the section (joined with its course) falls under one of these grants (a user's reach)."""
    if not grants:
        return false()
    return or_(*(grant_covers_clause(grant) for grant in grants))


def teaches_clause(user_id: int) -> ColumnElement[bool]:
    """SQL: the user is an instructor of record of the section."""
    return exists(
        select(TeachingAssignment.section_id).where(
            TeachingAssignment.section_id == Section.id, TeachingAssignment.user_id == user_id
        )
    )


def visible_sections_clause(user: User) -> ColumnElement[bool]:
    """SQL: sections the user may see and order for (ignoring periods)."""
    if user.is_program_admin:
        return true()
    return or_(teaches_clause(user.id), covered_by_grants_clause(user.grants))


def teaches(user: User, section: Section) -> bool:
    """The user is an instructor of record of the section."""
    return any(instructor.id == user.id for instructor in section.instructors)


def coordinates(user: User, section: Section) -> bool:
    """One of the user's coordinator grants covers the section."""
    return any(grant_covers(grant, section) for grant in user.grants)


def may_order_for(user: User, section: Section) -> bool:
    """The section is within the user's reach, periods aside."""
    return user.is_program_admin or teaches(user, section) or coordinates(user, section)


def can_place(user: User, section: Section, now: datetime, *, teaches_section: bool | None = None) -> bool:
    """The user may put this section on an order now.

    Lists that already know whether the user teaches the row pass `teaches_section`, so the
    section's instructors need not be loaded.
    """
    if user.is_program_admin:
        return True
    if not is_open(section.term, now):
        return False
    teaching = teaches(user, section) if teaches_section is None else teaches_section
    return teaching or coordinates(user, section)


def can_answer_no_materials(user: User, section: Section, now: datetime, *, teaches_section: bool | None = None) -> bool:
    """The user may answer (or undo) "no materials needed" for this section now: whoever may order
    for it (SPEC section 2), and only for an active section."""
    return not section.is_removed and can_place(user, section, now, teaches_section=teaches_section)


def can_view_order(user: User, order: Order) -> bool:
    """Admins see all; others see orders they placed or that touch a section they teach or cover."""
    if user.is_program_admin or order.placed_by_id == user.id or order.owner_id == user.id:
        return True
    return any(teaches(user, s) or coordinates(user, s) for s in order.sections)


def viewable_orders_clause(user: User, *, probe: bool = False) -> ColumnElement[bool]:
    """SQL twin of can_view_order, on Order: one clause for lists of orders (history, its CSV).

    By default the section test is an uncorrelated IN, so the database builds the set of reachable
    orders once instead of probing each order's sections. With `probe` it is a correlated EXISTS
    instead (the same rule), for walking the orders newest first when most of them are reachable.
    """
    if user.is_program_admin:
        return true()
    on_reach = (
        select(OrderSection.order_id)
        .join(Section, Section.id == OrderSection.section_id)
        .join(Course, Course.id == Section.course_id)
        .where(OrderSection.removed_at.is_(None), visible_sections_clause(user))
    )
    if probe:
        # OFFSET 0 keeps the probe a subplan run per order (stopping at its first section in reach).
        reach = exists(on_reach.where(OrderSection.order_id == Order.id).offset(0))
    else:
        reach = Order.id.in_(on_reach)
    return or_(Order.placed_by_id == user.id, Order.owner_id == user.id, reach)


def can_reorder(choices) -> bool:
    """Copy an earlier order into a course offering (SPEC 2 "reorder"): the one rule behind the
    Reorder button and its routes.

    `choices` are the offering's sections within the user's reach, each with `orderable` (the user
    may place it now: taught or covered while open, Program Administrators any time, and it is on
    no placed order) and `ordered_as` (the number of the placed order holding it, or None).
    Allowed when some section is orderable and none is ordered yet ("a course with no order").
    """
    choices = list(choices)
    return any(c.orderable for c in choices) and all(c.ordered_as is None for c in choices)


# --- Decisions: whether a user may do something now, and if not, the words that say why ---------


@dataclass(frozen=True)
class Decision:
    """A rule's answer; `reason` is what the user is told when it says no (pages, notices, 403s)."""

    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)


def _period_closed(order: Order, action: str) -> Decision:
    closed_on = local_time(order.term.period.closes_at) if order.term.period else None
    when = f"closed on {closed_on}" if closed_on else "is not open"
    return Decision(
        False,
        f"The ordering period for {order.term.name} {when}. To {action} this order, contact your "
        f"Program Administrator(s) at {institution().contact_email}.",
    )


def _reaches_every_section(user: User, order: Order) -> bool:
    """Every section still on the order is one the user teaches or whose grant covers it."""
    sections = order.sections
    return bool(sections) and all(teaches(user, s) or coordinates(user, s) for s in sections)


def cancel_decision(user: User, order: Order, now: datetime) -> Decision:
    """The cancel rule of SPEC section 2: the placer, a coordinator covering every section, or any PA."""
    if order.status is not OrderStatus.PLACED:
        return Decision(False, "Only placed orders can be canceled.")
    if user.is_program_admin:
        return ALLOWED
    placer = order.placed_by_id == user.id
    covers_all = bool(order.sections) and all(coordinates(user, s) for s in order.sections)
    if not (placer or covers_all):
        placed_by = order.placed_by.name if order.placed_by else "another user"
        return Decision(False, f"This order was placed by {placed_by}. They or a Program Administrator can cancel it.")
    if not is_open(order.term, now):
        return _period_closed(order, "cancel")
    return ALLOWED


def can_cancel(user: User, order: Order, now: datetime) -> bool:
    """The one predicate behind the Cancel Order button and every cancel route."""
    return cancel_decision(user, order, now).allowed


def edit_decision(user: User, order: Order, now: datetime) -> Decision:
    """The edit rule of SPEC section 2: the placer or who reaches every section, while open; PAs any time."""
    if order.status is not OrderStatus.PLACED:
        return Decision(False, "Only placed orders can be changed.")
    if user.is_program_admin:
        return ALLOWED
    if not (order.placed_by_id == user.id or _reaches_every_section(user, order)):
        return Decision(
            False,
            "You can change an order you placed, or one whose every section you teach or coordinate. "
            "Ask the person who placed it or a Program Administrator.",
        )
    if not is_open(order.term, now):
        return _period_closed(order, "change")
    return ALLOWED


def can_edit(user: User, order: Order, now: datetime) -> bool:
    """The one predicate behind the Edit order button and every edit route."""
    return edit_decision(user, order, now).allowed


def can_discard_draft(user: User, order: Order) -> bool:
    """Only the owner of a draft may discard it."""
    return order.status is OrderStatus.DRAFT and order.owner_id == user.id


# --- Route guards ----------------------------------------------------------------------------------
# Every view declares one of these; tests/web/test_route_guards.py walks app.url_map to prove it.

GUARD_ATTRIBUTE = "route_guard"


def public(view: Callable) -> Callable:
    """Declare a route open to everyone (sign-in page, health check)."""
    setattr(view, GUARD_ATTRIBUTE, "public")
    return view


def signed_in(view: Callable) -> Callable:
    """Require a signed-in, active user; others go to the sign-in page (htmx: 401 + HX-Redirect)."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    setattr(guarded, GUARD_ATTRIBUTE, "signed_in")
    return guarded


def is_student(user: User) -> bool:
    """The user has at least one enrollment (SPEC 1 "Profiles"): the header shows "Course materials"."""
    return bool(getattr(user, "is_authenticated", False)) and user_profiles(user).is_student


def is_staff(user: User) -> bool:
    """Anyone but a pure student: a Program Administrator, a coordinator, an instructor, or a user with
    no profile yet (who sees the empty Courses screen, as before students existed)."""
    if user.is_program_admin or user.grants:
        return True
    profiles = user_profiles(user)
    return profiles.teaches or not profiles.is_student


STUDENTS_SEE_NO_STAFF_SCREENS = "This page is for instructors and staff. Your course materials are under “Course materials”."


def require_staff(user: User) -> None:
    """Refuse a pure student (SPEC 2: students see no order pages, no Courses screen, no history)."""
    if not is_staff(user):
        raise PermissionDenied(STUDENTS_SEE_NO_STAFF_SCREENS)


def staff_only(view: Callable) -> Callable:
    """Require a signed-in user who is staff (not only a student); a pure student gets the 403 page."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        require_staff(current_user)
        return view(*args, **kwargs)

    setattr(guarded, GUARD_ATTRIBUTE, "staff_only")
    return guarded


def staff_home(view: Callable) -> Callable:
    """The home page ("/", where sign-in lands): staff see it; a pure student is sent to their Course
    materials, the one screen they have (a single sign-on arrival at "/" lands there too)."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not is_staff(current_user):
            return redirect_to(url_for("students.materials"))
        return view(*args, **kwargs)

    setattr(guarded, GUARD_ATTRIBUTE, "staff_home")
    return guarded


def student_only(view: Callable) -> Callable:
    """Require a signed-in user with an enrollment (the student's own Course materials)."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not is_student(current_user):
            raise PermissionDenied("Course materials are shown to students enrolled in a section. You have no enrollments.")
        return view(*args, **kwargs)

    setattr(guarded, GUARD_ATTRIBUTE, "student_only")
    return guarded


def can_administer(user: User) -> bool:
    """The back office is for active Program Administrators only (the header link asks the same)."""
    return bool(getattr(user, "is_authenticated", False) and user.is_program_admin and user.active)


def admin_only(view: Callable) -> Callable:
    """Require a signed-in Program Administrator; anyone else signed in gets the 403 page."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not can_administer(current_user):
            raise PermissionDenied("The back office is for Program Administrators only.")
        return view(*args, **kwargs)

    setattr(guarded, GUARD_ATTRIBUTE, "admin_only")
    return guarded


def _loading_guard(kind: str, parameter: str, load: Callable[[int], Order], check) -> Callable[[Callable], Callable]:
    """Require sign-in, load the object the URL names (404 if unknown) and run `check` on it.

    `check` raises PermissionDenied to refuse; the view receives the loaded object instead of the id.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            require_staff(current_user)  # orders, drafts and requests are staff screens
            loaded = load(kwargs.pop(parameter))
            check(current_user, loaded, clock.now())
            return view(loaded, *args, **kwargs)

        setattr(guarded, GUARD_ATTRIBUTE, f"{kind}:{check.__name__}")
        return guarded

    return decorate


def order_guard(check: Callable[[User, Order, datetime], None]) -> Callable[[Callable], Callable]:
    """Guard a route on the order named by `number`; the view receives the order."""
    return _loading_guard("order", "number", get_order_or_404, check)


def request_guard(check: Callable[[User, ContentRequest, datetime], None]) -> Callable[[Callable], Callable]:
    """Guard a route on the content request named by `request_id`; the view receives it."""
    return _loading_guard("content_request", "request_id", get_request_or_404, check)


def can_view_request(user: User, request: ContentRequest) -> bool:
    """Requests on placed or canceled orders: whoever may view the order; on a draft: only its owner
    (as in the Content requests list: a draft is nobody else's business until it is placed)."""
    if request.order.status in (OrderStatus.DRAFT, OrderStatus.DISCARDED):
        return owns_draft(user, request.order)
    return can_view_order(user, request.order)


def require_view_request(user: User, request: ContentRequest, now: datetime) -> None:
    """Refuse users who may not see the request."""
    if not can_view_request(user, request):
        if request.order.status in (OrderStatus.DRAFT, OrderStatus.DISCARDED):
            raise PermissionDenied("This request is on another user's draft order. You can see it once the order is placed.")
        raise PermissionDenied("This request is on an order for sections you do not teach or coordinate.")


def require_view(user: User, order: Order, now: datetime) -> None:
    """Refuse users who may not see the order."""
    if not can_view_order(user, order):
        raise PermissionDenied("This order is for sections you do not teach or coordinate.")


def require_cancel(user: User, order: Order, now: datetime) -> None:
    """Refuse users who may not cancel; a canceled order passes so the view can say so calmly."""
    require_view(user, order, now)
    if order.status is OrderStatus.CANCELED:
        return
    decision = cancel_decision(user, order, now)
    if not decision:
        raise PermissionDenied(decision.reason)


def require_edit(user: User, order: Order, now: datetime) -> None:
    """Refuse users who may not change the order now."""
    require_view(user, order, now)
    decision = edit_decision(user, order, now)
    if not decision:
        raise PermissionDenied(decision.reason)


def require_add_sections(user: User, order: Order, now: datetime) -> None:
    """Refuse users who may not see the order, or when it is not placed; each section is checked by the service."""
    require_view(user, order, now)
    if order.status is not OrderStatus.PLACED:
        raise PermissionDenied("Sections can only be added to a placed order.")
    if not user.is_program_admin and not is_open(order.term, now):
        raise PermissionDenied(_period_closed(order, "add sections to").reason)


# --- Drafts (the ordering workflow) ----------------------------------------------------------------


def owns_draft(user: User, order: Order) -> bool:
    """The user started this order as a draft: only they may work on it, whatever became of it."""
    return order.owner_id == user.id


def draft_guard(check: Callable[[User, Order, datetime], None]) -> Callable[[Callable], Callable]:
    """Guard a route on the draft named by `draft_id`; the view receives it.

    It may since have been placed or discarded, which the view answers calmly (a double submit is
    not an error).
    """
    return _loading_guard("draft", "draft_id", get_draft_or_404, check)


def require_draft_owner(user: User, order: Order, now: datetime) -> None:
    """Refuse everyone but the user who started the draft, and answer a placed or discarded one calmly."""
    if not owns_draft(user, order):
        raise PermissionDenied("This draft order belongs to another user. Only the person who started it can change, place or cancel it.")
    if order.status is not OrderStatus.DRAFT:
        raise DraftClosed(order)


# --- Progress (SPEC 3 "Progress") -------------------------------------------------------------------


def can_view_progress(user: User) -> bool:
    """The Progress screen is for Program Administrators (everything) and coordinators (their reach)."""
    return bool(getattr(user, "is_authenticated", False) and user.active and (user.is_program_admin or user.is_coordinator))


def remind_now_decision(user: User, term, now: datetime) -> Decision:
    """"Remind now" on a Progress row: whoever may view Progress, for a term whose ordering has not closed
    (the row itself is narrowed to the user's reach by the query, so a coordinator reminds only there)."""
    if not can_view_progress(user):
        return Decision(False, "Progress is for Program Administrators and coordinators.")
    if term.period is None:
        return Decision(False, f"{term.name} has no ordering period, so there is nothing to remind anyone of.")
    if now >= term.period.closes_at:
        return Decision(False, f"Ordering for {term.name} has closed; reminders would come too late.")
    return ALLOWED


def progress_only(view: Callable) -> Callable:
    """Require a signed-in Program Administrator or coordinator; anyone else signed in gets the 403 page."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not can_view_progress(current_user):
            raise PermissionDenied("Progress is for Program Administrators and coordinators.")
        return view(*args, **kwargs)

    setattr(guarded, GUARD_ATTRIBUTE, "progress_only")
    return guarded

# --- Student choice (SPEC 1 "Student choice", 2 "Students") -----------------------------------------


def can_choose(actor: User, student: User, enrollment, line, now: datetime) -> Decision:
    """The one rule behind the Opt out / Opt in buttons and every choice route.

    `enrollment` is the student's section on their page (orders.students.queries.SectionMaterials) or
    None when they are not enrolled in it; `line` is the material on that section's order
    (MaterialLine) or None when the item is not on it. A student chooses for themself while the
    term's window is open; a Program Administrator any time (the reason is the service's to require).
    """
    admin = can_administer(actor)
    if not admin and actor.id != student.id:
        return Decision(False, "You can only change your own choices.")
    who = "This student is" if admin and actor.id != student.id else "You are"
    if enrollment is None:
        return Decision(False, f"{who} not enrolled in this section.")
    if enrollment.enrollment.state is EnrollmentState.DROPPED:
        return Decision(False, "This section was dropped: nothing in it is charged, so there is nothing to choose.")
    if line is None:
        return Decision(False, "That material is not on the placed order for this section.")
    if line.order_status is OrderStatus.CANCELED:
        return Decision(False, f"Order #{line.order_number} for this section was canceled: there is nothing to choose.")
    if line.zero_cost:
        return Decision(False, f"{line.title} is free (no charge): there is nothing to choose.")
    if admin:
        return ALLOWED
    term = enrollment.section.term
    state = window_state(term, now)
    if state is WindowState.NOT_SET:
        return Decision(False, f"Choices for {term.name} are not open yet.")
    if state is WindowState.UPCOMING:
        return Decision(False, f"Choices for {term.name} open on {local_time(term.choice_opens_at)}.")
    if state is WindowState.CLOSED:
        return Decision(
            False,
            f"Choices for {term.name} closed on {local_time(term.choice_closes_at)}. Nothing was changed; "
            f"contact your Program Administrator(s) at {institution().contact_email}.",
        )
    return ALLOWED
