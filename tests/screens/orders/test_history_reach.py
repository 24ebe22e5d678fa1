"""Order history picks its plan from the user's reach; the answer never changes.

The plans: orders.web.screens.orders.history_reach.
"""

from __future__ import annotations

import pytest

from orders.web.screens.orders import history_reach as reach
from tests.screens.orders.test_history import count_line, numbers


@pytest.fixture(autouse=True)
def fresh_estimates():
    reach.forget_all()
    yield
    reach.forget_all()


def _plans(client, count_queries, url):
    """The history statement of one request: 'walk' (correlated probe) or 'set' (the reachable set)."""
    with count_queries() as counter:
        response = client.get(url)
    page = next(s for s in counter.statements if "course_order.number" in s and "page_ids" in s)
    return response, ("walk" if "EXISTS (SELECT order_section.order_id" in page else "set")


@pytest.mark.parametrize(
    "user,url,expected",
    [
        ("emmy", "/orders", ["1005", "1001", "1003"]),  # coordinator by grant (subject MATH); #1005 awaits her approval
        ("grace", "/orders", ["1002", "1004"]),  # placed #1002; #1004 by grant (subject CS)
        ("ada", "/orders?term=202630", ["1003", "1004"]),  # instructor: placed them
    ],
)
def test_a_wide_reach_walks_the_index_and_lists_the_same_orders(
    login_as, count_queries, monkeypatch, user, url, expected
):
    monkeypatch.setattr(reach, "WIDE_AT", 1)  # every reach counts as wide once measured
    client = login_as(user)
    first, plan = _plans(client, count_queries, url)
    assert plan == "set" and numbers(first) == expected  # nothing measured yet: the exact count
    second, plan = _plans(client, count_queries, url)
    assert plan == "walk" and numbers(second) == expected
    assert count_line(second) == count_line(first)


def test_a_narrow_reach_keeps_the_set_and_its_exact_count(login_as, count_queries):
    client = login_as("emmy")
    for _ in range(2):
        response, plan = _plans(client, count_queries, "/orders")
        assert plan == "set" and count_line(response) == "Showing 1–3 of 3 orders"


def test_the_estimate_belongs_to_the_filters(login_as, count_queries, monkeypatch):
    """A wide history does not make a narrowly filtered one walk: each filter set is measured on its own."""
    monkeypatch.setattr(reach, "WIDE_AT", 2)
    client = login_as("grace")
    _plans(client, count_queries, "/orders")  # 2 orders: wide from now on
    assert _plans(client, count_queries, "/orders")[1] == "walk"
    narrow, plan = _plans(client, count_queries, "/orders?q=cs+310")
    assert plan == "set" and numbers(narrow) == ["1002"]
    assert _plans(client, count_queries, "/orders?q=cs+310")[1] == "set"  # 1 order: stays narrow


def test_a_changed_grant_is_measured_again(app, login_as, count_queries, monkeypatch):
    from orders.domain.models import CoordinatorGrant, User
    from orders.extensions import db

    monkeypatch.setattr(reach, "WIDE_AT", 1)
    client = login_as("emmy")
    _plans(client, count_queries, "/orders")
    assert _plans(client, count_queries, "/orders")[1] == "walk"
    with app.app_context():
        emmy = db.session.scalars(db.select(User).where(User.email == "emmy@demo.edu")).one()
        db.session.add(CoordinatorGrant(user_id=emmy.id, subject="CS"))
        db.session.commit()
    response, plan = _plans(client, count_queries, "/orders")
    assert plan == "set" and numbers(response) == ["1005", "1002", "1001", "1003", "1004"]
