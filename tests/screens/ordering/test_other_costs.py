"""Other required costs (issue 35, docs/spec.md §10) on the materials step of ordering and editing, through the HTTP
layer: added and removed with and without htmx, shown on the review page, the summary and in the emails, submitted
with a placed order's edit; every bad amount and description gets a field message and changes nothing."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from orders.domain.models import EventKind, Order, OtherCost, OutboundEmail, PendingEdit
from orders.extensions import db
from orders.worker.delivery import render as render_email
from tests.helpers import open_every_organization, text_of
from tests.screens.ordering.test_ordering import HX, place, ready_draft, start
from tests.screens.orders.test_edit import events_of, follow, version_on

BAD_AMOUNTS = [
    ("-5", "The amount can't be negative."),
    ("-$5.00", "The amount can't be negative."),
    ("$-5", "The amount can't be negative."),
    ("\u22125", "The amount can't be negative."),  # a typographic minus sign
    ("10000.01", "An other required cost can be at most $10,000.00."),
    ("1,000,000", "An other required cost can be at most $10,000.00."),
    ("15.999", "Enter at most two decimals (dollars and cents), like 15.99."),
    ("15.001", "Enter at most two decimals (dollars and cents), like 15.99."),
    ("fifteen", "Enter the amount as a number of dollars, like 15.00."),
    ("1e3", "Enter the amount as a number of dollars, like 15.00."),
    ("NaN", "Enter the amount as a number of dollars, like 15.00."),
    ("Infinity", "Enter the amount as a number of dollars, like 15.00."),
    ("\u0661\u0665", "Enter the amount as a number of dollars, like 15.00."),  # Arabic-Indic digits
    ("15,00", "Enter the amount as a number of dollars, like 15.00."),
    ("", "Enter the amount in dollars, like 15.00."),
    ("\u200b", "Enter the amount in dollars, like 15.00."),
]
BAD_DESCRIPTIONS = [
    ("", "Describe the cost"),
    ("   ", "Describe the cost"),
    ("\u200b\u200d\ufeff", "Describe the cost"),  # zero-width characters only
    ("\u3164\u2800", "Describe the cost"),  # filler characters that render as nothing
    ("\x07\x1b", "Describe the cost"),  # control characters only
    ("x" * 201, "Keep the description under 200 characters."),
]


def costs_of(app, order_id: int) -> list[tuple[str, Decimal]]:
    with app.app_context():
        return [(c.description, c.amount) for c in db.session.scalars(
            select(OtherCost).where(OtherCost.order_id == order_id).order_by(OtherCost.position))]


def version_of(app, order_id: int) -> int:
    with app.app_context():
        return db.session.get(Order, order_id).version


def add_cost(client, url: str, description: str, amount: str, headers=None):
    return client.post(url, data={"description": description, "amount": amount}, headers=headers or {})


# --- A draft ---------------------------------------------------------------------------------------


def test_a_draft_gets_other_costs_without_javascript_and_they_reach_the_receipt(login_as, app):
    client = login_as("ada")
    draft_id = ready_draft(client, app)
    url = f"/ordering/drafts/{draft_id}/other-costs"
    page = text_of(client.get(f"/ordering/drafts/{draft_id}/materials"))
    assert "Other required costs" in page and "never charged through this program" in page

    before = version_of(app, draft_id)
    added = add_cost(client, url, "  Graphing calculator ", "$15")
    assert added.status_code == 303 and added.headers["Location"].endswith("#other-costs")
    assert "Added Graphing calculator ($15.00)." in text_of(client.get(added.headers["Location"]))
    assert costs_of(app, draft_id) == [("Graphing calculator", Decimal("15.00"))]
    assert version_of(app, draft_id) == before + 1  # through the draft's versioned changes

    again = add_cost(client, url, "graphing calculator", "15.00")  # a double submit adds nothing
    assert "Graphing calculator ($15.00) is already on this order." in follow(client, again)
    assert add_cost(client, url, "Software subscription", "1,200.50").status_code == 303
    assert costs_of(app, draft_id) == [
        ("Graphing calculator", Decimal("15.00")),
        ("Software subscription", Decimal("1200.50")),
    ]

    other_amount = add_cost(client, url, "Graphing calculator", "20")
    assert "already on this order at a different amount" in follow(client, other_amount)
    assert len(costs_of(app, draft_id)) == 2

    review = text_of(client.get(f"/ordering/drafts/{draft_id}/review"))
    assert (
        "Other required costs" in review
        and "Graphing calculator $15.00" in review
        and "Software subscription $1,200.50" in review
    )
    assert "Total per student $29.99" in review  # the billed lines only: other costs are never charged here

    placed = place(client, draft_id)
    summary = follow(client, placed)
    assert "Graphing calculator $15.00" in summary and "Software subscription $1,200.50" in summary
    with app.app_context():
        receipt = db.session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "placed_receipt")).one()
        text, html = render_email(receipt)
    assert "Other required costs (every student pays these apart; never charged through this program):" in text
    assert "- Graphing calculator — $15.00" in text and "- Software subscription — $1,200.50" in text
    assert "<li>Graphing calculator — $15.00</li>" in html


def test_removing_a_cost_from_a_draft_with_htmx(login_as, app):
    client = login_as("ada")
    draft_id = ready_draft(client, app)
    added = add_cost(client, f"/ordering/drafts/{draft_id}/other-costs", "Lab kit", "40.00", HX)
    assert added.status_code == 200
    html = added.get_data(as_text=True)
    assert html.startswith('<section id="other-costs"') and 'hx-swap-oob="innerHTML"' in html
    assert "Added Lab kit ($40.00)." in text_of(added) and "Lab kit $40.00" in text_of(added)
    with app.app_context():
        cost_id = db.session.scalars(select(OtherCost.id).where(OtherCost.order_id == draft_id)).one()
    removed = client.post(f"/ordering/drafts/{draft_id}/other-costs/{cost_id}/remove", headers=HX)
    assert removed.status_code == 200 and "Removed Lab kit." in text_of(removed)
    assert costs_of(app, draft_id) == []
    twice = client.post(f"/ordering/drafts/{draft_id}/other-costs/{cost_id}/remove")
    assert "That cost was not on this order." in follow(client, twice)


@pytest.mark.parametrize("amount,message", BAD_AMOUNTS)
@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_a_bad_amount_gets_a_field_message_and_saves_nothing(login_as, app, amount, message, headers):
    client = login_as("ada")
    draft_id = start(client, app)
    before = version_of(app, draft_id)
    response = add_cost(client, f"/ordering/drafts/{draft_id}/other-costs", "Graphing calculator", amount, headers)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in text_of(response) and 'id="cost-amount-error"' in html and 'aria-invalid="true"' in html
    assert "Nothing was added: correct the cost below." in text_of(response)
    assert 'value="Graphing calculator"' in html  # what was typed stays in the form
    assert costs_of(app, draft_id) == [] and version_of(app, draft_id) == before


@pytest.mark.parametrize("description,message", BAD_DESCRIPTIONS)
def test_a_bad_description_gets_a_field_message_and_saves_nothing(login_as, app, description, message):
    client = login_as("ada")
    draft_id = start(client, app)
    response = add_cost(client, f"/ordering/drafts/{draft_id}/other-costs", description, "15.00")
    assert response.status_code == 422 and message in text_of(response)
    assert 'id="cost-description-error"' in response.get_data(as_text=True)
    assert costs_of(app, draft_id) == []


def test_cost_routes_refuse_what_is_not_yours(login_as, app, client):
    ada = login_as("ada")
    draft_id = ready_draft(ada, app)
    assert add_cost(ada, f"/ordering/drafts/{draft_id}/other-costs", "Calculator", "15").status_code == 303
    with app.app_context():
        cost_id = db.session.scalars(select(OtherCost.id).where(OtherCost.order_id == draft_id)).one()
    ada.post("/sign-out")
    login_as("alan")
    assert add_cost(client, f"/ordering/drafts/{draft_id}/other-costs", "Sneaky", "1").status_code == 403
    assert client.post(f"/ordering/drafts/{draft_id}/other-costs/{cost_id}/remove").status_code == 403
    assert add_cost(client, "/ordering/drafts/999999/other-costs", "x", "1").status_code == 404
    assert costs_of(app, draft_id) == [("Calculator", Decimal("15.00"))]


def test_a_placed_drafts_cost_routes_change_nothing(login_as, app):
    client = login_as("ada")
    draft_id = ready_draft(client, app)
    place(client, draft_id)
    response = add_cost(client, f"/ordering/drafts/{draft_id}/other-costs", "Late calculator", "15")
    assert response.status_code in (303, 409)
    assert costs_of(app, draft_id) == []


def test_costs_need_csrf(login_as, app):
    client = login_as("ada")
    draft_id = ready_draft(client, app)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        for url in (f"/ordering/drafts/{draft_id}/other-costs", "/orders/1001/edit/other-costs"):
            forged = add_cost(client, url, "Calculator", "15")
            assert forged.status_code == 400 and "Your form expired" in text_of(forged), url
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(PendingEdit)) == 0
        assert costs_of(app, draft_id) == []
        page = client.get(f"/ordering/drafts/{draft_id}/materials").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        saved = client.post(
            f"/ordering/drafts/{draft_id}/other-costs",
            data={"description": "Calculator", "amount": "15", "csrf_token": token},
        )
        assert saved.status_code == 303 and costs_of(app, draft_id) == [("Calculator", Decimal("15.00"))]
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_at_most_twenty_costs(login_as, app):
    client = login_as("ada")
    draft_id = start(client, app)
    url = f"/ordering/drafts/{draft_id}/other-costs"
    for n in range(20):
        assert add_cost(client, url, f"Fee {n}", "1.00").status_code == 303
    refused = add_cost(client, url, "Fee 21", "1.00")
    assert "An order can list at most 20 other required costs." in follow(client, refused)
    assert len(costs_of(app, draft_id)) == 20


# --- A placed order's edit ------------------------------------------------------------------------


def test_editing_adds_and_removes_costs_on_submit_with_event_and_email(login_as, app):
    open_every_organization(app)  # the change applies at once; review has its own test below
    client = login_as("ada")
    with app.app_context():
        order_id = db.session.scalars(select(Order.id).where(Order.number == 1001)).one()
        calculator = db.session.scalars(select(OtherCost.id).where(OtherCost.order_id == order_id)).one()
    assert costs_of(app, order_id) == [("Graphing calculator", Decimal("15.00"))]  # the demo's (docs/spec.md §5)
    assert "Graphing calculator $15.00" in text_of(client.get("/orders/1001"))
    added = add_cost(client, "/orders/1001/edit/other-costs", "Lab manual printing", "12.50", HX)
    assert added.status_code == 200 and "Added Lab manual printing ($12.50) (not yet submitted)." in text_of(added)
    assert "Add the other required cost Lab manual printing ($12.50)" in text_of(
        added
    )  # the pending changes, out of band
    removed = client.post(f"/orders/1001/edit/other-costs/c{calculator}/remove")
    assert "Removed Graphing calculator (not yet submitted)." in follow(client, removed)
    assert costs_of(app, order_id) == [
        ("Graphing calculator", Decimal("15.00"))
    ]  # nothing changes until Submit changes
    edit_page = client.get("/orders/1001/edit")
    assert "Remove the other required cost Graphing calculator ($15.00)" in text_of(edit_page)
    submitted = client.post("/orders/1001/edit/submit", data={"version": version_on(edit_page.get_data(as_text=True))})
    assert "Order #1001 was updated." in follow(client, submitted)
    assert costs_of(app, order_id) == [("Lab manual printing", Decimal("12.50"))]
    [event] = events_of(app, 1001, EventKind.EDITED)
    assert event.details["added_costs"] == [{"description": "Lab manual printing", "amount": "12.50"}]
    assert event.details["removed_costs"] == [
        {"id": calculator, "description": "Graphing calculator", "amount": "15.00"}
    ]
    summary = text_of(client.get("/orders/1001"))
    assert "Added the other required cost Lab manual printing ($12.50)" in summary
    assert "Removed the other required cost Graphing calculator ($15.00)" in summary
    with app.app_context():
        email = db.session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "changed_receipt")).one()
        text, _ = render_email(email)
        assert db.session.scalar(select(func.count()).select_from(PendingEdit)) == 0
    assert "+ Other required cost added: Lab manual printing — $12.50" in text
    assert "- Other required cost removed: Graphing calculator — $15.00" in text
    assert (
        "- Lab manual printing — $12.50" in text
        and "- Graphing calculator — $15.00\n" not in text.split("The order now")[1]
    )


@pytest.mark.parametrize("amount,message", BAD_AMOUNTS[:6])
def test_editing_refuses_a_bad_amount_with_a_field_message(login_as, app, amount, message):
    client = login_as("ada")
    response = add_cost(client, "/orders/1001/edit/other-costs", "Calculator", amount)
    assert response.status_code == 422 and message in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PendingEdit)) == 0


def test_a_stale_edit_carries_its_costs_onto_the_order_as_it_is(login_as, app, client):
    open_every_organization(app)
    ada = login_as("ada")
    add_cost(ada, "/orders/1001/edit/other-costs", "Lab kit", "30")
    page = ada.get("/orders/1001/edit").get_data(as_text=True)
    with app.app_context():  # someone else changes the order meanwhile
        order = db.session.scalars(select(Order).where(Order.number == 1001)).one()
        order.version += 1
        db.session.add(OtherCost(order_id=order.id, description="Lab kit", amount=Decimal("30.00"), position=9))
        db.session.commit()
        order_id = order.id
    kept = ada.post("/orders/1001/edit/submit", data={"version": version_on(page), "royalty": "no"})
    assert "adding “Lab kit” (someone else already added it)" in follow(ada, kept)
    assert [d for d, _ in costs_of(app, order_id)].count("Lab kit") == 1


def test_costs_in_a_change_awaiting_approval_apply_when_it_is_approved(login_as, app):
    """Mathematics orders under `approval` (docs/spec.md §8): the added cost waits with the change, counts nowhere,
    and lands on the order when Emmy approves the change."""
    ada = login_as("ada")
    add_cost(ada, "/orders/1001/edit/other-costs", "Lab manual printing", "12.50")
    page = ada.get("/orders/1001/edit").get_data(as_text=True)
    assert "submitted for approval" in follow(
        ada, ada.post("/orders/1001/edit/submit", data={"version": version_on(page)})
    )
    with app.app_context():
        order_id = db.session.scalars(select(Order.id).where(Order.number == 1001)).one()
    assert costs_of(app, order_id) == [("Graphing calculator", Decimal("15.00"))]  # not yet
    assert "Lab manual printing" not in text_of(ada.get("/course-materials/202710/202710-MATH-221-001"))
    emmy = login_as("emmy")
    change = re.search(
        r'href="/orders/1001/approve\?change=(\d+)"', emmy.get("/orders/1001").get_data(as_text=True)
    ).group(1)
    done = follow(emmy, emmy.post("/orders/1001/approve", data={"version": "1", "change": change}))
    assert "The changes to order #1001 were approved and applied." in done
    assert costs_of(app, order_id) == [
        ("Graphing calculator", Decimal("15.00")),
        ("Lab manual printing", Decimal("12.50")),
    ]
    public = text_of(ada.get("/course-materials/202710/202710-MATH-221-001"))
    assert "Lab manual printing" in public and "$117.49" in public  # $104.99 + $12.50
