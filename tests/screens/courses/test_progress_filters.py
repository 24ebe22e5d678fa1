"""Courses' filters for the Progress screen's links: organization, campus, subject, active, state=not_started."""
from __future__ import annotations

import pytest

from orders.domain.models import Section, SectionState
from orders.extensions import db
from tests.helpers import text_of


def _ids(app):
    with app.app_context():
        org = dict(db.session.execute(db.text("select code, id from organization")).all())
        campus = db.session.execute(db.text("select id from campus where code = 'MAIN'")).scalar()
        return org, campus


def test_organization_filter_lists_that_organization_and_names_it(login_as, app):
    org, _ = _ids(app)
    client = login_as("katherine")
    response = client.get(f"/?term=202710&organization={org['CS']}")
    text = text_of(response)
    assert "Filtered by: Organization Department of Computer Science ( remove the organization filter )" in text
    assert "CS 150" in text and "CS 310" in text and "MATH 221" not in text
    page = response.get_data(as_text=True)
    assert f'<input type="hidden" name="organization" value="{org["CS"]}">' in page  # the plain GET form keeps it
    assert 'href="/?term=202710">remove' in page


def test_campus_subject_state_and_active_together(login_as, app):
    org, campus = _ids(app)
    client = login_as("katherine")
    text = text_of(client.get(f"/?term=202710&campus={campus}&subject=math&state=not_started&active=1"))
    assert (
        "Filtered by: Subject MATH ( remove the subject filter ) · Campus Main ( remove the campus filter ) · "
        "Sections active only (not removed by the registrar) ( remove the sections filter ) · Order state Missing"
        in text
    )
    assert "MATH 340" in text and "MATH 221" in text and "CS 150" not in text
    assert "Section 003" in text and "Sections 001, 002" not in text  # 001 and 002 are ordered


def test_active_leaves_out_removed_sections(login_as, app):
    with app.app_context():
        section = db.session.scalars(db.select(Section).where(Section.sis_id == "202710-MATH-221-002")).one()
        section.state = SectionState.REMOVED
        db.session.commit()
    client = login_as("katherine")
    assert "Sections 001, 002" in text_of(client.get("/?term=202710&subject=MATH&state=ordered"))
    assert "Section 001 " in text_of(client.get("/?term=202710&subject=MATH&state=ordered&active=1"))


def test_htmx_fragment_carries_the_filter_status_and_the_tidy_url(login_as, app):
    org, _ = _ids(app)
    client = login_as("katherine")
    response = client.get(f"/?term=202710&organization={org['MATH']}&q=&state=", headers={"HX-Request": "true"})
    assert response.headers["HX-Push-Url"] == f"/?term=202710&organization={org['MATH']}"
    assert "Filtered by: Organization Department of Mathematics" in text_of(response)


@pytest.mark.parametrize(
    "query", ["organization=abc", "organization=99999999999", "campus=-1", "subject=" + "x" * 500, "active=yes"]
)
def test_malformed_filters_fall_back_calmly(login_as, query):
    client = login_as("katherine")
    response = client.get(f"/?term=202710&{query}")
    assert response.status_code == 200


def test_unknown_organization_lists_nothing_and_says_so(login_as):
    client = login_as("katherine")
    text = text_of(client.get("/?term=202710&organization=424242"))
    assert "No sections match these filters." in text and "unknown organization" in text


def test_placed_on_time_or_late(login_as, app):
    from datetime import timedelta

    from orders import clock
    from orders.domain.models import Term

    with app.app_context():
        term = db.session.scalars(db.select(Term).where(Term.code == "202710")).one()
        term.period.soft_close_at = clock.utcnow() - timedelta(days=8)
        db.session.commit()
    client = login_as("katherine")
    late = text_of(client.get("/?term=202710&state=ordered&placed=late"))
    assert "CS 310" in late and "MATH 221" not in late
    assert "Order placed late (at or after the soft close)" in late
    on_time = text_of(client.get("/?term=202710&state=ordered&placed=on_time"))
    assert "MATH 221" in on_time and "CS 310" not in on_time
    assert (
        "placed="
        not in client.get("/?term=202710&placed=whenever")
        .get_data(as_text=True)
        .split("<main", 1)[1]
        .split("</form>", 1)[0]
    )


def test_at_risk_lists_the_sections_whose_students_declined_at_or_above_the_threshold(login_as, app):
    client = login_as("katherine")
    text = text_of(client.get("/?term=202710&at_risk=1"))
    assert "Students at risk (declined at or above the threshold)" in text
    assert "MATH 221" in text and "Sections 001, 002" in text and "CS 310" not in text  # CS 310: 1 of 8 opted out
    with app.app_context():
        db.session.execute(db.text("update institution set at_risk_threshold_percent = 100"))
        db.session.commit()
    assert "No sections match these filters." in text_of(client.get("/?term=202710&at_risk=1"))


def test_an_instructor_gets_the_names_too(login_as, app):
    """Instructors have no Instructor filter (whose query reads the names for the others)."""
    org, campus = _ids(app)
    text = text_of(login_as("ada").get(f"/?term=202710&organization={org['MATH']}&campus={campus}"))
    assert "Organization Department of Mathematics" in text and "Campus Main" in text
    assert "MATH 221" in text and "CS 150" not in text
