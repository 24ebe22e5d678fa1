"""Every GET endpoint that can answer an htmx fragment answers a full page (or a redirect to one) when
loaded without HX-Request: a fragment URL that reaches the address bar must survive reload and bookmark
(issue 27, item 1)."""

from __future__ import annotations

import inspect

from sqlalchemy import select

from orders.domain.models import Course, Term, User
from orders.extensions import db
from tests.screens.ordering.test_ordering import ready_draft

HX = {"HX-Request": "true"}


def _ids(app) -> dict:
    with app.app_context():
        math = db.session.scalars(select(Course).where(Course.subject == "MATH", Course.number == "340")).one()
        spring = db.session.scalars(select(Term).where(Term.name == "Spring 2027")).one()
        emmy = db.session.scalars(select(User).where(User.email == "emmy@demo.edu")).one()
        mary = db.session.scalars(select(User).where(User.email == "mary@demo.edu")).one()
        return {"math340": math.id, "spring": spring.id, "emmy": emmy.id, "mary": mary.id}


def fragment_urls(app, client) -> dict[str, tuple[str, str]]:
    """endpoint -> (who, URL) for every GET endpoint whose view answers htmx with a fragment."""
    ids = _ids(app)
    client.post("/sign-out")
    from tests.helpers import sign_in

    sign_in(client, "ada")
    draft = ready_draft(client, app)
    client.post("/sign-out")
    nm = f"course_id={ids['math340']}&term_id={ids['spring']}&instructor={ids['emmy']}"
    return {
        "courses.index": ("katherine", "/?q=math"),
        "courses.instructor_matches": ("katherine", "/instructors?instructor_name=ada&term=202710"),
        "orders.history": ("katherine", "/orders?term=202710"),
        "admin.grant_preview": (
            "katherine",
            f"/admin/users/{ids['emmy']}/grant-preview?subject=MATH&term={ids['spring']}",
        ),
        "admin.user_detail": ("katherine", f"/admin/users/{ids['emmy']}"),
        "ordering.materials": ("ada", f"/ordering/drafts/{draft}/materials?q=calculus"),
        "ordering.confirm_discard": ("ada", f"/ordering/drafts/{draft}/cancel?step=materials"),
        "no_materials.confirm": ("emmy", f"/no-materials/confirm?{nm}"),
        "no_materials.opener": ("emmy", f"/no-materials/opener?{nm}"),
        "orders.summary": ("ada", "/orders/1001"),
        "orders.confirm_cancel": ("ada", "/orders/1001/cancel"),
        "orders.edit": ("ada", "/orders/1001/edit?q=calculus"),
        "students.materials": ("mary", "/student/materials?term=202710"),
        "admin.student": ("katherine", f"/admin/students/{ids['mary']}"),
        "progress.index": ("katherine", "/progress/?term=202710"),
        "progress.table": ("katherine", "/progress/subject?term=202710&page=1"),
        "progress.confirm_remind": ("katherine", "/progress/remind?term=202710&dimension=subject&key=MATH"),
        "approvals.index": ("emmy", "/approvals?term=202710"),
        "orders.confirm_approve": ("emmy", "/orders/1005/approve"),
        "orders.confirm_return": ("emmy", "/orders/1005/return"),
    }


def _serves_fragments(view) -> bool:
    source = inspect.getsource(inspect.unwrap(view))
    return "is_htmx()" in source or "render_page_or_fragment" in source or "_user_page(" in source


def test_every_fragment_endpoint_is_in_the_walk(app, client, demo_data):
    """A new endpoint that answers fragments must join the walk below."""
    covered = set(fragment_urls(app, client))
    serving = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and _serves_fragments(app.view_functions[rule.endpoint])
    }
    assert serving - covered == set()


def test_fragment_urls_loaded_directly_answer_a_full_page(app, client, demo_data):
    from tests.helpers import sign_in

    for endpoint, (who, url) in fragment_urls(app, client).items():
        client.post("/sign-out")
        sign_in(client, who)
        response = client.get(url, follow_redirects=True)
        body = response.get_data(as_text=True)
        assert response.status_code in (200, 422), (endpoint, response.status_code)
        assert body.lstrip().lower().startswith("<!doctype html>"), (endpoint, body[:200])
        assert 'class="site-header' in body or "<header" in body, endpoint


def test_the_type_ahead_never_pushes_its_own_url(login_as):
    """The matches are fetched by a field inside the Courses form, whose hx-push-url it would inherit."""
    html = login_as("katherine").get("/").get_data(as_text=True)
    field = html[html.index('id="filter-instructor-name"') :]
    field = field[: field.index(">")]
    assert 'hx-push-url="false"' in field


def test_the_type_ahead_url_without_htmx_opens_the_courses_page_with_the_matches(login_as):
    response = login_as("katherine").get("/instructors?instructor_name=ada&term=202710")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/?")
    page = login_as("katherine").get(response.headers["Location"]).get_data(as_text=True)
    assert "Ada Lovelace" in page and "<h1>Courses</h1>" in page
