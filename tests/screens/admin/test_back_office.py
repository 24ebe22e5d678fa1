"""The back office through HTTP: every action, every refusal.

Nothing changed on a refusal, one audit entry per change.
"""

from __future__ import annotations

import io
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from orders.domain.formats import isbn
from orders.domain.models import AdminAuditEntry, CatalogItem, CoordinatorGrant, Institution, Term, User
from orders.extensions import db
from tests.screens.requests.test_content_requests import seeded  # noqa: F401 (a fixture)

ADMIN_GETS = [
    "/admin/",
    "/admin/periods",
    "/admin/periods/{term}",
    "/admin/users",
    "/admin/users/{user}",
    "/admin/users/{user}/grant-preview",
    "/admin/catalog",
    "/admin/catalog/new",
    "/admin/catalog/{item}",
    "/admin/catalog/import",
    "/admin/institution",
    "/admin/imports",
    "/admin/audit",
]
ADMIN_POSTS = [
    "/admin/periods/{term}",
    "/admin/users/{user}",
    "/admin/users/{user}/grants/{grant}/remove",
    "/admin/users/{user}/activate",
    "/admin/users/{user}/deactivate",
    "/admin/users/{user}/grant-admin",
    "/admin/users/{user}/revoke-admin",
    "/admin/catalog/new",
    "/admin/catalog/{item}",
    "/admin/catalog/{item}/deactivate",
    "/admin/catalog/{item}/reactivate",
    "/admin/catalog/import",
    "/admin/institution",
]


def _ids(app):
    with app.app_context():
        term = db.session.scalars(select(Term).where(Term.code == "202710")).unique().one()
        emmy = db.session.scalars(select(User).where(User.email == "emmy@demo.edu")).one()
        grant = db.session.scalars(select(CoordinatorGrant).where(CoordinatorGrant.user_id == emmy.id)).unique().first()
        item = db.session.scalars(select(CatalogItem).order_by(CatalogItem.id)).first()
        return {"term": term.id, "user": emmy.id, "grant": grant.id, "item": item.id}


def _audit(app) -> list[AdminAuditEntry]:
    with app.app_context():
        return list(db.session.scalars(select(AdminAuditEntry).order_by(AdminAuditEntry.id)).unique())


def _snapshot(app) -> tuple:
    """Everything the back office can change, to prove a refused request changed nothing."""
    with app.app_context():
        db.session.expire_all()
        return (
            [(u.id, u.active, u.is_program_admin) for u in db.session.scalars(select(User).order_by(User.id))],
            [
                (g.id, g.user_id, g.subject)
                for g in db.session.scalars(select(CoordinatorGrant).order_by(CoordinatorGrant.id)).unique()
            ],
            [
                (t.id, t.period and (t.period.opens_at, t.period.soft_close_at, t.period.closes_at))
                for t in db.session.scalars(select(Term).order_by(Term.id)).unique()
            ],
            [
                (i.id, i.title, i.isbn13, i.student_price, i.active)
                for i in db.session.scalars(select(CatalogItem).order_by(CatalogItem.id))
            ],
            [
                (i.name, i.timezone, i.contact_email, i.reminders_enabled)
                for i in db.session.scalars(select(Institution))
            ],
            db.session.scalar(select(func.count()).select_from(AdminAuditEntry)),
        )


# --- Who may enter ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["ada", "emmy", "grace"])
def test_everyone_but_program_administrators_gets_403_even_with_forged_posts(app, login_as, who):
    client = login_as(who)
    ids = _ids(app)
    before = _snapshot(app)
    for url in ADMIN_GETS:
        response = client.get(url.format(**ids))
        assert response.status_code == 403, url
        assert "Program Administrators only" in response.get_data(as_text=True)
    forged = {
        "opens": "2027-01-01T09:00",
        "closes": "2027-02-01T09:00",
        "subject": "",
        "level": "",
        "organization": "",
        "campus": "",
        "term": str(ids["term"]),
        "title": "X",
        "name": "Hacked",
        "timezone": "UTC",
        "contact_email": "x@y.z",
    }
    for url in ADMIN_POSTS:
        assert client.post(url.format(**ids), data=forged).status_code == 403, url
    assert _snapshot(app) == before


def test_header_link_only_for_program_administrators(login_as):
    client = login_as("ada")
    assert "Administration" not in client.get("/").get_data(as_text=True)
    client.post("/sign-out")
    client = login_as("katherine")
    page = client.get("/").get_data(as_text=True)
    assert '<li><a href="/admin/">Administration</a></li>' in page


