"""Who may do what: every "may X" as a Decision(allowed, reason).

The one predicate the templates, routes and services ask.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, overload

from orders.domain.decisions import ALLOWED, Decision
from orders.domain.institution import institution, local_time
from orders.domain.lookups import user_profiles
from orders.domain.models import ContentRequest, EnrollmentState, Order, OrderStatus, Section, Term, User
from orders.domain.periods import HasPeriod, is_open, period_state
from orders.domain.reach import CoveredSection, can_view_order, coordinates, teaches
from orders.domain.students.choices import window_state
from orders.domain.windows import WindowState

# --- Placing and answering: the section-level rules --------------------------------------------------


class PlaceableSection(CoveredSection, Protocol):
    """What can_place reads of a list's lean section row (which says itself whether the user teaches it)."""

    @property
    def term(self) -> HasPeriod: ...


@overload
def can_place(user: User, section: Section, now: datetime, *, teaches_section: bool | None = None) -> bool: ...
@overload
def can_place(user: User, section: PlaceableSection, now: datetime, *, teaches_section: bool) -> bool: ...
def can_place(
    user: User, section: Section | PlaceableSection, now: datetime, *, teaches_section: bool | None = None
) -> bool:
    """The user may put this section on an order now.

    Lists that already know whether the user teaches the row pass `teaches_section`, so the
    section's instructors need not be loaded.
    """
    if user.is_program_admin:
        return True
    if not is_open(section.term, now):
        return False
    if teaches_section is None:
        assert isinstance(section, Section)  # the overloads: a lean row always comes with teaches_section
        teaching = teaches(user, section)
    else:
        teaching = teaches_section
    return teaching or coordinates(user, section)


def can_answer_no_materials(
    user: User, section: Section, now: datetime, *, teaches_section: bool | None = None
) -> bool:
    """The user may answer (or undo) "no materials needed" for this section now: whoever may order
    for it (docs/spec.md §2), and only for an active section."""
    return not section.is_removed and can_place(user, section, now, teaches_section=teaches_section)


def can_reorder(choices) -> bool:
    """Copy an earlier order into a course offering (docs/spec.md §2 "reorder"): the one rule behind the
    Reorder button and its routes.

    `choices` are the offering's sections within the user's reach, each with `orderable` (the user
    may place it now: taught or covered while open, Program Administrators any time, and it is on
    no placed order) and `ordered_as` (the number of the placed order holding it, or None).
    Allowed when some section is orderable and none is ordered yet ("a course with no order").
    """
    choices = list(choices)
    return any(c.orderable for c in choices) and all(c.ordered_as is None for c in choices)


# --- Decisions: whether a user may do something now, and if not, the words that say why ---------


def period_closed(term: Term, now: datetime, to: str) -> Decision:
    """No, because the term's ordering period is not open: the one wording of it (docs/spec.md §2), naming
    when it closed (or opens) and whom to ask `to` do the thing."""
    state = period_state(term, now)
    if state is WindowState.CLOSED and term.period is not None:
        when = f"closed on {local_time(term.period.closes_at)}"
    elif state is WindowState.UPCOMING and term.period is not None:
        when = f"opens on {local_time(term.period.opens_at)}"
    else:
        when = "is not open"
    return Decision(
        False,
        f"The ordering period for {term.name} {when}. To {to}, contact your "
        f"Program Administrator(s) at {institution().contact_email}.",
    )


def _reaches_every_section(user: User, order: Order) -> bool:
    """Every section still on the order is one the user teaches or whose grant covers it."""
    sections = order.sections
    return bool(sections) and all(teaches(user, s) or coordinates(user, s) for s in sections)


def cancel_decision(user: User, order: Order, now: datetime) -> Decision:
    """The cancel rule of docs/spec.md §2: the placer, a coordinator covering every section, or any PA. An order
    awaiting approval or returned to its placer is withdrawn the same way (docs/spec.md §8)."""
    if order.status is not OrderStatus.PLACED and not order.status.in_review:
        return Decision(False, "Only placed orders can be canceled.")
    if user.is_program_admin:
        return ALLOWED
    placer = order.placed_by_id == user.id
    covers_all = bool(order.sections) and all(coordinates(user, s) for s in order.sections)
    if not (placer or covers_all):
        placed_by = order.placed_by.name if order.placed_by else "another user"
        return Decision(False, f"This order was placed by {placed_by}. They or a Program Administrator can cancel it.")
    if not is_open(order.term, now):
        return period_closed(order.term, now, "cancel this order")
    return ALLOWED


