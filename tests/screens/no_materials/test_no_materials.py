""""No materials needed" on Courses rows through the test client: prompt, answer, undo, refusals, filters."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from orders import clock
from orders.domain.models import AdminAuditEntry, Course, NoMaterialsAnswer, Term
from orders.extensions import db
from tests import factories as f
from tests.helpers import text_of


def ids(app, subject: str, number: str, term_code: str) -> tuple[int, int]:
    with app.app_context():
        course = db.session.scalars(select(Course).filter_by(subject=subject, number=number)).one()
        term = db.session.scalars(select(Term).filter_by(code=term_code)).one()
        return course.id, term.id


def user_id(app, demo_data, name: str) -> int:
    with app.app_context():
        return demo_data.user(name).id


def answers(app) -> list[tuple[str, str]]:
    """(section sis id, answered by email) of every answer."""
    with app.app_context():
        return sorted(
            (answer.section_id, answer.answered_by.email) for answer in db.session.scalars(select(NoMaterialsAnswer))
        )


def audit_kinds(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AdminAuditEntry.kind).order_by(AdminAuditEntry.id)))


def row_form(app, demo_data, subject="MATH", number="340", term="202710", instructor: str | None = "emmy") -> dict:
    course_id, term_id = ids(app, subject, number, term)
    form = {"course_id": str(course_id), "term_id": str(term_id)}
    if instructor:
        form["instructor"] = str(user_id(app, demo_data, instructor))
    return form


def test_instructor_answers_and_undoes(app, login_as, demo_data):
    client = login_as("emmy")
    courses = text_of(client.get("/"))
    assert "MATH 340 Abstract Algebra" in courses and "No materials needed for MATH 340" in courses
    form = row_form(app, demo_data)

    prompt = client.get("/no-materials/confirm", query_string=form)
    assert prompt.status_code == 200
    page = text_of(prompt)
    assert (
        "No materials needed for MATH 340?" in page and "MATH 340 Abstract Algebra, Spring 2027, section 001." in page
    )
    assert 'role="alertdialog"' in prompt.get_data(as_text=True) and "<html" in prompt.get_data(as_text=True)
    assert answers(app) == []  # a GET changes nothing

    done = client.post("/no-materials/answer", data=form)
    assert done.status_code == 303 and done.headers["Location"] == "/"
    home = text_of(client.get("/"))
    assert "“No materials needed” for section 001. Reminders about it stop." in home
    assert "No materials needed — Emmy Noether," in home and "Undo" in home
    assert "No materials needed for MATH 340" not in home  # answered: the button gave way to Undo
    assert [email for _, email in answers(app)] == ["emmy@demo.edu"]
    assert audit_kinds(app) == ["no_materials.answered"]

    again = client.post("/no-materials/answer", data=form)  # a double submit: calm notice, nothing new
    assert again.status_code == 303
    assert "was already answered “No materials needed” by Emmy Noether" in text_of(client.get("/"))
    assert len(answers(app)) == 1 and audit_kinds(app) == ["no_materials.answered"]

    undone = client.post("/no-materials/undo", data=form)
    assert undone.status_code == 303
    home = text_of(client.get("/"))
    assert "“No materials needed” was undone for section 001." in home
    assert "No materials needed for MATH 340" in home and "No materials needed — " not in home
    assert answers(app) == []
    assert audit_kinds(app) == ["no_materials.answered", "no_materials.undone"]
    with app.app_context():
        entry = db.session.scalars(select(AdminAuditEntry).order_by(AdminAuditEntry.id.desc())).first()
        assert entry.target == "MATH 340 Abstract Algebra, Spring 2027"
        assert entry.before["answers"][0]["answered_by"] == "Emmy Noether" and entry.after is None


def test_a_row_with_a_placed_order_offers_no_answer(login_as):
    """Ada's MATH 221 has order #1001 (section 003 still open): the order shows, no "No materials needed"."""
    html = login_as("ada").get("/").get_data(as_text=True)
    math221 = html.split("MATH 221 Calculus I", 1)[1].split("</li>", 1)[0]
    assert "Order #1001" in math221 and "No materials needed" not in math221
    cs150 = html.split("CS 150 Introduction to Programming", 1)[1].split("</li>", 1)[0]
    assert "No materials needed" in cs150