def test_every_screen_renders_for_a_program_administrator(app, login_as):
    client = login_as("katherine")
    ids = _ids(app)
    for url in ADMIN_GETS:
        response = client.get(url.format(**ids))
        assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])


def test_unknown_and_out_of_range_ids_are_404(login_as):
    client = login_as("katherine")
    for url in [
        "/admin/periods/999999",
        "/admin/users/99999999999999999999",
        "/admin/catalog/0",
        "/admin/users/1/grant-preview?term=abc\x00",
    ]:
        assert client.get(url).status_code in (400, 404, 422, 200), url
    assert client.get("/admin/periods/99999999999999999999").status_code == 404
    assert client.post("/admin/users/99999999999/deactivate").status_code == 404


# --- Ordering periods ---------------------------------------------------------------------------------------


def test_period_is_entered_in_the_institutions_timezone_and_stored_utc(app, login_as):
    client = login_as("katherine")
    term = _ids(app)["term"]
    response = client.post(
        f"/admin/periods/{term}",
        data={"opens": "2027-03-01T09:00", "soft_close": "2027-03-14T09:00", "closes": "2027-03-20T17:00"},
    )
    assert response.status_code == 303
    with app.app_context():
        period = db.session.get(Term, term).period
        # Chicago: CST (UTC-6) before March 14, 2027, CDT (UTC-5) from 2 AM that day.
        assert period.opens_at == datetime(2027, 3, 1, 15, 0, tzinfo=timezone.utc)
        assert period.soft_close_at == datetime(2027, 3, 14, 14, 0, tzinfo=timezone.utc)
        assert period.closes_at == datetime(2027, 3, 20, 22, 0, tzinfo=timezone.utc)
    entry = _audit(app)[-1]
    assert entry.kind == "period.updated" and entry.target == "Spring 2027 ordering period"
    assert entry.after["closes_at"] == "2027-03-20T22:00:00+00:00"
    assert entry.before["closes_at"] != entry.after["closes_at"]
    page = client.get("/admin/periods").get_data(as_text=True)
    assert "Mar 20, 2027, 5:00 PM CDT" in page


@pytest.mark.parametrize(
    "values, message",
    [
        ({"opens": "2027-03-10T09:00", "soft_close": "", "closes": "2027-03-01T09:00"}, "open before it closes"),
        (
            {"opens": "2027-03-01T09:00", "soft_close": "2027-03-25T09:00", "closes": "2027-03-20T09:00"},
            "must not come after the close",
        ),
        (
            {"opens": "2027-03-01T09:00", "soft_close": "2027-03-01T09:00", "closes": "2027-03-20T09:00"},
            "after the opening",
        ),
        (
            {"opens": "2027-03-14T02:30", "soft_close": "", "closes": "2027-03-20T09:00"},
            "does not exist in America/Chicago",
        ),
        ({"opens": "yesterday", "soft_close": "", "closes": "2027-03-20T09:00"}, "Enter a date and time"),
        ({"opens": "", "soft_close": "", "closes": "2027-03-20T09:00"}, "Enter when ordering opens"),
        ({"opens": "２０２７-03-01T09:00", "soft_close": "", "closes": "2027-03-20T09:00"}, "Enter a date and time"),
    ],
)
def test_invalid_periods_save_nothing(app, login_as, values, message):
    client = login_as("katherine")
    term = _ids(app)["term"]
    before = _snapshot(app)
    response = client.post(f"/admin/periods/{term}", data=values)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert "Nothing was saved" in response.get_data(as_text=True)
    assert _snapshot(app) == before


def test_soft_close_defaults_to_close_and_a_term_without_period_gets_one(app, login_as):
    client = login_as("katherine")
    with app.app_context():
        term = Term(
            code="202810",
            name="Spring 2028",
            starts_on=datetime(2028, 1, 18).date(),
            ends_on=datetime(2028, 5, 12).date(),
        )
        db.session.add(term)
        db.session.commit()
        term_id = term.id
    assert (
        client.post(
            f"/admin/periods/{term_id}",
            data={"opens": "2027-11-01T08:00", "soft_close": "", "closes": "2027-12-01T08:00"},
        ).status_code
        == 303
    )
    with app.app_context():
        period = db.session.get(Term, term_id).period
        assert period.soft_close_at is None and period.deadline == period.closes_at
    assert _audit(app)[-1].kind == "period.created"
    # Saving the same values again is no change and writes no entry.
    count = len(_audit(app))
    client.post(
        f"/admin/periods/{term_id}", data={"opens": "2027-11-01T08:00", "soft_close": "", "closes": "2027-12-01T08:00"}
    )
    assert len(_audit(app)) == count