def can_cancel(user: User, order: Order, now: datetime) -> bool:
    """The one predicate behind the Cancel Order button and every cancel route."""
    return cancel_decision(user, order, now).allowed


def edit_decision(user: User, order: Order, now: datetime) -> Decision:
    """The edit rule of docs/spec.md §2: the placer or who reaches every section, while open; PAs any time."""
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
        return period_closed(order.term, now, "change this order")
    return ALLOWED


def can_edit(user: User, order: Order, now: datetime) -> bool:
    """The one predicate behind the Edit order button and every edit route."""
    return edit_decision(user, order, now).allowed


def can_discard_draft(user: User, order: Order) -> bool:
    """Only the owner of a draft may discard it."""
    return order.status is OrderStatus.DRAFT and order.owner_id == user.id


# --- Access: may the user open this order, request or draft at all (the routes' guards ask these) ----


def is_student(user: User) -> bool:
    """The user has at least one enrollment (docs/spec.md §1 "Profiles"): the header shows "Course materials"."""
    return bool(getattr(user, "is_authenticated", False)) and user_profiles(user).is_student


def is_staff(user: User) -> bool:
    """Anyone but a pure student: a Program Administrator, a coordinator, an instructor, or a user with
    no profile yet (who sees the empty Courses screen, as before students existed)."""
    if user.is_program_admin or user.grants:
        return True
    profiles = user_profiles(user)
    return profiles.teaches or not profiles.is_student


STUDENTS_SEE_NO_STAFF_SCREENS = (
    "This page is for instructors and staff. Your course materials are under “Course materials”."
)


def student_decision(user: User) -> Decision:
    """The student's own Course materials: a signed-in user with an enrollment."""
    if is_student(user):
        return ALLOWED
    return Decision(False, "Course materials are shown to students enrolled in a section. You have no enrollments.")


def admin_decision(user: User) -> Decision:
    """The back office."""
    return ALLOWED if can_administer(user) else Decision(False, "The back office is for Program Administrators only.")


def staff_decision(user: User) -> Decision:
    """Students see no order pages, no Courses screen, no history (docs/spec.md §2)."""
    return ALLOWED if is_staff(user) else Decision(False, STUDENTS_SEE_NO_STAFF_SCREENS)


def can_administer(user: User) -> bool:
    """The back office is for active Program Administrators only (the header link asks the same)."""
    return bool(getattr(user, "is_authenticated", False) and user.is_program_admin and user.active)


def can_view_request(user: User, request: ContentRequest) -> bool:
    """Requests on placed or canceled orders: whoever may view the order; on a draft: only its owner
    (as in the Content requests list: a draft is nobody else's business until it is placed)."""
    if request.order.status in (OrderStatus.DRAFT, OrderStatus.DISCARDED):
        return owns_draft(user, request.order)
    return can_view_order(user, request.order)


def view_request_decision(user: User, request: ContentRequest, now: datetime) -> Decision:
    """May the user see this content request."""
    if can_view_request(user, request):
        return ALLOWED
    if request.order.status in (OrderStatus.DRAFT, OrderStatus.DISCARDED):
        return Decision(
            False, "This request is on another user's draft order. You can see it once the order is placed."
        )
    return Decision(False, "This request is on an order for sections you do not teach or coordinate.")


def view_decision(user: User, order: Order, now: datetime) -> Decision:
    """May the user see this order."""
    if can_view_order(user, order):
        return ALLOWED
    return Decision(False, "This order is for sections you do not teach or coordinate.")


def cancel_route_decision(user: User, order: Order, now: datetime) -> Decision:
    """The cancel routes: the cancel rule, except that a canceled order passes so the page can say so calmly."""
    seen = view_decision(user, order, now)
    if not seen or order.status is OrderStatus.CANCELED:
        return seen
    return cancel_decision(user, order, now)


def edit_route_decision(user: User, order: Order, now: datetime) -> Decision:
    """The edit routes: a viewer to whom the edit rule says yes."""
    seen = view_decision(user, order, now)
    return edit_decision(user, order, now) if seen else seen