def test_coordinator_answers_for_an_instructor_in_reach(app, login_as, demo_data):
    client = login_as("grace")
    form = row_form(app, demo_data, "CS", "150", instructor="alan")
    assert client.post("/no-materials/answer", data=form).status_code == 303
    with app.app_context():
        labels = [a.section_id for a in db.session.scalars(select(NoMaterialsAnswer))]
        assert len(labels) == 1  # only Alan's section 002, not Ada's 001
    html = client.get("/?instructor=" + form["instructor"]).get_data(as_text=True)
    assert "No materials needed — Grace Hopper" in html
    ada = client.get("/?instructor=%d" % user_id(app, demo_data, "ada")).get_data(as_text=True)
    assert "No materials needed — " not in ada  # Ada's own CS 150 section is still missing


@pytest.mark.parametrize(
    "who,subject,number,instructor",
    [
        ("alan", "MATH", "340", "emmy"),  # not his course
        ("grace", "MATH", "340", "emmy"),  # outside her grants
        ("ada", "MATH", "340", None),
    ],
)
def test_outsiders_are_refused(app, login_as, demo_data, who, subject, number, instructor):
    client = login_as(who)
    form = row_form(app, demo_data, subject, number, instructor=instructor)
    for response in (
        client.get("/no-materials/confirm", query_string=form),
        client.post("/no-materials/answer", data=form),
    ):
        assert response.status_code == 403
        assert "is not a course you teach or coordinate" in text_of(response)
    assert client.post("/no-materials/undo", data=form).status_code == 403
    assert answers(app) == [] and audit_kinds(app) == []


def test_closed_period_refuses_instructors_but_not_program_administrators(app, login_as, demo_data, now):
    with app.app_context():
        closed = f.term(now, state="closed")
        f.section(closed, subject="MATH", number="340", instructors=(demo_data.user("ada"),))
        db.session.commit()
        form = {"course_id": str(closed_course(app)), "term_id": str(closed.id)}
        term_name = closed.name
    client = login_as("ada")
    refused = client.post("/no-materials/answer", data=form)
    assert refused.status_code == 403 and f"The ordering period for {term_name} closed on" in text_of(refused)
    assert "No materials needed for MATH 340" not in text_of(client.get(f"/?term={term_code(app, form)}"))
    client.post("/sign-out")
    admin = login_as("katherine")
    assert "No materials needed for MATH 340" in text_of(admin.get(f"/?term={term_code(app, form)}"))
    assert admin.post("/no-materials/answer", data=form).status_code == 303
    assert [email for _, email in answers(app)] == ["katherine@demo.edu"]
    admin.post("/sign-out")
    client = login_as("ada")
    assert client.post("/no-materials/undo", data=form).status_code == 403  # still closed for her
    assert len(answers(app)) == 1


def closed_course(app) -> int:
    with app.app_context():
        return db.session.scalars(select(Course.id).filter_by(subject="MATH", number="340")).one()


def term_code(app, form) -> str:
    with app.app_context():
        return db.session.get(Term, int(form["term_id"])).code


@pytest.mark.parametrize(
    "query",
    [
        {"course_id": "abc", "term_id": "1"},
        {"course_id": "99999999999999999999", "term_id": "1"},
        {"course_id": "١", "term_id": "1"},  # an Arabic-Indic digit is not an id
        {"course_id": "999999", "term_id": "1"},
        {"term_id": "1"},
    ],
)
def test_forged_ids_are_404(login_as, query):
    client = login_as("katherine")
    assert client.get("/no-materials/confirm", query_string=query).status_code == 404
    assert client.post("/no-materials/answer", data=query).status_code == 404
    assert client.post("/no-materials/undo", data=query).status_code == 404


def test_forged_instructor_falls_back_to_the_whole_course(app, login_as, demo_data):
    form = row_form(app, demo_data, instructor=None) | {"instructor": "<script>"}
    assert login_as("emmy").post("/no-materials/answer", data=form).status_code == 303
    assert len(answers(app)) == 1


