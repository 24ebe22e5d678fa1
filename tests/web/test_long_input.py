"""Issue 28 defect 14: a 100 kB query or form value is no 5xx, and never comes back in a header.

The fuzz walk's routes and fields (tests/web/test_input_fuzz.py), each value 100,000 characters,
signed out and as a Program Administrator; every header of every answer stays short.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from devtools import demo
from orders.extensions import db
from orders.web.parsing import MAX_LINK_PARAMETER, MAX_TEXT_PARAMETER
from tests.helpers import DEMO_PASSWORD_HASH, sign_in
from tests.web.test_input_fuzz import FIELDS, LAST, real_ids, url_for_rule

HUGE = "x" * 100_000
HEADER_LIMIT = 2048


def long_requests(app, real: dict):
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint not in ("static", *LAST)]
    for rule in sorted(rules, key=lambda r: r.rule):
        url = url_for_rule(rule.rule, real)
        query = {name: HUGE for name in FIELDS}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                yield rule.endpoint, method, url, {"query_string": query}
                yield rule.endpoint, method, url, {"query_string": {"q": HUGE, "back": "q=" + HUGE}}
            else:
                yield rule.endpoint, method, url, {"data": {"q": HUGE, "back": "q=" + HUGE, "version": "1"}}
                yield rule.endpoint, method, url, {"query_string": {"back": HUGE}, "data": {"q": HUGE}}


@pytest.fixture(scope="module")
def answers(app):
    with app.app_context():
        demo.load_demo(datetime.now(timezone.utc), password_hash=DEMO_PASSWORD_HASH)
        db.session.commit()
        db.session.remove()
    results = []
    for who in (None, "katherine"):
        client = app.test_client()
        if who:
            sign_in(client, who)
        for endpoint, method, url, kwargs in long_requests(app, real_ids(app, client, who)):
            response = client.open(url, method=method, **kwargs)
            response.get_data()
            response.close()
            results.append((who, endpoint, method, response.status_code, dict(response.headers)))
    return results


def test_no_long_value_makes_a_5xx(answers):
    failures = [
        (who, endpoint, method, status)
        for who, endpoint, method, status, _ in answers
        if status >= 500 and endpoint != "ops.readyz"
    ]
    assert failures == []
    assert len({endpoint for _, endpoint, *_ in answers}) > 40  # the walk reached the routes


def test_no_long_value_is_echoed_into_a_header(answers):
    long_headers = [
        (who, endpoint, method, name, len(value))
        for who, endpoint, method, _, headers in answers
        for name, value in headers.items()
        if len(value) > HEADER_LIMIT
    ]
    assert long_headers == []
    redirects = [headers["Location"] for *_, headers in answers if "Location" in headers]
    assert redirects and max(len(location) for location in redirects) < HEADER_LIMIT


def test_long_values_are_cut_to_their_caps_in_one_place(app):
    from flask import request

    query = {"q": "é" * 5000, "back": "b" * 5000, "page": "2"}
    with app.test_request_context(
        "/", query_string=query, method="POST", data={"q": "w" * 5000, "comment": "c" * 5000}
    ):
        app.preprocess_request()
        assert request.args["q"] == "é" * MAX_TEXT_PARAMETER
        assert request.args["back"] == "b" * MAX_LINK_PARAMETER and request.args["page"] == "2"
        assert request.form["q"] == "w" * MAX_TEXT_PARAMETER
        assert request.form["comment"] == "c" * 5000  # not a search: its form's own length rule answers it
