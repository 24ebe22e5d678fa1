"""choose_decision, the one rule behind the choice buttons and routes: mode x window x enrollment x zero cost x role."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from orders.domain.models import ChoiceValue, EnrollmentState, OrderStatus, ProgramMode
from orders.domain.rules import choose_decision
from orders.domain.students.choices import LineChoice, choice_after_toggle, effective_choice
from orders.extensions import db

NOW = datetime(2027, 1, 15, 12, 0, tzinfo=timezone.utc)
WINDOWS = {
    "not set": (None, None),
    "upcoming": (NOW + timedelta(days=1), NOW + timedelta(days=10)),
    "open": (NOW - timedelta(days=1), NOW + timedelta(days=10)),
    "closed": (NOW - timedelta(days=10), NOW - timedelta(seconds=1)),
}
ROLES = ("student", "other student", "program administrator", "instructor")


def person(ident: int, *, admin: bool = False):
    return SimpleNamespace(id=ident, is_authenticated=True, is_program_admin=admin, active=True, grants=[])


def actor_for(role: str):
    return {
        "student": person(1),
        "other student": person(2),
        "program administrator": person(3, admin=True),
        "instructor": person(4),
    }[role]


def case(
    window: str,
    state: EnrollmentState | None,
    zero_cost: bool,
    mode: ProgramMode,
    *,
    order=OrderStatus.PLACED,
    on_order=True,
    removed=False,
):
    opens, closes = WINDOWS[window]
    term = SimpleNamespace(name="Spring 2027", choice_opens_at=opens, choice_closes_at=closes)
    section = (
        None
        if state is None
        else SimpleNamespace(
            enrollment=SimpleNamespace(state=state), section=SimpleNamespace(term=term), removed=removed
        )
    )
    line = (
        None
        if not on_order
        else SimpleNamespace(
            zero_cost=zero_cost,
            order_status=order,
            order_number=1001,
            title="Calculus",
            choice=effective_choice(mode, None, zero_cost=zero_cost),
        )
    )
    return section, line


@pytest.fixture
def institution_ctx(app):
    with app.test_request_context():
        db.session.info["institution"] = SimpleNamespace(
            timezone="America/Chicago", contact_email="orders@demo.edu", name="Demo"
        )
        yield
        db.session.info.pop("institution", None)


def expected(role: str, window: str, state: EnrollmentState | None, zero_cost: bool) -> bool:
    if role in ("other student", "instructor"):
        return False
    if state is not EnrollmentState.ENROLLED or zero_cost:
        return False
    return role == "program administrator" or window == "open"


MATRIX = list(
    itertools.product(
        list(ProgramMode),
        list(WINDOWS),
        [EnrollmentState.ENROLLED, EnrollmentState.DROPPED, None],
        [False, True],
        ROLES,
    )
)


@pytest.mark.parametrize("mode,window,state,zero_cost,role", MATRIX)
def test_choice_rule_matrix(institution_ctx, mode, window, state, zero_cost, role):
    section, line = case(window, state, zero_cost, mode)
    decision = choose_decision(actor_for(role), person(1), section, line, NOW)
    assert decision.allowed is expected(role, window, state, zero_cost)
    if not decision.allowed:
        assert decision.reason  # every refusal says why


@pytest.mark.parametrize("role", ["student", "program administrator"])
def test_nothing_is_chosen_in_a_section_the_sis_removed(institution_ctx, role):
    section, line = case("open", EnrollmentState.ENROLLED, False, ProgramMode.OPT_OUT, removed=True)
    decision = choose_decision(actor_for(role), person(1), section, line, NOW)
    assert not decision.allowed and "The registrar removed this section" in decision.reason


@pytest.mark.parametrize(
    "window,words",
    [
        ("closed", "closed on January 15, 2027, 5:59 AM CST"),
        ("upcoming", "open on January 16, 2027"),
        ("not set", "are not open yet"),
    ],
)
def test_a_closed_window_names_the_time(institution_ctx, window, words):
    section, line = case(window, EnrollmentState.ENROLLED, False, ProgramMode.OPT_OUT)
    decision = choose_decision(person(1), person(1), section, line, NOW)
    assert not decision and words in decision.reason


def test_window_edges(institution_ctx):
    """Open iff opens_at <= now < closes_at: the closing instant and one second after are refused."""
    section, line = case("open", EnrollmentState.ENROLLED, False, ProgramMode.OPT_OUT)
    term = section.section.term
    term.choice_opens_at, term.choice_closes_at = NOW, NOW + timedelta(hours=1)
    student = person(1)
    assert choose_decision(student, student, section, line, NOW)
    assert choose_decision(student, student, section, line, NOW + timedelta(minutes=59, seconds=59))
    assert not choose_decision(student, student, section, line, NOW + timedelta(hours=1))
    assert not choose_decision(student, student, section, line, NOW + timedelta(hours=1, seconds=1))
    assert not choose_decision(student, student, section, line, NOW - timedelta(seconds=1))


@pytest.mark.parametrize("role", ["student", "program administrator"])
def test_a_line_not_on_the_order_or_a_canceled_order_is_refused(institution_ctx, role):
    section, missing = case("open", EnrollmentState.ENROLLED, False, ProgramMode.OPT_OUT, on_order=False)
    assert "not on the placed order" in choose_decision(actor_for(role), person(1), section, missing, NOW).reason
    section, canceled = case("open", EnrollmentState.ENROLLED, False, ProgramMode.OPT_OUT, order=OrderStatus.CANCELED)
    assert "#1001" in choose_decision(actor_for(role), person(1), section, canceled, NOW).reason


@pytest.mark.parametrize(
    "mode,current,stored",
    [
        (ProgramMode.OPT_OUT, LineChoice.INCLUDED, ChoiceValue.OPTED_OUT),
        (ProgramMode.OPT_OUT, LineChoice.OPTED_OUT, ChoiceValue.OPTED_IN),
        (ProgramMode.OPT_IN, LineChoice.NOT_OPTED_IN, ChoiceValue.OPTED_IN),
        (ProgramMode.OPT_IN, LineChoice.OPTED_IN, ChoiceValue.OPTED_OUT),
    ],
)
def test_the_toggle_stores_the_other_state(mode, current, stored):
    assert choice_after_toggle(mode, current) is stored


def test_the_default_term_is_the_current_then_the_next_then_the_latest():
    from datetime import date

    from orders.domain.students.materials import default_term

    fall = SimpleNamespace(starts_on=date(2026, 8, 24), ends_on=date(2026, 12, 18))
    spring = SimpleNamespace(starts_on=date(2027, 1, 11), ends_on=date(2027, 5, 7))
    summer = SimpleNamespace(starts_on=date(2027, 6, 1), ends_on=date(2027, 8, 1))
    terms = [summer, spring, fall]  # newest first, as the read model lists them
    assert default_term(terms, date(2026, 10, 1)) is fall
    assert default_term(terms, date(2026, 12, 25)) is spring  # between terms: the next one
    assert default_term(terms, date(2027, 9, 1)) is summer  # after them all: the latest
    assert default_term([], date(2027, 1, 1)) is None
