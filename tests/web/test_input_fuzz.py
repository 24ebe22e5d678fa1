"""No input makes a 500 (docs/spec.md §7): every route in app.url_map, every method, odd values everywhere.

Signed out, as an instructor, as a Program Administrator and as a student, each URL argument, query argument and
form field gets values probing found: ids past int4 and int8, unicode digits, 5,000 digits, NUL
bytes, other scripts, and bodies past MAX_CONTENT_LENGTH. Runs on SQLite and, with
TEST_DATABASE_URL, on PostgreSQL (where int4 overflow and NUL bytes used to fail inside queries).
"""
from __future__ import annotations

import itertools
import re
from collections import Counter

import pytest
from sqlalchemy import select

from devtools import demo
from orders.domain.models import CatalogItem, Course, Section, Term
from orders.domain.reminders.remind_now import DIMENSIONS
from orders.extensions import db
from tests.helpers import sign_in

ODD_VALUES = [
    str(2**31),  # one past int4
    str(2**63),  # one past int8
    "-1",
    "²",  # str.isdigit() says yes, int() says no
    "١٠٠١",  # Arabic-Indic digits: both say yes
    "9" * 5000,  # int() refuses more than 4,300 digits
    "1\x00",
    "é🙂",
]
# Every query and form name a view reads (grep request.args / request.form / form fields).
FIELDS = [
    "page",
    "instructor",
    "q",
    "term",
    "state",
    "back",
    "step",
    "next",
    "version",
    "item_id",
    "section",
    "email",
    "password",
    "student",
    "reason",
    "opens",
    "closes",
    "program_mode",
    "consent_text",
    "at_risk_threshold_percent",
    "dimension",
    "key",
]
# A view that reads one field only once another names something real (Progress's "Remind now" reads `key`
# once `term` and `dimension` are valid) gets each odd value again under each real context, per screen.
CONTEXTS = {"progress": [{"term": "202710", "dimension": dimension} for dimension in DIMENSIONS]}
URL_ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>")


# Routes that end what the others need (the draft, the order, the session) go last.
LAST = ("orders.cancel", "ordering.place", "ordering.discard", "auth.sign_out")


def url_for_rule(rule: str, value: str | dict) -> str:
    """The rule with every argument set to `value` (or, from a dict, each argument's own value)."""
    return URL_ARGUMENT.sub(lambda m: value.get(m.group(2), "1") if isinstance(value, dict) else value, rule)


def requests_for(app, real: dict):
    """(method, url, kwargs) for every route: odd path arguments, odd query values, odd forms, a huge body.

    `real` holds ids that exist (an order, the user's draft, a course, term and catalog item), so the
    odd query and form values reach the views' own parsing, not only the 404 of an unknown id.
    """
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    for rule in sorted(
        rules, key=lambda r: (r.endpoint in LAST, LAST.index(r.endpoint) if r.endpoint in LAST else 0, r.rule)
    ):
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        base = url_for_rule(rule.rule, real)
        for method in methods:
            for value in ODD_VALUES if rule.arguments else []:
                url = url_for_rule(rule.rule, value)
                yield (
                    rule.endpoint,
                    method,
                    url,
                    ({} if method == "GET" else {"data": {name: value for name in FIELDS}}),
                )
            for value, context in itertools.product(ODD_VALUES, [{}, *CONTEXTS.get(rule.endpoint.split(".")[0], [])]):
                query = {**{name: value for name in FIELDS if name != "next"}, **context}
                if method == "GET":
                    yield rule.endpoint, method, base, {"query_string": query}
                else:
                    form = {**{name: value for name in FIELDS}, "section": [value, real["section_id"]], **context}
                    yield rule.endpoint, method, base, {"query_string": query, "data": form}
            if method == "POST":
                yield rule.endpoint, method, base, {"data": {"q": "x" * (2 * 1024 * 1024)}}
                yield (
                    rule.endpoint,
                    method,
                    base,
                    {"data": b"\xff\xfe" * 10, "content_type": "application/x-www-form-urlencoded"},
                )
                yield rule.endpoint, method, base, {"data": "not json", "content_type": "application/json"}


def real_ids(app, client, who: str | None) -> dict:
    """Ids that exist for this user; a fresh draft of MATH 221 for Spring 2027 when signed in."""
    with app.app_context():
        course_id, term_id, section_id = db.session.execute(
            select(Course.id, Term.id, Section.id)
            .join(Section, Section.course_id == Course.id)
            .join(Term, Term.id == Section.term_id)
            .where(Course.subject == "MATH", Course.number == "221", Term.code == "202710")
            .limit(1)
        ).one()
        item_id = db.session.scalar(select(CatalogItem.id).where(CatalogItem.active.is_(True)).limit(1))
    draft_id = "1"
    if who and who != "mary":  # a student starts no draft
        response = client.post(f"/ordering/start/{course_id}/{term_id}")
        match = re.search(r"/ordering/drafts/(\d+)/", response.headers.get("Location", ""))
        assert match, (response.status_code, response.headers.get("Location"))
        draft_id = match.group(1)
    return {
        "number": "1001",
        "draft_id": draft_id,
        "course_id": str(course_id),
        "term_id": str(term_id),
        "item_id": str(item_id),
        "section_id": str(section_id),
    }


def walk(app, client, real: dict) -> tuple[Counter, list[str]]:
    """Every request once; (statuses, the requests answered 5xx)."""
    statuses: Counter = Counter()
    failures = []
    for endpoint, method, url, kwargs in requests_for(app, real):
        response = client.open(url, method=method, **kwargs)
        response.get_data()  # a streamed body (the CSV) runs to its end here: an error mid-stream counts
        response.close()
        statuses[response.status_code] += 1
        if endpoint == "ops.readyz" and response.status_code == 503 and response.is_json:
            assert response.json["failing"], response.json  # not ready is an answer, naming the failing check
            continue
        if response.status_code >= 500:
            line = f"{endpoint}: {method} {url[:80]} {str(kwargs)[:160]} -> {response.status_code}"
            failures.append(line)
    return statuses, failures


@pytest.mark.parametrize("who", [None, "ada", "katherine", "mary"], ids=["signed-out", "ada", "katherine", "mary"])
def test_no_input_makes_a_500(app, demo_data, monkeypatch, who):
    """One walk per user, so parallel workers share the ~6,000 requests."""
    # The walk is about answers, not timing: odd sign-in attempts skip the deliberately slow hash.
    monkeypatch.setattr(
        "orders.web.screens.auth.views.check_password_hash", lambda stored, given: given == demo.DEMO_PASSWORD
    )
    client = app.test_client()
    if who:
        sign_in(client, who)
    totals, failures = walk(app, client, real_ids(app, client, who))
    print(
        f"fuzz walk as {who or 'signed out'}: {sum(totals.values())} requests, statuses {dict(sorted(totals.items()))}"
    )
    assert failures == [], f"{len(failures)} requests answered 5xx:\n" + "\n".join(failures[:40])
    assert totals[413] > 0 and totals[400] > 0 and totals[404] > 0
    assert totals[200] > 10, totals  # the walk reached real pages (14 signed out, 21 as Mary), not only refusals