def test_closing_a_period_takes_effect_at_once(app, login_as, client):
    login_as("katherine")
    term = _ids(app)["term"]
    client.post(
        f"/admin/periods/{term}", data={"opens": "2026-01-01T09:00", "soft_close": "", "closes": "2026-02-01T09:00"}
    )
    client.post("/sign-out")
    from tests.helpers import sign_in

    sign_in(client, "ada")
    summary = client.get("/orders/1001").get_data(as_text=True)
    assert "Cancel Order" not in summary


# --- Coordinator grants -----------------------------------------------------------------------------------------


def test_grant_preview_counts_sections_in_the_term(app, login_as):
    client = login_as("katherine")
    ids = _ids(app)
    page = client.get(
        f"/admin/users/{ids['user']}/grant-preview?subject=MATH&level=&organization=&campus=&term={ids['term']}",
        headers={"HX-Request": "true"},
    )
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and body.lstrip().startswith('<p id="grant-preview"')
    assert "covers <strong>5</strong> sections in Spring 2027" in body  # MATH 221 x3, MATH 340, MATH 110 (Sophie's)
    cs = client.get(
        f"/admin/users/{ids['user']}/grant-preview?subject=CS&term={ids['term']}", headers={"HX-Request": "true"}
    )
    assert "<strong>3</strong> sections" in cs.get_data(as_text=True)
    # Without JavaScript the Preview button posts the form: the page shows the count and saves nothing.
    count = len(_audit(app))
    no_js = client.post(
        f"/admin/users/{ids['user']}",
        data={"subject": "CS", "level": "", "organization": "", "campus": "", "term": ids["term"], "preview": "1"},
    )
    assert no_js.status_code == 200 and "<strong>3</strong> sections in Spring 2027" in no_js.get_data(as_text=True)
    assert len(_audit(app)) == count


