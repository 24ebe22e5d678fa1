"""The back office in a real browser: ordering periods and coordinator grants, with and without
JavaScript, axe on every state, and the 403 for everyone else."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from orders.domain.models import AdminAuditEntry, CoordinatorGrant, Term, User
from orders.extensions import db
from tests.e2e.conftest import assert_axe_clean, sign_in

pytestmark = pytest.mark.e2e

JS_MODES = [pytest.param(True, id="js"), pytest.param(False, id="no-js")]


def open_admin(page: Page, base_url: str) -> None:
    sign_in(page, base_url, "katherine")
    page.get_by_role("link", name="Administration").click()
    expect(page.get_by_role("heading", level=1, name="Administration")).to_be_visible()
    assert_axe_clean(page)


@pytest.mark.parametrize("js", JS_MODES)
def test_set_an_ordering_period(page_for, base_url, app, demo_data, js):
    page = page_for(js)
    open_admin(page, base_url)
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Ordering periods").click()
    expect(page.get_by_role("heading", level=1, name="Ordering periods")).to_be_visible()
    assert_axe_clean(page)
    page.get_by_role("link", name="Edit period for Spring 2027").click()
    expect(page.get_by_role("heading", level=1, name="Spring 2027 ordering period")).to_be_visible()
    assert_axe_clean(page)

    # Soft close after the close: refused, nothing saved, the error next to the field.
    page.get_by_label("Opens").fill("2027-03-01T09:00")
    page.get_by_label("Soft close (optional)").fill("2027-03-25T09:00")
    page.get_by_label("Closes").fill("2027-03-20T17:00")
    page.get_by_role("button", name="Save period").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Nothing was saved: The soft close must not come after the close."
    )
    assert_axe_clean(page)

    page.get_by_label("Soft close (optional)").fill("2027-03-14T09:00")
    page.get_by_role("button", name="Save period").click()
    expect(page.get_by_role("status").filter(has_text="Spring 2027 ordering period saved.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Spring 2027")
    expect(row).to_contain_text("Mar 1, 2027, 9:00 AM CST")
    expect(row).to_contain_text("Mar 14, 2027, 9:00 AM CDT")
    expect(row).to_contain_text("Mar 20, 2027, 5:00 PM CDT")
    assert_axe_clean(page)
    with app.app_context():
        period = db.session.scalars(select(Term).where(Term.code == "202710")).unique().one().period
        assert period.closes_at == datetime(2027, 3, 20, 22, tzinfo=timezone.utc)
        assert [e.kind for e in db.session.scalars(select(AdminAuditEntry)).unique()] == ["period.updated"]


@pytest.mark.parametrize("js", JS_MODES)
def test_add_and_remove_a_coordinator_grant_with_preview(page_for, base_url, app, demo_data, js):
    page = page_for(js)
    open_admin(page, base_url)
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Users and grants").click()
    page.get_by_label("Name or email").fill("alan")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Alan Turing").click()
    expect(page.get_by_role("heading", level=1, name="Alan Turing")).to_be_visible()
    expect(page.get_by_text("Alan Turing has no coordinator grants.")).to_be_visible()
    assert_axe_clean(page)

    preview = page.locator("#grant-preview")
    page.get_by_label("Subject").select_option("MATH")
    if js:  # htmx counts as soon as a dimension changes
        expect(preview).to_have_text("This grant covers 5 sections in Spring 2027.")
        page.get_by_label("Course level").select_option("Graduate")
        expect(preview).to_have_text("This grant covers 0 sections in Spring 2027.")
        page.get_by_label("Course level").select_option("")
        expect(preview).to_have_text("This grant covers 5 sections in Spring 2027.")
    else:  # the Preview button posts the form and saves nothing
        page.get_by_role("button", name="Preview").click()
        expect(preview).to_have_text("This grant covers 5 sections in Spring 2027.")
        expect(page.get_by_label("Subject")).to_have_value("MATH")
    assert_axe_clean(page)

    page.get_by_role("button", name="Add grant").click()
    expect(page.get_by_role("status").filter(has_text="Grant added: subject MATH.")).to_be_visible()
    expect(page.get_by_role("list", name="Coordinator grants")).to_contain_text("subject MATH")
    assert_axe_clean(page)
    page.get_by_role("button", name="Remove grant subject MATH").click()
    expect(page.get_by_role("status").filter(has_text="Grant removed: subject MATH.")).to_be_visible()
    expect(page.get_by_text("Alan Turing has no coordinator grants.")).to_be_visible()
    with app.app_context():
        alan = db.session.scalars(select(User).where(User.email == "alan@demo.edu")).one()
        assert db.session.scalars(select(CoordinatorGrant).where(CoordinatorGrant.user_id == alan.id)).first() is None
        kinds = [e.kind for e in db.session.scalars(select(AdminAuditEntry).order_by(AdminAuditEntry.id)).unique()]
        assert kinds == ["grant.added", "grant.removed"]
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("row").filter(has_text="Coordinator grant removed")).to_contain_text("Katherine Johnson")
    assert_axe_clean(page)


def test_everyone_else_sees_a_403_page_and_no_link(page_for, base_url, demo_data):
    page = page_for(True)
    sign_in(page, base_url, "emmy")
    expect(page.get_by_role("link", name="Administration")).to_have_count(0)
    response = page.goto(f"{base_url}/admin/periods")
    assert response.status == 403
    expect(page.get_by_text("The back office is for Program Administrators only.")).to_be_visible()
    assert_axe_clean(page)


def test_other_admin_screens_are_axe_clean_on_a_small_screen(page_for, base_url, demo_data):
    page = page_for(True)
    page.set_viewport_size({"width": 320, "height": 800})
    sign_in(page, base_url, "katherine")
    for path in [
        "/admin/users",
        "/admin/catalog",
        "/admin/catalog/new",
        "/admin/catalog/import",
        "/admin/institution",
        "/admin/imports",
        "/admin/audit",
        "/admin/periods",
    ]:
        page.goto(f"{base_url}{path}")
        assert_axe_clean(page)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), path
