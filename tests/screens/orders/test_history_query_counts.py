"""Order history runs a fixed number of SQL statements whatever the number of orders (no N+1)."""
from __future__ import annotations

import pytest

from tests.screens.orders.test_history import offering_ids
from tests.web.test_query_counts import count_for, grow

BUDGET = 5  # signed-in user, institution (dates), terms (the Term select), the page, Reorder targets


@pytest.mark.parametrize("user,url,headers", [
    ("katherine", "/orders", {}),
    ("katherine", "/orders?term=202710&q=cs", {}),
    ("katherine", "/orders?status=placed", {"HX-Request": "true"}),
    ("grace", "/orders", {}),
    ("emmy", "/orders", {}),
    ("ada", "/orders", {}),
    ("alan", "/orders", {}),
])
def test_history_query_count_does_not_grow(app, client, demo_data, count_queries, now, user, url, headers):
    client.post("/sign-in", data={"email": f"{user}@demo.edu", "password": "orders-demo"})
    small = _count(client, count_queries, url, headers)
    grow(app, now, 40)
    large = _count(client, count_queries, url, headers)
    assert small == large, f"{url} ran {small} queries with the demo data and {large} with 40 more sections"
    assert large <= BUDGET, f"{url} ran {large} queries (budget {BUDGET})"


def test_second_page_costs_the_same(app, client, demo_data, count_queries, now, monkeypatch):
    monkeypatch.setitem(app.config, "HISTORY_PAGE_SIZE", 5)
    client.post("/sign-in", data={"email": "katherine@demo.edu", "password": "orders-demo"})
    grow(app, now, 40)
    assert _count(client, count_queries, "/orders?page=2", {}) == _count(client, count_queries, "/orders", {}) <= BUDGET


def test_reorder_page_query_count_does_not_grow(app, client, demo_data, count_queries, now):
    client.post("/sign-in", data={"email": "katherine@demo.edu", "password": "orders-demo"})
    course_id, term_id = offering_ids(app, "CS", "150", "202710")
    url = f"/orders/reorder/{course_id}/{term_id}"
    small = _count(client, count_queries, url, {})
    grow(app, now, 40)
    assert _count(client, count_queries, url, {}) == small


def _count(client, count_queries, url, headers):
    if not headers:
        return count_for(client, count_queries, url)
    client.get(url, headers=headers)
    with count_queries() as counter:
        assert client.get(url, headers=headers).status_code == 200
    return counter.count