def test_csrf_is_required(app, client, demo_data):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get("/sign-in").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        client.post("/sign-in", data={"email": "emmy@demo.edu", "password": "orders-demo", "csrf_token": token})
        form = row_form(app, demo_data)
        forged = client.post("/no-materials/answer", data=form)
        assert forged.status_code == 400 and "Your form expired" in text_of(forged)
        assert answers(app) == []
        prompt = client.get("/no-materials/confirm", query_string=form).get_data(as_text=True)
        token = prompt.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        assert client.post("/no-materials/answer", data=form | {"csrf_token": token}).status_code == 303
        assert client.post("/no-materials/undo", data=form).status_code == 400
        assert len(answers(app)) == 1
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_htmx_prompt_is_a_fragment_and_the_post_redirects_to_the_list(app, login_as, demo_data):
    client = login_as("emmy")
    form = row_form(app, demo_data)
    htmx = {"HX-Request": "true"}
    prompt = client.get("/no-materials/confirm", query_string=form | {"back": "q=math"}, headers=htmx)
    html = prompt.get_data(as_text=True)
    assert prompt.status_code == 200 and "<html" not in html and "autofocus" in html
    assert 'hx-post="/no-materials/answer?back=q%3Dmath"' in html and 'hx-target="#course-results"' in html
    done = client.post("/no-materials/answer?back=q%3Dmath", data=form, headers=htmx)
    assert done.status_code == 303 and done.headers["Location"] == "/?q=math"
    fragment = client.get("/?q=math", headers=htmx).get_data(as_text=True)
    assert "No materials needed — Emmy Noether" in fragment
    key = f"{form['instructor']}-{form['term_id']}-{form['course_id']}"
    assert f'id="nm-action-{key}"' in fragment  # Undo takes the id the confirm button had: htmx keeps focus there
    assert "“No materials needed” for section 001" not in text_of(client.get("/"))  # no banner left over
    opener = client.get("/no-materials/opener", query_string=form, headers=htmx).get_data(as_text=True)
    assert "autofocus" in opener and "No materials needed" in opener
    assert client.get("/no-materials/opener", query_string=form).status_code == 303


def test_order_state_filter_no_materials_and_missing(app, login_as, demo_data):
    client = login_as("katherine")
    assert client.post("/no-materials/answer", data=row_form(app, demo_data)).status_code == 303
    answered = text_of(client.get("/?state=no_materials")).split("Show", 1)[1]
    assert "MATH 340 Abstract Algebra" in answered and "CS 150" not in answered and "MATH 221" not in answered
    missing = text_of(client.get("/?state=missing")).split("Show", 1)[1]
    assert "CS 150 Introduction to Programming" in missing and "MATH 221 Calculus I" in missing  # section 003
    assert "MATH 340" not in missing and "CS 310" not in missing
    html = client.get("/").get_data(as_text=True)
    assert ">No materials needed</option>" in html and ">Missing</option>" in html


def test_courses_show_the_soft_close_and_the_days_left(app, login_as, demo_data, monkeypatch):
    client = login_as("ada")
    page = text_of(client.get("/"))
    with app.app_context():
        deadline = db.session.scalars(select(Term).filter_by(code="202710")).one().period.deadline
    assert "Ordering open · Order by" in page and "days left" not in page
    # Each jump is days past the session's idle limit: sign in again at every moment.
    monkeypatch.setattr(clock, "utcnow", lambda: deadline - timedelta(days=3))
    assert "3 days left" in text_of(login_as("ada").get("/"))
    monkeypatch.setattr(clock, "utcnow", lambda: deadline - timedelta(hours=1))
    page = text_of(login_as("ada").get("/"))
    assert "last day" in page or "1 day left" in page
    monkeypatch.setattr(clock, "utcnow", lambda: deadline + timedelta(hours=1))
    assert "(passed) · Closes" in text_of(login_as("ada").get("/"))


def test_courses_query_count_is_the_same_with_answers(app, client, demo_data, count_queries):
    client.post("/sign-in", data={"email": "katherine@demo.edu", "password": "orders-demo"})
    client.get("/")
    with count_queries() as before:
        client.get("/")
    client.post("/no-materials/answer", data=row_form(app, demo_data))
    client.post("/no-materials/answer", data=row_form(app, demo_data, "CS", "150", instructor="alan"))
    client.get("/")
    with count_queries() as after:
        assert "No materials needed — " in client.get("/").get_data(as_text=True)
    assert before.count == after.count
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(NoMaterialsAnswer)) == 2
