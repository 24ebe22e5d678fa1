"""The back office of review (docs/spec.md §8), all audited.

Organizations (policy, pre-approved list, royalty threshold), the grants' approval flags; and the approvers'
daily digest from send-reminders.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from orders.cli.reminders import run_once
from orders.domain.models import (
    AdminAuditEntry,
    CatalogItem,
    CoordinatorGrant,
    Institution,
    OrderingPolicy,
    Organization,
    OutboundEmail,
    PreApprovedItem,
    User,
)
from orders.extensions import db
from orders.worker.delivery import render as render_email
from tests.helpers import text_of


def audit(app, kind: str) -> list[AdminAuditEntry]:
    with app.app_context():
        found = list(
            db.session.scalars(select(AdminAuditEntry).where(AdminAuditEntry.kind == kind).order_by(AdminAuditEntry.id))
        )
        for entry in found:
            db.session.expunge(entry)
        return found


def organization_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalars(select(Organization.id).where(Organization.code == code)).one()


def listed(app, code: str) -> list[str]:
    with app.app_context():
        return sorted(
            db.session.scalars(
                select(CatalogItem.title)
                .join(PreApprovedItem, PreApprovedItem.catalog_item_id == CatalogItem.id)
                .join(Organization, Organization.id == PreApprovedItem.organization_id)
                .where(Organization.code == code)
            )
        )


def isbn_of(app, title: str) -> str:
    with app.app_context():
        return db.session.scalars(select(CatalogItem.isbn13).where(CatalogItem.title == title)).one()


def test_organizations_show_their_policies(login_as):
    page = text_of(login_as("katherine").get("/admin/organizations"))
    assert "Department of Computer Science CS Open 0" in page and "Department of Mathematics MATH Approval 0" in page


@pytest.mark.parametrize("user", ["ada", "emmy", "grace"])
def test_organizations_are_for_program_administrators(login_as, app, user):
    client = login_as(user)
    math = organization_id(app, "MATH")
    assert client.get("/admin/organizations").status_code == 403
    assert client.post(f"/admin/organizations/{math}/policy", data={"policy": "open"}).status_code == 403
    with app.app_context():
        assert db.session.get(Organization, math).ordering_policy is OrderingPolicy.APPROVAL


def test_a_policy_change_is_audited_and_a_bad_value_refused(login_as, app):
    client = login_as("katherine")
    cs = organization_id(app, "CS")
    bogus = client.post(f"/admin/organizations/{cs}/policy", data={"policy": "anything"})
    assert bogus.status_code == 422 and "Not a valid choice" in text_of(bogus)
    assert client.post(f"/admin/organizations/{cs}/policy", data={"policy": "pre_approved_list"}).status_code == 303
    assert "Department of Computer Science: ordering policy Pre-approved list." in text_of(
        client.get(f"/admin/organizations/{cs}")
    )
    [entry] = audit(app, "organization.policy")
    assert (entry.before, entry.after) == ({"policy": "Open"}, {"policy": "Pre-approved list"})
    assert "Ordering policy changed" in text_of(client.get("/admin/audit"))
    assert client.get("/admin/organizations/999999").status_code == 404


def test_the_pre_approved_list_search_add_remove(login_as, app):
    client = login_as("katherine")
    math = organization_id(app, "MATH")
    found = client.get(f"/admin/organizations/{math}?q=calculus").get_data(as_text=True)
    assert "Thomas&#39; Calculus" in found and 'name="item_id"' in found
    with app.app_context():
        thomas = db.session.scalars(select(CatalogItem.id).where(CatalogItem.title == "Thomas' Calculus")).one()
    for _ in range(2):  # the second is a calm no-op
        assert client.post(f"/admin/organizations/{math}/list", data={"item_id": str(thomas)}).status_code == 303
    assert listed(app, "MATH") == ["Thomas' Calculus"]
    assert "“Thomas' Calculus” is already on the list." in text_of(client.get(f"/admin/organizations/{math}"))
    assert client.post(f"/admin/organizations/{math}/list", data={"item_id": "x"}).status_code == 303
    assert "That item is not in the catalog." in text_of(client.get(f"/admin/organizations/{math}"))
    assert client.post(f"/admin/organizations/{math}/list/{thomas}/remove").status_code == 303
    assert listed(app, "MATH") == []
    assert [e.kind for e in audit(app, "pre_approved.added") + audit(app, "pre_approved.removed")] == [
        "pre_approved.added",
        "pre_approved.removed",
    ]


def test_a_csv_of_isbns_is_imported_whole_or_not_at_all(login_as, app):
    client = login_as("katherine")
    cs = organization_id(app, "CS")
    python, sipser = isbn_of(app, "Python Crash Course"), isbn_of(app, "Introduction to the Theory of Computation")

    def upload(text: str):
        return client.post(
            f"/admin/organizations/{cs}/list/import",
            data={"file": (io.BytesIO(text.encode()), "list.csv")},
            content_type="multipart/form-data",
        )

    bad = upload(f"isbn\n{python}\n978-0-00-000000-1\n")
    assert bad.status_code == 422 and "Row 3: “978-0-00-000000-1” is not a valid ISBN-10 or ISBN-13." in text_of(bad)
    unknown = upload("isbn\n9780306406157\n")
    assert unknown.status_code == 422 and "Not in the catalog: 9780306406157" in text_of(unknown)
    assert listed(app, "CS") == []
    ok = upload(f"isbn\n{python}\n{sipser[:3]}-{sipser[3:]}\n{python}\n")
    assert ok.status_code == 303
    assert "Imported: 2 added to the pre-approved list, 0 already on it." in text_of(
        client.get(f"/admin/organizations/{cs}")
    )
    assert listed(app, "CS") == ["Introduction to the Theory of Computation", "Python Crash Course"]
    [entry] = audit(app, "pre_approved.imported")
    assert entry.after["added"] == [python, sipser]
    assert (
        client.post(f"/admin/organizations/{cs}/list/import", data={}, content_type="multipart/form-data").status_code
        == 422
    )


def test_the_royalty_threshold_is_a_setting(login_as, app):
    client = login_as("katherine")
    missing = client.post("/admin/organizations", data={"review": "above", "amount": ""})
    assert missing.status_code == 422 and "Enter the amount above which a royalty Yes is reviewed" in text_of(missing)
    wrong = client.post("/admin/organizations", data={"review": "above", "amount": "five hundred"})
    assert wrong.status_code == 422
    assert client.post("/admin/organizations", data={"review": "above", "amount": "500"}).status_code == 303
    with app.app_context():
        assert str(db.session.scalars(select(Institution.royalty_review_threshold)).one()) == "500.00"
    [entry] = audit(app, "institution.royalty_threshold")
    assert entry.after == {"royalty_review": "above $500.00 per section"}
    assert client.post("/admin/organizations", data={"review": "always", "amount": "500"}).status_code == 303
    with app.app_context():
        assert db.session.scalars(select(Institution.royalty_review_threshold)).one() is None


def test_grants_carry_approval_flags(login_as, app):
    client = login_as("katherine")
    with app.app_context():
        grace = db.session.scalars(select(User).where(User.email == "grace@demo.edu")).one()
        grant_id = db.session.scalars(select(CoordinatorGrant.id).where(CoordinatorGrant.user_id == grace.id)).one()
        grace_id = grace.id
    page = text_of(client.get(f"/admin/users/{grace_id}"))
    assert "May approve" in page and "May review royalties" in page
    assert (
        client.post(f"/admin/users/{grace_id}/grants/{grant_id}/flags", data={"may_review_royalties": "y"}).status_code
        == 303
    )
    assert "subject CS (may review royalties)" in text_of(client.get(f"/admin/users/{grace_id}"))
    [entry] = audit(app, "grant.flags_changed")
    assert (entry.before, entry.after) == (
        {"may_approve": False, "may_review_royalties": False},
        {"may_approve": False, "may_review_royalties": True},
    )
    added = client.post(
        f"/admin/users/{grace_id}",
        data={"subject": "MATH", "level": "", "organization": "", "campus": "", "may_approve": "y"},
    )
    assert added.status_code == 303
    assert "Grant added: subject MATH (may approve)." in text_of(client.get(f"/admin/users/{grace_id}"))
    assert "/approvals" in login_as("grace").get("/").get_data(as_text=True)  # an approver now


# --- The approvers' daily digest --------------------------------------------------------------------------------------


def test_the_daily_digest_lists_what_waited_more_than_three_days_once_a_day(app, demo_data, now):
    with app.app_context():
        lines = run_once(now)
        assert any("Approvals: a digest of what has waited more than 3 days to 1 approver." in line for line in lines)
        [digest] = db.session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "review_digest")).all()
        assert digest.recipient == "emmy@demo.edu"  # Emmy's grant may approve MATH; #1005 was submitted 4 days ago
        assert digest.subject == "1 order awaiting your approval for more than 3 days"
        assert "Order #1005: MATH 110 College Algebra, Spring 2027" in digest.body_text
        assert "Submitted by Sophie Germain" in digest.body_text
        rerun = run_once(now + timedelta(minutes=5))
        assert any("to 0 approvers. 1 already had today's." in line for line in rerun)
        assert db.session.query(OutboundEmail).filter_by(kind="review_digest").count() == 1  # once a day
        run_once(now + timedelta(days=1))
        assert db.session.query(OutboundEmail).filter_by(kind="review_digest").count() == 2  # the next day again
        db.session.remove()


def test_the_digest_leaves_out_what_waited_less(app, demo_data, now):
    with app.app_context():
        run_once(now - timedelta(days=2))  # #1005 had waited 2 days then
        assert db.session.query(OutboundEmail).filter_by(kind="review_digest").count() == 0
        db.session.remove()


def test_the_returned_email_shows_the_reason_once_in_each_part(app, login_as):
    """Sophie's "Order #1005 was returned": the reason once in the HTML part and once in the text part."""
    emmy = login_as("emmy")
    emmy.post("/orders/1005/return", data={"version": "1", "reason": "Add the workbook"})
    with app.app_context():
        email = db.session.scalars(select(OutboundEmail)).one()
        rendered = render_email(email, app)
        assert rendered.html.count("Add the workbook") == 1 and rendered.text.count("Add the workbook") == 1