def add_sections_decision(user: User, order: Order, now: datetime) -> Decision:
    """Add sections to a placed order (each section is then checked by the service)."""
    seen = view_decision(user, order, now)
    if not seen:
        return seen
    if order.status is not OrderStatus.PLACED:
        return Decision(False, "Sections can only be added to a placed order.")
    if not user.is_program_admin and not is_open(order.term, now):
        return period_closed(order.term, now, "add sections to this order")
    return ALLOWED


# --- Drafts (the ordering workflow) ----------------------------------------------------------------


def owns_draft(user: User, order: Order) -> bool:
    """The user started this order as a draft: only they may work on it, whatever became of it."""
    return order.owner_id == user.id


def draft_owner_decision(user: User, order: Order, now: datetime) -> Decision:
    """Only the user who started the draft may work on it.

    A placed or discarded one is answered calmly by the guard.
    """
    if owns_draft(user, order):
        return ALLOWED
    return Decision(
        False,
        "This draft order belongs to another user. Only the person who started it can change, place or cancel it.",
    )


# --- Progress (docs/spec.md §3 "Progress") -------------------------------------------------------------------


def can_view_progress(user: User) -> bool:
    """The Progress screen is for Program Administrators (everything) and coordinators (their reach)."""
    return bool(
        getattr(user, "is_authenticated", False) and user.active and (user.is_program_admin or user.is_coordinator)
    )


def progress_decision(user: User) -> Decision:
    """The Progress screen."""
    return (
        ALLOWED
        if can_view_progress(user)
        else Decision(False, "Progress is for Program Administrators and coordinators.")
    )


def remind_now_decision(user: User, term, now: datetime) -> Decision:
    """ "Remind now" on a Progress row: whoever may view Progress, for a term whose ordering has not closed
    (the row itself is narrowed to the user's reach by the query, so a coordinator reminds only there)."""
    if not can_view_progress(user):
        return Decision(False, "Progress is for Program Administrators and coordinators.")
    if term.period is None:
        return Decision(False, f"{term.name} has no ordering period, so there is nothing to remind anyone of.")
    if now >= term.period.closes_at:
        return Decision(False, f"Ordering for {term.name} has closed; reminders would come too late.")
    return ALLOWED


# --- Student choice (docs/spec.md §1 "Student choice", 2 "Students") -----------------------------------------


def choose_decision(actor: User, student: User, enrollment, line, now: datetime) -> Decision:
    """The one rule behind the Opt out / Opt in buttons and every choice route.

    `enrollment` is the student's section on their page (orders.domain.students.materials.SectionMaterials) or
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
    if enrollment.removed:
        return Decision(
            False, "The registrar removed this section: nothing in it is charged, so there is nothing to choose."
        )
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


# --- Inside the LMS (docs/spec.md §9) ------------------------------------------------------------------------


def lms_course_decision(user: User, sections: list[Section]) -> Decision:
    """Link an LMS course to sections, or compare its roster with them: sections the user teaches or
    covers, any for a Program Administrator (docs/spec.md §2). An LMS role adds nothing to this."""
    if not can_administer(user) and not is_staff(user):
        return Decision(False, STUDENTS_SEE_NO_STAFF_SCREENS)
    if not sections:
        return Decision(False, "Choose at least one section.")
    if user.is_program_admin:
        return ALLOWED
    outside = [s for s in sections if not (teaches(user, s) or coordinates(user, s))]
    if outside:
        names = ", ".join(f"{s.course.subject} {s.course.number} {s.label}" for s in outside)
        return Decision(False, f"You do not teach or coordinate {names}. Ask a Program Administrator to link it.")
    return ALLOWED


def lms_landing(user: User, *, instructor_role: bool) -> str | None:
    """Where a launch lands: "courses" (staff) or "materials" (a student), or None when the app has no
    screen for this user. The LMS role only picks between places the user may already go."""
    staff, student = is_staff(user), is_student(user)
    if instructor_role and staff:
        return "courses"
    if student:
        return "materials"
    return "courses" if staff else None


def launch_owner_decision(user: User, launch, now: datetime) -> Decision:
    """An LMS launch's pages (linked sections, roster check) belong to whoever launched (the loader already
    reads another's launch as missing); what they show is then narrowed by lms_course_decision."""
    return ALLOWED if launch.user_id == user.id else Decision(False, "This LMS launch is someone else's.")
