"""Launches through the test client, signed by the fake LMS: the happy paths and where they land."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from orders.domain.models import LtiIdentity, LtiNonce, Section, UserSession
from orders.extensions import db
from tests.helpers import text_of
from tests.lti_platform import LEARNER, LaunchPlan
from tests.screens.lti.conftest import launch


def _ids(app, *sis_ids: str) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(Section.id).where(Section.sis_id.in_(sis_ids))))


def test_an_instructor_lands_on_courses_narrowed_to_the_lms_sections(app, client, lms):
    response = launch(client, lms, "ada")
    assert response.status_code == 303
    target = urlsplit(response.headers["Location"])
    assert target.path == "/"
    query = parse_qs(target.query)
    assert set(map(int, query["sections"][0].split(","))) == _ids(app, "202710-MATH-221-001", "202710-MATH-221-002")
    assert query["term"] == ["202710"]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    text = text_of(page)
    assert "MATH 221" in text and "CS 150" not in text  # narrowed: Ada's other courses are not listed
    assert "From your LMS course Calculus I (Spring 2027)" in text
    with app.app_context():
        assert db.session.scalar(select(UserSession.via)) == "lti"
        identity = db.session.scalars(select(LtiIdentity)).one()
        assert identity.sub == "lms-user-ada" and identity.user.email == "ada@demo.edu"
        assert db.session.scalar(select(LtiNonce.used_at)) is not None


def test_a_learner_lands_on_course_materials_for_those_sections(app, client, lms):
    response = launch(client, lms, "mary")
    assert response.status_code == 303 and urlsplit(response.headers["Location"]).path == "/student/materials"
    page = client.get(response.headers["Location"])
    text = text_of(page)
    assert page.status_code == 200 and "MATH 221" in text and "CS 310" not in text  # Mary's other course is left out
    assert "Showing the sections of your LMS course" in text
    assert "Calculus I (Spring 2027)" not in text  # no staff LMS bar for a student


def test_an_instructor_role_grants_a_student_nothing(app, client, lms):
    """Mary launched as Instructor (an LMS role never grants): still her Course materials, and no staff page."""
    response = launch(client, lms, "mary", LaunchPlan(roles=("http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",)))
    assert urlsplit(response.headers["Location"]).path == "/student/materials"
    assert client.get("/").status_code == 303  # the Courses screen sends a student to her materials
    assert client.get("/orders").status_code == 403  # order history: staff only


def test_staff_launched_as_a_learner_still_gets_courses(app, client, lms):
    """Ada has no enrollment: a Learner role cannot put her on a page the app does not give her."""
    response = launch(client, lms, "ada", LaunchPlan(roles=(LEARNER,)))
    assert urlsplit(response.headers["Location"]).path == "/"


def test_the_person_is_remembered_by_platform_and_sub(app, client, lms):
    launch(client, lms, "ada")
    lms.people["ada"].email = "ada.lovelace@lms.example"  # the LMS's email changed; the sub did not
    response = launch(client, lms, "ada")
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LtiIdentity)) == 1
    lms.people["ada"].email = "ada@demo.edu"
