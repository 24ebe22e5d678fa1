"""The cancel rule through the HTTP layer: role x period x status, CSRF, repeats, htmx and plain forms."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from orders.domain.models import EventKind, Order, OrderEvent, OrderStatus, OutboundEmail
from orders.extensions import db
from tests import factories as f
from tests.helpers import text_of

ROLES = ["placer", "instructor_of_record", "covering_coordinator", "other_coordinator", "admin", "unrelated"]
# Who may cancel a placed order, per period state (docs/spec.md §2).
MAY_CANCEL = {
    "open": {"placer", "covering_coordinator", "admin"},
    "closed": {"admin"},
    "upcoming": {"admin"},
}
MAY_VIEW = {"placer", "instructor_of_record", "covering_coordinator", "admin"}


def sign_in_as(client, user):
    response = client.post("/sign-in", data={"email": user.email, "password": "orders-demo"})
    assert response.status_code == 303


def snapshot(order_id: int) -> tuple:
    """Everything a cancel could change."""
    order = db.session.get(Order, order_id)
    db.session.refresh(order)
    events = db.session.scalar(select(func.count()).select_from(OrderEvent).where(OrderEvent.order_id == order_id))
    emails = db.session.scalar(select(func.count()).select_from(OutboundEmail))
    claimed = tuple(link.claimed for link in order.order_sections)
    return order.status, order.version, order.canceled_by_id, events, emails, claimed


@pytest.fixture
def scenario(app, now):
    """Build one order and one user per role; returns (order number, order id, users by role)."""

    def build(period: str, status: OrderStatus):
        with app.app_context():
            f.institution()
            term = f.term(now, state=period)
            users = {
                "placer": f.user("Pat Placer"),
                "instructor_of_record": f.user("Rec Ord"),
                "covering_coordinator": f.user("Cov Erage"),
                "other_coordinator": f.user("Oth Er"),
                "admin": f.user("Ad Min", admin=True),
                "unrelated": f.user("Un Related"),
            }
            f.grant(users["covering_coordinator"], subject="MATH")
            f.grant(users["other_coordinator"], subject="CS")
            s = f.section(term, instructors=(users["placer"], users["instructor_of_record"]))
            order = f.placed_order([s], users["placer"], now, status=status)
            db.session.commit()
            result = (
                order.number,
                order.id,
                {role: type("U", (), {"email": u.email, "name": u.name})() for role, u in users.items()},
            )
            db.session.remove()
            return result

    return build


@pytest.mark.parametrize("status", [OrderStatus.PLACED, OrderStatus.CANCELED], ids=["placed", "canceled"])
@pytest.mark.parametrize("period", ["open", "closed", "upcoming"])
@pytest.mark.parametrize("role", ROLES)
def test_cancel_matrix(app, client, scenario, role, period, status):
    number, order_id, users = scenario(period, status)
    sign_in_as(client, users[role])
    allowed = status is OrderStatus.PLACED and role in MAY_CANCEL[period]
    viewer = role in MAY_VIEW

    summary = client.get(f"/orders/{number}")
    assert summary.status_code == (200 if viewer else 403)
    assert ('id="cancel-order-button"' in summary.get_data(as_text=True)) is allowed

    prompt = client.get(f"/orders/{number}/cancel")
    with app.app_context():
        before = snapshot(order_id)
        version = before[1]
    response = client.post(f"/orders/{number}/cancel", data={"version": str(version)})
    with app.app_context():
        after = snapshot(order_id)

    if allowed:
        assert prompt.status_code == 200 and "Confirm cancellation" in prompt.get_data(as_text=True)
        assert response.status_code == 303
        assert after[0] is OrderStatus.CANCELED and after[1] == version + 1
        assert after[3] == before[3] + 1 and after[4] > before[4]
        assert after[5] == (False,)  # the section is orderable again
        banner = client.get(response.headers["Location"])
        assert f"Order #{number} was canceled." in text_of(banner)
    elif status is OrderStatus.CANCELED and viewer:
        assert prompt.status_code == 303  # no prompt for a canceled order: back to the summary
        assert response.status_code == 303
        assert after == before
        assert "was already canceled by Pat Placer" in text_of(client.get(response.headers["Location"]))
    else:
        assert prompt.status_code == 403 and response.status_code == 403
        assert after == before
        refusal = text_of(response)
        assert "You can't do that" in refusal
        if role in MAY_CANCEL["open"]:  # would be allowed, but the period is not open
            assert "To cancel this order, contact your Program Administrator(s)" in refusal
        elif viewer:
            assert "This order was placed by Pat Placer. They or a Program Administrator can cancel it." in refusal
        else:
            assert "This order is for sections you do not teach or coordinate." in refusal


def test_unknown_order_cancel_is_404(login_as):
    client = login_as("katherine")
    assert client.get("/orders/424242/cancel").status_code == 404
    assert client.post("/orders/424242/cancel", data={"version": "1"}).status_code == 404


def test_withheld_button_explains_why(login_as):
    ada = login_as("ada")
    closed = text_of(ada.get("/orders/1003"))
    assert "Cancel Order" not in closed
    assert "The ordering period for Fall 2026 closed on" in closed
    assert "orders-admin@demo.edu" in closed
    ada.post("/sign-out")
    alan = login_as("alan")
    other = text_of(alan.get("/orders/1002"))
    assert "Cancel Order" not in other
    assert "This order was placed by Grace Hopper. They or a Program Administrator can cancel it." in other


def _counts(app):
    with app.app_context():
        return (
            db.session.scalar(
                select(func.count()).select_from(OrderEvent).where(OrderEvent.kind == EventKind.CANCELED)
            ),
            db.session.scalar(select(func.count()).select_from(OutboundEmail)),
        )


def test_repeated_confirmation_changes_once(app, login_as):
    client = login_as("grace")
    first = client.post("/orders/1002/cancel", data={"version": "1"})
    second = client.post("/orders/1002/cancel", data={"version": "1"})  # back button, resubmit
    assert first.status_code == second.status_code == 303
    events, emails = _counts(app)
    assert events == 1
    assert emails == 2  # receipt to Grace, notice to Alan (instructor of record)
    page = text_of(client.get("/orders/1002"))
    assert "This order was already canceled by Grace Hopper on" in page
    assert "Canceled by Grace Hopper" in page


def test_stale_version_changes_nothing(app, login_as):
    client = login_as("ada")
    response = client.post("/orders/1001/cancel", data={"version": "7"})
    assert response.status_code == 303
    assert "changed while you were looking at it" in text_of(client.get(response.headers["Location"]))
    assert _counts(app) == (0, 0)


def test_htmx_prompt_and_confirmation_are_fragments(app, login_as):
    client = login_as("ada")
    hx = {"HX-Request": "true"}
    prompt = client.get("/orders/1001/cancel", headers=hx)
    html = prompt.get_data(as_text=True)
    assert prompt.status_code == 200 and "<html" not in html
    assert 'role="alertdialog"' in html and "Confirm cancellation" in html and "Keep order" in html
    assert 'hx-post="/orders/1001/cancel"' in html  # the token rides in the same form (see the CSRF test)
    done = client.post("/orders/1001/cancel", data={"version": "1"}, headers=hx)
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and "<html" not in body
    assert 'id="order-summary"' in body and 'role="status"' in body
    assert "Order #1001 was canceled." in body
    assert "Vary" in done.headers and "HX-Request" in done.headers["Vary"]
    again = client.post("/orders/1001/cancel", data={"version": "1"}, headers=hx)
    assert again.status_code == 200 and "already canceled by Ada Lovelace" in again.get_data(as_text=True)
    assert _counts(app) == (1, 1)


def test_plain_post_flashes_banner_once(login_as):
    client = login_as("ada")
    response = client.post("/orders/1001/cancel", data={"version": "1"})
    assert response.status_code == 303 and response.headers["Location"] == "/orders/1001"
    assert "Order #1001 was canceled." in text_of(client.get("/orders/1001"))
    assert "Order #1001 was canceled." not in text_of(client.get("/orders/1001"))


def test_get_never_changes_state(app, login_as):
    client = login_as("katherine")
    for url in ["/", "/orders/1001", "/orders/1001/cancel", "/orders/1003/cancel", "/?term=202630"]:
        client.get(url)
    with app.app_context():
        statuses = set(db.session.scalars(select(Order.status)))
    assert statuses == {OrderStatus.PLACED, OrderStatus.AWAITING_APPROVAL}  # as loaded: #1005 awaits approval
    assert _counts(app) == (0, 0)


def test_csrf_is_required_on_every_post(app, client, demo_data, csrf_on):
    sign_in_page = client.get("/sign-in").get_data(as_text=True)
    assert 'name="csrf_token"' in sign_in_page
    refused_sign_in = client.post("/sign-in", data={"email": "ada@demo.edu", "password": "orders-demo"})
    assert refused_sign_in.status_code == 400
    token = sign_in_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    signed_in = client.post("/sign-in", data={"email": "ada@demo.edu", "password": "orders-demo", "csrf_token": token})
    assert signed_in.status_code == 303
    forged = client.post("/orders/1001/cancel", data={"version": "1"})
    assert forged.status_code == 400
    assert "Your form expired or was not sent from this site." in text_of(forged)
    assert _counts(app) == (0, 0)
    prompt = client.get("/orders/1001/cancel").get_data(as_text=True)
    token = prompt.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    accepted = client.post("/orders/1001/cancel", data={"version": "1", "csrf_token": token})
    assert accepted.status_code == 303
    assert _counts(app) == (1, 1)
    assert client.post("/sign-out").status_code == 400  # sign-out needs the token too


HX = {"HX-Request": "true"}


@pytest.mark.parametrize("headers", [{}, HX], ids=["own-page", "inline"])
def test_the_cancel_prompt_lists_sections_and_materials_both_ways(login_as, headers):
    response = login_as("ada").get("/orders/1001/cancel", headers=headers)
    text = text_of(response)
    for expected in (
        "Cancel order #1001?",
        "Sections being canceled",
        "MATH 221 001",
        "MATH 221 002",
        "Materials being canceled",
        "Calculus: Early Transcendentals",
        "Confirm cancellation",
        "Keep order",
    ):
        assert expected in text, expected
    html = response.get_data(as_text=True)
    # On its own page there is no summary to swap into: a plain form (htmx would fail its target).
    assert ("hx-post=" in html) == bool(headers)
