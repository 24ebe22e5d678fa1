"""The order summary: everything the spec lists, a 404 for an unknown order and a 403 for an unrelated one."""
from __future__ import annotations

from tests.helpers import text_of


def test_order_summary_shows_everything(login_as):
    client = login_as("grace")
    page = text_of(client.get("/orders/1002"))
    for fact in [
        "Order #1002", "Placed", "CS 310 Theory of Computation", "Spring 2027", "Regular Academic Session",
        "Alan Turing", "Introduction to the Theory of Computation", "9781335990327",
        "Placed by Grace Hopper", "On behalf of Alan Turing", "$92.25", "$150.25",
    ]:
        assert fact in page, fact


def test_unknown_order_is_404_and_unrelated_order_is_403(login_as):
    client = login_as("alan")
    missing = client.get("/orders/99999")
    assert missing.status_code == 404
    assert "There is no order #99999." in text_of(missing)
    refused = client.get("/orders/1001")
    assert refused.status_code == 403
    assert "do not teach or coordinate" in text_of(refused)
    assert "Traceback" not in refused.get_data(as_text=True)