def test_add_and_remove_a_grant_writes_audit_entries(app, login_as):
    client = login_as("katherine")
    ids = _ids(app)
    with app.app_context():
        alan = db.session.scalars(select(User).where(User.email == "alan@demo.edu")).one().id
    response = client.post(
        f"/admin/users/{alan}",
        data={"subject": "MATH", "level": "Graduate", "organization": "", "campus": "", "term": ids["term"]},
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Grant added: subject MATH, Graduate." in page
    entry = _audit(app)[-1]
    assert entry.kind == "grant.added" and entry.after == {
        "subject": "MATH",
        "level": "Graduate",
        "organization": None,
        "campus": None,
        "may_approve": False,
        "may_review_royalties": False,
    }
    # The same scope twice is refused.
    again = client.post(f"/admin/users/{alan}", data={"subject": "MATH", "level": "Graduate", "term": ids["term"]})
    assert again.status_code == 422 and "already has this grant" in again.get_data(as_text=True)
    with app.app_context():
        grant = db.session.scalars(select(CoordinatorGrant).where(CoordinatorGrant.user_id == alan)).unique().one()
        grant_id = grant.id
    assert client.post(f"/admin/users/{alan}/grants/{grant_id}/remove").status_code == 303
    with app.app_context():
        assert db.session.get(CoordinatorGrant, grant_id) is None
    entry = _audit(app)[-1]
    assert entry.kind == "grant.removed" and entry.before["subject"] == "MATH" and entry.after is None


def test_a_new_grant_shows_on_the_coordinators_courses_screen_at_once(app, login_as, client):
    login_as("katherine")
    ids = _ids(app)
    with app.app_context():
        alan = db.session.scalars(select(User).where(User.email == "alan@demo.edu")).one().id
    client.post(f"/admin/users/{alan}", data={"subject": "MATH", "term": ids["term"]})
    client.post("/sign-out")
    from tests.helpers import sign_in

    sign_in(client, "alan")
    assert "MATH 340" in client.get("/").get_data(as_text=True)


def test_grant_remove_refuses_another_users_grant_and_bad_choices(app, login_as):
    client = login_as("katherine")
    ids = _ids(app)
    with app.app_context():
        ada = db.session.scalars(select(User).where(User.email == "ada@demo.edu")).one().id
    before = _snapshot(app)
    assert client.post(f"/admin/users/{ada}/grants/{ids['grant']}/remove").status_code == 404
    bad = client.post(f"/admin/users/{ada}", data={"subject": "NOPE", "term": ids["term"]})
    assert bad.status_code == 422 and "Not a valid choice" in bad.get_data(as_text=True)
    assert _snapshot(app) == before


# --- Users ---------------------------------------------------------------------------------------------------------


def test_user_search_finds_by_name_and_email(login_as):
    client = login_as("katherine")
    assert "Grace Hopper" in client.get("/admin/users?q=hopper").get_data(as_text=True)
    page = client.get("/admin/users?q=ALAN@demo").get_data(as_text=True)
    assert "Alan Turing" in page and "Grace Hopper" not in page
    assert "No users match" in client.get("/admin/users?q=%25_nobody").get_data(as_text=True)


def test_users_are_paginated(app, login_as):
    client = login_as("katherine")
    with app.app_context():
        for n in range(30):
            db.session.add(
                User(name=f"Zed Person{n:02d}", sort_name=f"zz person{n:02d}", email=f"zed{n}@demo.edu", active=True)
            )
        db.session.commit()
        total = db.session.scalar(select(func.count()).select_from(User))
    assert total == 48 + 30  # the demo's 6 staff and 42 students, and these
    first = client.get("/admin/users").get_data(as_text=True)
    assert f"Showing 1–25 of {total} users" in first and "Page 1 of 4" in first
    last = client.get("/admin/users?page=4").get_data(as_text=True)
    assert f"Showing 76–{total} of {total}" in last
    assert client.get("/admin/users?page=99999999999").status_code == 200


def test_deactivate_and_activate_a_user(app, login_as):
    client = login_as("katherine")
    ids = _ids(app)
    response = client.post(f"/admin/users/{ids['user']}/deactivate")
    assert response.status_code == 303
    assert "can no longer sign in" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, ids["user"]).active is False
    assert _audit(app)[-1].kind == "user.deactivated"
    client.post(f"/admin/users/{ids['user']}/activate")
    with app.app_context():
        assert db.session.get(User, ids["user"]).active is True
    entry = _audit(app)[-1]
    assert (entry.kind, entry.before, entry.after) == ("user.activated", {"active": False}, {"active": True})


def test_a_deactivated_user_cannot_sign_in(app, login_as, client):
    login_as("katherine")
    with app.app_context():
        grace = db.session.scalars(select(User).where(User.email == "grace@demo.edu")).one().id
    client.post(f"/admin/users/{grace}/deactivate")
    client.post("/sign-out")
    response = client.post("/sign-in", data={"email": "grace@demo.edu", "password": "orders-demo"})
    assert response.status_code == 401


def test_program_administrator_flag_and_its_last_holder(app, login_as):
    client = login_as("katherine")
    with app.app_context():
        katherine = db.session.scalars(select(User).where(User.email == "katherine@demo.edu")).one().id
        grace = db.session.scalars(select(User).where(User.email == "grace@demo.edu")).one().id
    before = _snapshot(app)
    refused = client.post(f"/admin/users/{katherine}/revoke-admin", follow_redirects=True)
    assert "last active Program Administrator and must keep the flag" in refused.get_data(as_text=True)
    refused = client.post(f"/admin/users/{katherine}/deactivate", follow_redirects=True)
    assert "cannot deactivate your own account" in refused.get_data(as_text=True)
    assert _snapshot(app) == before
    client.post(f"/admin/users/{grace}/grant-admin")
    assert _audit(app)[-1].kind == "user.admin_granted"
    # Grace is now an active admin too; deactivating Grace leaves Katherine, the last one: she keeps the flag.
    client.post(f"/admin/users/{grace}/deactivate")
    before = _snapshot(app)
    refused = client.post(f"/admin/users/{katherine}/revoke-admin", follow_redirects=True)
    assert "must keep the flag" in refused.get_data(as_text=True)
    assert _snapshot(app) == before
    client.post(f"/admin/users/{grace}/activate")
    response = client.post(f"/admin/users/{katherine}/revoke-admin")
    assert response.status_code == 303 and response.headers["Location"] == "/"  # she left the back office
    assert _audit(app)[-1].kind == "user.admin_revoked"
    assert client.get("/admin/").status_code == 403


