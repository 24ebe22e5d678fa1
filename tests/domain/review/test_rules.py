"""The approval rule (docs/spec.md §2, §8): who may decide a review (role x grant flags x royalty x period x coverage),
and whether an order waits for one (policy x placer x royalty answer x threshold). Unit tests on the domain, no HTTP."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import exists, select

from orders.domain.models import Enrollment, EnrollmentState, Order, OrderingPolicy, OrderStatus, PreApprovedItem
from orders.domain.ordering.drafts import add_item, new_draft, remove_item
from orders.domain.review.approvers import decidable_clause
from orders.domain.review.policy import review_need
from orders.domain.review.royalty import NO_ROYALTY, RoyaltyAnswer
from orders.domain.review.rules import approve_decision, decider_decision
from orders.domain.review.submitting import route_order
from orders.extensions import db
from tests import factories as f

ROLES = ["instructor", "coordinator", "coordinator_other_subject", "coordinator_one_of_two", "admin"]
FLAGS = ["none", "approve", "royalties", "both"]


def _grant_flags(flags: str) -> dict:
    return {"none": {}, "approve": {"may_approve": True}, "royalties": {"may_review_royalties": True},
            "both": {"may_approve": True, "may_review_royalties": True}}[flags]


def _scene(now, *, period: str = "open", policy: OrderingPolicy = OrderingPolicy.APPROVAL, flags: str = "approve"):
    """Two MATH sections in an organization under `policy`, their instructor, coordinators with `flags`, a PA."""
    f.institution()
    term = f.term(now, state=period)
    people = {
        "instructor": f.user("In Structor"),
        "coordinator": f.user("Co Ordinator"),
        "coordinator_other_subject": f.user("Ot Her"),
        "coordinator_one_of_two": f.user("Half Way"),
        "admin": f.user("Ad Min", admin=True),
        "placer": f.user("Pla Cer"),
    }
    first = f.section(term, subject="MATH", label="001", instructors=(people["instructor"], people["placer"]))
    second = f.section(term, subject="MATH", label="002", instructors=(people["instructor"], people["placer"]))
    first.organization.ordering_policy = policy
    f.grant(people["coordinator"], subject="MATH", **_grant_flags(flags))
    f.grant(people["coordinator_other_subject"], subject="CS", **_grant_flags(flags))
    f.grant(people["coordinator_one_of_two"], subject="MATH", **_grant_flags(flags))
    db.session.flush()
    return term, [first, second], people


def _awaiting(now, sections, placer, *, royalty: bool):
    order = f.placed_order(sections, placer, now, status=OrderStatus.AWAITING_APPROVAL)
    order.placed_at, order.submitted_at, order.royalty_review = None, now, royalty
    db.session.flush()
    return order


def _expected(role: str, flags: str, royalty: bool, period: str) -> bool:
    if role == "admin":
        return True
    if role != "coordinator":
        return False
    flag_ok = (flags in ("royalties", "both")) if royalty else (flags in ("approve", "both"))
    return flag_ok and period == "open"


@pytest.mark.parametrize("period", ["open", "closed"])
@pytest.mark.parametrize("royalty", [False, True])
@pytest.mark.parametrize("flags", FLAGS)
@pytest.mark.parametrize("role", ROLES)
def test_who_may_approve_or_return(app_ctx, now, role, flags, royalty, period):
    term, sections, people = _scene(now, period=period, flags=flags)
    if role == "coordinator_one_of_two":  # a grant narrowed to section 001's campus only would cover one of two
        grant = people[role].grants[0]
        grant.subject = None
        db.session.flush()
        other_campus = f.section(term, subject="MATH", label="003", campus_code="EAST")
        sections = [sections[0], other_campus]
        grant.campus_id = sections[0].campus_id
        db.session.flush()
    order = _awaiting(now, sections, people["placer"], royalty=royalty)
    decision = approve_decision(people[role], order, now)
    assert bool(decision) is _expected(role, flags, royalty, period), decision.reason
    # The Approvals list's SQL twin says the same (orders/domain/review/approvers.py).
    listed = db.session.scalar(select(exists().where(
        Order.id == order.id, decidable_clause(people[role], Order.id, Order.royalty_review, Order.placed_by_id, now))))
    assert listed is bool(decision)
    if not decision:
        assert decision.reason  # every refusal says why
    if role == "coordinator" and period == "closed" and _expected(role, flags, royalty, "open"):
        assert "ordering period" in decision.reason
    if role == "coordinator_one_of_two" and _expected("coordinator", flags, royalty, "open"):
        assert "do not cover section 003" in decision.reason  # the grant covers 001 only


def test_a_royalty_review_is_never_decided_by_its_submitter(app_ctx, now):
    _term, sections, people = _scene(now, flags="both")
    admin = people["admin"]
    order = _awaiting(now, sections, admin, royalty=True)
    refused = approve_decision(admin, order, now)
    assert not refused and "another reviewer" in refused.reason
    assert approve_decision(people["coordinator"], order, now)
    order.royalty_review = False  # a plain approval: the placer who may approve it may (it would not have waited)
    assert approve_decision(admin, order, now)


def test_only_an_order_awaiting_approval_is_decided(app_ctx, now):
    _term, sections, people = _scene(now)
    order = f.placed_order(sections, people["placer"], now)
    assert not approve_decision(people["admin"], order, now)
    assert "not awaiting approval" in approve_decision(people["admin"], order, now).reason
    assert decider_decision(people["admin"], order.sections, order.term, royalty=False, submitter_id=None, now=now)


# --- Does "Place order" wait? -------------------------------------------------------------------------------------


def _draft(now, sections, placer, item):
    draft = new_draft(placer, sections[0].course, sections[0].term, sections, now=now, request_id=None)
    add_item(draft, item.id, now)
    return draft


YES = "yes"
PLACERS = ["instructor", "coordinator", "admin"]


@pytest.mark.parametrize("answer", ["no", YES])
@pytest.mark.parametrize("placer", PLACERS)
@pytest.mark.parametrize("policy", list(OrderingPolicy))
def test_whether_placing_waits(app_ctx, now, policy, placer, answer):
    _term, sections, people = _scene(now, policy=policy, flags="approve")
    item, listed = f.catalog_item("Off the list"), f.catalog_item("On the list")
    db.session.add(
        PreApprovedItem(organization_id=sections[0].organization_id, catalog_item_id=listed.id, added_at=now)
    )
    db.session.flush()
    draft = _draft(now, sections, people[placer], item)
    for chosen, on_list in ((item, False), (listed, True)):
        if chosen is listed:  # the same draft with only the listed item
            remove_item(draft, item.id, now)
            add_item(draft, listed.id, now)
        royalty = RoyaltyAnswer(True, {chosen.id: None}) if answer == YES else NO_ROYALTY
        route = route_order(draft, people[placer], royalty, now)
        by_policy = policy is OrderingPolicy.APPROVAL or (policy is OrderingPolicy.PRE_APPROVED_LIST and not on_list)
        may_approve = placer in ("coordinator", "admin")
        # A Yes waits for a royalty reviewer whatever the policy and whoever places it; otherwise the policy decides,
        # and whoever may approve the sections places at once ("approved by the placer").
        expected_wait = answer == YES or (by_policy and not may_approve)
        assert route.waits is expected_wait, (chosen.title, route)
        assert route.need.royalty is (answer == YES)
        assert route.self_approved is (by_policy and may_approve and answer != YES)


@pytest.mark.parametrize(
    "threshold,estimate,enrolled,waits",
    [
        (None, "0.50", 10, True),  # "always": any Yes
        (Decimal("500.00"), "10.00", 40, False),  # $400 per section: under the threshold
        (Decimal("500.00"), "12.51", 40, True),  # $500.40: above it
        (Decimal("500.00"), "12.50", 40, False),  # exactly $500: not above
        (Decimal("500.00"), None, 40, True),  # no estimate: nobody can say it is under
    ],
)
def test_the_royalty_threshold(app_ctx, now, threshold, estimate, enrolled, waits):
    _term, sections, people = _scene(now, policy=OrderingPolicy.OPEN)
    f.institution().royalty_review_threshold = threshold
    for n in range(enrolled):
        db.session.add(
            Enrollment(
                user_id=f.user(f"Stu Dent{n}").id,
                section_id=sections[0].id,
                state=EnrollmentState.ENROLLED,
                enrolled_at=now,
            )
        )
    db.session.flush()
    item = f.catalog_item()
    answer = RoyaltyAnswer(True, {item.id: None if estimate is None else Decimal(estimate)})
    need = review_need(sections, [item.id], requests=False, royalty=answer)
    assert need.royalty is waits and need.waits is waits


def test_a_content_request_waits_under_a_pre_approved_list(app_ctx, now):
    _term, sections, _people = _scene(now, policy=OrderingPolicy.PRE_APPROVED_LIST)
    assert review_need(sections, [], requests=True, royalty=NO_ROYALTY).approval
    assert not review_need(sections, [], requests=False, royalty=NO_ROYALTY).waits
