"""Pages run a fixed number of SQL statements whatever the data size (no N+1)."""
from __future__ import annotations

import pytest

from orders.extensions import db
from tests import factories as f


def grow(app, now, extra_sections: int):
    """Add sections, instructors and orders the demo coordinators and admin can all see."""
    with app.app_context():
        term = db.session.execute(db.text("select id from term where code = '202710'")).scalar()
        from orders.domain.models import Term, User

        spring = db.session.get(Term, term)
        grace = db.session.query(User).filter_by(email="grace@demo.edu").one()
        for i in range(extra_sections):
            teacher = f.user(f"Extra{i} Teacher{i}")
            s = f.section(spring, subject="CS", number=f"{400 + i % 7}", label=f"{100 + i}", instructors=(teacher,))
            if i % 2:
                f.placed_order([s], grace if i % 4 == 1 else teacher, now)
        db.session.commit()


# (user, page, most queries allowed): the budgets are Courses <= 6 and order summary <= 5;
# the summary is held at what it takes today (6: the fifth is the per-section student counts, one
# grouped query for every section of the order; the sixth its other required costs, issue 35) so a regression shows.
PAGES = [
    ("katherine", "/", 6),
    ("katherine", "/?instructor=&q=cs&state=ordered", 6),
    ("grace", "/", 6),
    ("ada", "/", 6),
    ("grace", "/orders/1002", 6),
    ("katherine", "/orders/1001", 6),
    ("ada", "/orders/1001/cancel", 4),
    ("grace", "/?instructor=&q=cs", 6),
]


def count_for(client, count_queries, url):
    client.get(url)  # warm caches that are per-process, not per-request
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return counter.count


@pytest.mark.parametrize("user,url,budget", PAGES)
def test_query_count_does_not_grow(app, client, demo_data, count_queries, now, user, url, budget):
    client.post("/sign-in", data={"email": f"{user}@demo.edu", "password": "orders-demo"})
    small = count_for(client, count_queries, url)
    grow(app, now, 40)
    large = count_for(client, count_queries, url)
    assert small == large, f"{url} ran {small} queries with the demo data and {large} with 40 more sections"
    assert large <= budget, f"{url} ran {large} queries (budget {budget})"


@pytest.mark.parametrize("headers,budget", [({}, 9), ({"HX-Request": "true"}, 10)], ids=["plain", "htmx"])
def test_cancel_query_count_does_not_grow(app, client, demo_data, count_queries, now, headers, budget):
    """Cancel: load, guarded update, the feed's change-log row, claims, event, the order's other required costs for
    the emails' snapshot, outbox in one INSERT (htmx also re-renders the summary)."""
    client.post("/sign-in", data={"email": "katherine@demo.edu", "password": "orders-demo"})
    with count_queries() as small:
        assert client.post("/orders/1002/cancel", data={"version": "1"}, headers=headers).status_code in (200, 303)
    grow(app, now, 40)
    with count_queries() as large:
        assert client.post("/orders/1001/cancel", data={"version": "1"}, headers=headers).status_code in (200, 303)
    assert small.count == large.count <= budget


def test_htmx_list_carries_the_instructor_status_at_no_extra_cost(app, client, demo_data, count_queries):
    """The swapped-in list carries the Instructor status line out of band (it follows the term): the
    same queries as the full page, within the Courses budget (no instructor list: the type-ahead asks)."""
    client.post("/sign-in", data={"email": "grace@demo.edu", "password": "orders-demo"})
    counts = {}
    for name, headers in (("page", {}), ("htmx", {"HX-Request": "true"})):
        client.get("/", headers=headers)
        with count_queries() as counter:
            assert client.get("/", headers=headers).status_code == 200
        counts[name] = counter.count
    assert counts["htmx"] == counts["page"] <= 6