def test_the_last_admin_cannot_be_deactivated_by_another_admin(app, login_as):
    """An inactive admin is no admin: with Grace inactive, Katherine is the last active one."""
    login_as("katherine")
    with app.app_context():
        katherine = db.session.scalars(select(User).where(User.email == "katherine@demo.edu")).one()
        from orders.domain.accounts.users import set_user_active
        from orders.domain.refusals import RuleBroken

        other = User(
            name="Other Admin", sort_name="admin other", email="other@demo.edu", is_program_admin=True, active=True
        )
        db.session.add(other)
        db.session.flush()
        set_user_active(other, False, actor=katherine, now=datetime.now(timezone.utc))  # fine: Katherine remains
        with pytest.raises(RuleBroken, match="last active Program Administrator"):
            set_user_active(katherine, False, actor=other, now=datetime.now(timezone.utc))
        db.session.rollback()


# --- Catalog ----------------------------------------------------------------------------------------------------------


def _isbn(n: int) -> str:
    first12 = f"979{n:09d}"
    return first12 + isbn.check_digit(first12)


def test_catalog_search_add_edit_deactivate(app, login_as):
    client = login_as("katherine")
    assert "Think Python" in client.get("/admin/catalog?q=downey").get_data(as_text=True)
    code = _isbn(4242)
    hyphenated = f"{code[:3]}-{code[3:]}"
    response = client.post(
        "/admin/catalog/new",
        data={
            "title": "New Book",
            "authors": "A. Writer",
            "isbn": hyphenated,
            "publisher": "Pub",
            "edition": "2nd",
            "delivery": "Courseware",
            "student_price": "12.5",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        item = db.session.scalars(select(CatalogItem).where(CatalogItem.isbn13 == code)).one()
        assert item.student_price == Decimal("12.50") and item.delivery.value == "Courseware" and item.active
        item_id = item.id
    assert _audit(app)[-1].kind == "catalog.item_added"
    assert client.get(f"/admin/catalog?q={code[4:10]}").get_data(as_text=True).count("New Book") >= 1
    response = client.post(
        f"/admin/catalog/{item_id}",
        data={
            "title": "New Book",
            "authors": "A. Writer",
            "isbn": code,
            "publisher": "Pub",
            "edition": "3rd",
            "delivery": "Courseware",
            "student_price": "0",
        },
    )
    assert response.status_code == 303
    entry = _audit(app)[-1]
    assert entry.kind == "catalog.item_updated" and entry.before == {"edition": "2nd", "student_price": "12.50"}
    assert entry.after == {"edition": "3rd", "student_price": "0.00"}
    client.post(f"/admin/catalog/{item_id}/deactivate")
    with app.app_context():
        assert db.session.get(CatalogItem, item_id).active is False
    assert _audit(app)[-1].kind == "catalog.item_deactivated"
    client.post(f"/admin/catalog/{item_id}/reactivate")
    assert _audit(app)[-1].kind == "catalog.item_reactivated"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"isbn": "9780000000001"}, "wrong check digit"),
        ({"isbn": "12345"}, "13 digits"),
        ({"isbn": "９７８０１３４６８５９９１"}, "13 digits"),
        ({"student_price": "-1"}, "0 or more"),
        ({"student_price": "1.999"}, "at most two decimals"),
        ({"student_price": "NaN"}, "Student price must be"),
        ({"student_price": "1e3"}, "Student price must be"),
        ({"student_price": "123456789012"}, "Student price must be"),
        ({"title": ""}, "Title is required"),
        ({"delivery": "Paper"}, "eText or Courseware"),
    ],
)
def test_invalid_items_save_nothing(app, login_as, changes, message):
    client = login_as("katherine")
    before = _snapshot(app)
    data = {
        "title": "Book",
        "authors": "Someone",
        "isbn": _isbn(77),
        "publisher": "Pub",
        "edition": "1st",
        "delivery": "eText",
        "student_price": "10",
    }
    data.update(changes)
    response = client.post("/admin/catalog/new", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _snapshot(app) == before


def test_an_isbn_another_item_has_is_refused(app, login_as):
    client = login_as("katherine")
    with app.app_context():
        first, second = db.session.scalars(select(CatalogItem).order_by(CatalogItem.id).limit(2)).all()
        data = {
            "title": second.title,
            "authors": second.authors,
            "isbn": first.isbn13,
            "publisher": second.publisher,
            "edition": second.edition,
            "delivery": second.delivery.value,
            "student_price": str(second.student_price),
        }
        second_id = second.id
    before = _snapshot(app)
    response = client.post(f"/admin/catalog/{second_id}", data=data)
    assert response.status_code == 422 and "already belongs to" in response.get_data(as_text=True)
    assert _snapshot(app) == before


def _csv(*rows: str) -> dict:
    body = "title,authors,isbn,publisher,edition,delivery,student_price,active\n" + "\n".join(rows) + "\n"
    return {"file": (io.BytesIO(body.encode()), "items.csv")}


def test_catalog_csv_import_upserts_by_isbn(app, login_as):
    client = login_as("katherine")
    with app.app_context():
        existing = db.session.scalars(select(CatalogItem).where(CatalogItem.title == "Think Python")).one()
        existing_isbn = existing.isbn13
    new = _isbn(9001)
    response = client.post(
        "/admin/catalog/import",
        data=_csv(
            f'"Brand New, Vol. 1","Someone",{new},Pub,1st,eText,19.99,true',
            f"Think Python,Allen B. Downey,{existing_isbn},O'Reilly Media,3rd,eText,36.50,false",
        ),
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert "1 added, 1 changed, 0 unchanged" in client.get("/admin/catalog").get_data(as_text=True)
    with app.app_context():
        updated = db.session.scalars(select(CatalogItem).where(CatalogItem.isbn13 == existing_isbn)).one()
        assert updated.student_price == Decimal("36.50") and updated.active is False
        assert (
            db.session.scalars(select(CatalogItem).where(CatalogItem.isbn13 == new)).one().title == "Brand New, Vol. 1"
        )
    entry = _audit(app)[-1]
    assert entry.kind == "catalog.imported" and entry.after["inserted"] == [new]
    assert entry.after["updated"][existing_isbn] == {"student_price": ["34.99", "36.50"], "active": [True, False]}


def test_one_invalid_row_rejects_the_whole_catalog_file(app, login_as):
    client = login_as("katherine")
    before = _snapshot(app)
    response = client.post(
        "/admin/catalog/import",
        data=_csv(
            f"Good Book,Someone,{_isbn(9002)},Pub,1st,eText,19.99,true",
            "Bad Book,Someone,9780000000001,Pub,1st,eText,19.99,true",
            f"Worse Book,Someone,{_isbn(9003)},Pub,1st,Paper,-3,maybe",
            f"Dup Book,Someone,{_isbn(9002)},Pub,1st,eText,1,true",
        ),
        content_type="multipart/form-data",
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Row 3: ISBN has a wrong check digit" in body
    assert (
        "Row 4: Delivery must be eText or Courseware." in body
        and "Row 4: Student price must be" in body
        and "Row 4: Active must be" in body
    )
    assert "Row 5: ISBN" in body and "already appears in row 2" in body
    assert "nothing changed" in body
    assert _snapshot(app) == before


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"title,authors\nA,B\n", "missing isbn"),
        (b"", "empty"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b'title,authors,isbn,publisher,edition,delivery,student_price,active\n"unclosed,B,C\n', "malformed"),
    ],
)
def test_malformed_catalog_files_are_refused(app, login_as, payload, message):
    client = login_as("katherine")
    before = _snapshot(app)
    response = client.post(
        "/admin/catalog/import", data={"file": (io.BytesIO(payload), "x.csv")}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _snapshot(app) == before


# --- Institution ------------------------------------------------------------------------------------------------------


def test_institution_settings(app, login_as):
    client = login_as("katherine")
    page = client.get("/admin/institution").get_data(as_text=True)
    assert "Send reminder emails" in page
    response = client.post(
        "/admin/institution",
        data={
            "name": "Demo State University",
            "timezone": "America/New_York",
            "contact_email": "Help@Demo.edu",
            "reminders_enabled": "y",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        inst = db.session.scalars(select(Institution)).one()
        assert (inst.timezone, inst.contact_email, inst.reminders_enabled) == (
            "America/New_York",
            "help@demo.edu",
            True,
        )
    entry = _audit(app)[-1]
    assert entry.kind == "institution.updated"
    assert entry.before == {
        "timezone": "America/Chicago",
        "contact_email": "orders-admin@demo.edu",
        "reminders_enabled": False,
    }


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"timezone": "Mars/Olympus"}, "not an IANA timezone"),
        ({"timezone": "../../etc/passwd"}, "not an IANA timezone"),
        ({"contact_email": "not-an-email"}, "Enter an email address"),
        ({"name": "   "}, "Enter the institution"),
    ],
)
def test_invalid_institution_settings_save_nothing(app, login_as, changes, message):
    client = login_as("katherine")
    before = _snapshot(app)
    data = {"name": "Demo", "timezone": "America/Chicago", "contact_email": "a@b.edu"}
    data.update(changes)
    response = client.post("/admin/institution", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert _snapshot(app) == before


# --- Audit log and imports --------------------------------------------------------------------------------------------


def test_audit_log_lists_newest_first_filters_and_is_read_only(app, login_as):
    client = login_as("katherine")
    ids = _ids(app)
    client.post(f"/admin/users/{ids['user']}/deactivate")
    client.post(f"/admin/users/{ids['user']}/activate")
    client.post(
        "/admin/institution", data={"name": "Renamed U", "timezone": "America/Chicago", "contact_email": "a@b.edu"}
    )
    page = client.get("/admin/audit").get_data(as_text=True)
    assert page.index("institution.updated") < page.index("user.activated") < page.index("user.deactivated")
    filtered = client.get("/admin/audit?kind=user.activated").get_data(as_text=True)
    assert "Showing 1–1 of 1 entry" in filtered
    with app.app_context():
        katherine = db.session.scalars(select(User).where(User.email == "katherine@demo.edu")).one().id
    assert "of 3 entries" in client.get(f"/admin/audit?user={katherine}").get_data(as_text=True)
    assert "No entries match" in client.get("/admin/audit?user=system").get_data(as_text=True)
    assert client.get("/admin/audit?user=abc&page=-1&kind=x").status_code == 200
    assert client.get("/admin/audit?kind=%00").status_code == 400  # NUL bytes are refused before any view
    for method in ("post", "put", "delete"):
        assert getattr(client, method)("/admin/audit").status_code == 405


def test_imports_screen_shows_the_last_sis_import(app, login_as):
    from orders.domain.sis.importer import run_import

    client = login_as("katherine")
    assert "No SIS import has run yet" in client.get("/admin/imports").get_data(as_text=True)
    with app.app_context():
        run_import(Path("examples/sis-demo"), dry_run=False, now=datetime.now(timezone.utc))
        db.session.commit()
    page = client.get("/admin/imports").get_data(as_text=True)
    assert "examples/sis-demo" in page and "No changes" in page and "teaching assignments" in page


def test_admin_pages_use_a_constant_number_of_queries(app, login_as, count_queries):
    client = login_as("katherine")
    ids = _ids(app)

    def counts():
        result = {}
        for url in ["/admin/users", "/admin/catalog", "/admin/audit", "/admin/periods", f"/admin/users/{ids['user']}"]:
            with count_queries() as counter:
                client.get(url)
            result[url] = counter.count
        return result

    small = counts()
    with app.app_context():
        for n in range(60):
            db.session.add(
                User(name=f"Bulk Person{n}", sort_name=f"person{n} bulk", email=f"bulk{n}@demo.edu", active=True)
            )
            first12 = f"979{n + 500:09d}"
            db.session.add(
                CatalogItem(
                    title=f"Bulk {n}",
                    authors="X",
                    isbn13=first12 + isbn.check_digit(first12),
                    publisher="P",
                    edition="1",
                    delivery=CatalogItem.delivery.type.enum_class.ETEXT,
                    student_price=Decimal(1),
                )
            )
        db.session.commit()
    for n in range(60):
        client.post(f"/admin/users/{ids['user']}/{'deactivate' if n % 2 == 0 else 'activate'}")
    assert counts() == small


def test_order_feed_and_reminders_carry_the_admin_tab_bar(login_as):
    """Issue 27, item 8: every back-office page shows the same tabs, the current one marked."""
    client = login_as("katherine")
    for url, label in (
        ("/admin/feed/", "Order feed"),
        ("/admin/reminders/", "Reminders"),
        ("/admin/audit", "Audit log"),
    ):
        html = client.get(url).get_data(as_text=True)
        assert '<nav class="admin-nav" aria-label="Administration">' in html, url
        assert f'aria-current="page">{label}</a>' in html, url
