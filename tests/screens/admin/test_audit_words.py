"""The audit log reads as words: local times, yes/no, labels for kinds, only the fields that changed,
and the catalog item an approval creates appears (issue 27, item 2)."""
from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from orders.domain.models import AdminAuditEntry, Term
from orders.extensions import db
from tests.helpers import text_of
from tests.screens.no_materials.test_no_materials import row_form
from tests.screens.requests.test_content_requests import flashed_after, seeded  # noqa: F401 (a fixture)

RAW = [
    re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d"),  # an ISO time
    re.compile(r"[\[{]'"),  # a Python list or dict repr
    re.compile(r"\{\}"),
    re.compile(r"section ids", re.I),
    re.compile(
        r"(?<![@\w.])(?:period|grant|user|catalog|institution|sis|no_materials)\.[a-z_]+\b"
    ),  # a kind: grant.removed
]


def audit_text(client) -> str:
    page = text_of(client.get("/admin/audit"))
    return page.split("Before → after", 1)[1].replace(" :", ":")


def assert_readable(text: str) -> None:
    for pattern in RAW:
        assert not pattern.search(text), (pattern.pattern, pattern.search(text).group(0))


def test_a_soft_close_change_alone_is_logged_as_that_in_local_time(app, login_as):
    client = login_as("katherine")
    with app.app_context():
        term = db.session.scalars(select(Term).where(Term.name == "Spring 2027")).one()
        term_id = term.id
    html = client.get(f"/admin/periods/{term_id}").get_data(as_text=True)
    values = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and value and name.group(1) in ("opens", "soft_close", "closes"):
            values[name.group(1)] = value.group(1)
    assert set(values) == {"opens", "soft_close", "closes"}, values
    # The day before the close at 08:00: inside the period at any hour the suite runs (the close
    # itself is "now + 30 days", so 08:00 on its own day is after it when the suite runs before 08:00).
    day_before_close = date.fromisoformat(values["closes"][:10]) - timedelta(days=1)
    new_soft = f"{day_before_close.isoformat()}T08:00"
    response = client.post(f"/admin/periods/{term_id}", data=dict(values, soft_close=new_soft))
    assert response.status_code == 303
    with app.app_context():
        entry = db.session.scalars(select(AdminAuditEntry).order_by(AdminAuditEntry.id.desc())).first()
        assert entry.kind == "period.updated" and set(entry.after) == {"soft_close_at"}
    text = audit_text(client)
    assert "Ordering period changed" in text and "Soft close:" in text
    assert "Opens:" not in text and "Closes:" not in text
    assert re.search(r"Soft close: \w{3} \d+, \d{4}, \d+:\d\d [AP]M C[SD]T → \w{3} \d+, \d{4}, 8:00 AM C[SD]T", text), (
        text
    )
    assert_readable(text)


def test_grants_answers_and_flags_read_as_words(app, login_as, demo_data):
    client = login_as("emmy")
    form = row_form(app, demo_data)  # the MATH 340 row Emmy teaches
    client.post("/no-materials/answer", data=form)
    client.post("/no-materials/undo", data=form)
    client.post("/sign-out")
    admin = login_as("katherine")
    with app.app_context():
        from orders.domain.models import User

        grace = db.session.scalars(select(User).where(User.email == "grace@demo.edu")).one()
        grant = grace.grants[0].id
        grace_id = grace.id
    admin.post(f"/admin/users/{grace_id}/grants/{grant}/remove")
    text = audit_text(admin)
    assert (
        "Coordinator grant removed" in text
        and "“No materials needed” answered" in text
        and "“No materials needed” undone" in text
    )
    assert "Answers: Section 001, answered by Emmy Noether, answered" in text
    assert_readable(text)


def test_the_catalog_item_an_approval_creates_is_in_the_audit_log(app, login_as, seeded):  # noqa: F811
    client = login_as("katherine")
    response = client.post(
        f"/requests/{seeded['R2']}/status",
        data={
            "status": "approved",
            "version": "1",
            "fulfil_with": "new",
            "publisher": "MIT Press",
            "item_edition": "1st",
            "delivery": "eText",
            "price": "42.50",
        },
    )
    assert "The request is now Approved." in flashed_after(client, response)
    text = audit_text(client)
    assert "Catalog item added" in text and "Catalog item 9780804429573 Beta Automata" in text
    assert (
        "Student price: $42.50" in text
        and "From content request: Beta Automata (ISBN 9780804429573), on order #1002" in text
    )
    assert_readable(text)


def test_the_overview_describes_every_area_of_the_back_office(login_as):
    """Issue 37 item 8: the overview described 9 of the areas its own tab bar lists."""
    html = login_as("katherine").get("/admin/").get_data(as_text=True)
    nav = html.split('aria-label="Administration"', 1)[1].split("</nav>", 1)[0]
    areas = [href for href in re.findall(r'href="([^"]+)"', nav) if href != "/admin/"]
    assert len(areas) >= 12
    overview = html.split('class="admin-groups"', 1)[1].split("</main>", 1)[0]
    for href in areas:
        item = re.search(rf'<li><a href="{re.escape(href)}">[^<]+</a><p>([^<]+)</p></li>', overview)
        assert item and len(item.group(1)) > 20, href


def test_every_audit_kind_the_code_writes_has_a_label():
    """A kind without a label read as its code's words ("Progress remind now", "Institution student choice")."""
    from pathlib import Path

    from orders.web.screens.admin.audit_words import KIND_LABELS

    domain = Path(__file__).resolve().parents[3] / "orders" / "domain"
    written = set()
    for path in domain.rglob("*.py"):
        source = path.read_text()
        if "from orders.domain.audit import" in source and "record" in source:
            written |= {k for k in re.findall(r'"([a-z_]+\.[a-z_]+)"', source) if not k.endswith(".csv")}
    assert {"period.updated", "choice.changed", "progress.remind_now"} <= written
    assert written <= set(KIND_LABELS), written - set(KIND_LABELS)


def test_remind_now_and_a_changed_choice_read_as_words_not_ids_or_codes(app, login_as):
    """Issue 37 item 8: Remind now's entry showed "Key: 2" (an organization's id) and a choice "opted_out"."""
    from orders.domain.models import Organization
    from tests.screens.students.test_materials import CALCULUS, ids

    client = login_as("katherine")
    with app.app_context():
        math = db.session.scalars(select(Organization).where(Organization.code == "MATH")).one()
        math_id, math_name = math.id, math.name
    client.post("/progress/remind", data={"term": "202710", "dimension": "organization", "key": str(math_id)})
    mary = ids(app, "mary@demo.edu", "MATH", "221", "001", CALCULUS)
    client.post(
        f"/admin/students/{mary['student']}/{mary['section']}/{mary['item']}/choice",
        data={"student": mary["student"], "version": 0, "reason": "Financial aid covers it"},
    )
    client.post(
        "/admin/student-choice",
        data={
            "program_mode": "opt-in",
            "consent_text": "New consent.",
            "at_risk_threshold_percent": "25",
            "publish_course_materials": "y",
        },
    )
    text = audit_text(client)
    assert f"Remind now (Progress) Spring 2027 progress: Organization {math_name}" in text
    assert "Key:" not in text and "Dimension:" not in text and f": {math_id} " not in text
    assert "A student's choice changed" in text and "Choice: Included → Opted out" in text
    assert "Student choice settings changed" in text and "Program mode: Opt-out → Opt-in" in text
    assert "At-risk threshold (%): 20 → 25" in text
    assert_readable(text)
