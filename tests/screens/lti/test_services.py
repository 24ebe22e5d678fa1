"""Deep linking, the roster check, course links, Dynamic Registration, the key set and the Canvas JSON."""
from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlsplit

import jwt
import pytest
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import func, select

from orders.domain.lti import keys, registration
from orders.domain.models import AdminAuditEntry, LtiConnection, LtiCourseLink, LtiLaunch, Section
from orders.extensions import db
from tests.helpers import text_of
from tests.lti_platform import CLIENT_ID, DEPLOYMENT_ID, LEARNER, LaunchPlan
from tests.screens.lti.conftest import launch


def _launch_id(app) -> str:
    with app.app_context():
        return db.session.scalars(select(LtiLaunch.id).order_by(LtiLaunch.created_at.desc())).first()


def test_deep_linking_returns_one_signed_course_materials_link(app, client, lms):
    response = launch(client, lms, "ada", LaunchPlan(message_type="LtiDeepLinkingRequest"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'action="{lms.url}/deep-link-return"' in page
    assert f"form-action 'self' {lms.url};" in response.headers["Content-Security-Policy"]
    token = page.split('name="JWT" value="', 1)[1].split('"', 1)[0]
    claims = lms.verify_tool_jwt(token, audience=lms.issuer)  # signed with the key the tool publishes
    assert claims["iss"] == CLIENT_ID
    assert claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] == "LtiDeepLinkingResponse"
    assert claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] == DEPLOYMENT_ID
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "opaque-platform-data"
    items = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert items == [{"type": "ltiResourceLink", "title": "Course materials", "url": "http://localhost/lti/launch"}]


def test_a_student_cannot_add_the_tool_by_deep_linking(app, client, lms):
    response = launch(client, lms, "mary", LaunchPlan(message_type="LtiDeepLinkingRequest"))
    assert response.status_code == 403 and "Only instructors and staff" in text_of(response)


def _members(*people):
    return [
        {"user_id": sub, "name": name, "email": email, "status": "Active", "roles": [LEARNER]}
        for sub, name, email in people
    ]


def test_the_roster_check_compares_the_lms_learners_with_the_sis_both_ways(app, client, lms, demo_data):
    with app.app_context():
        enrolled = db.session.execute(
            select(Section.sis_id).where(Section.sis_id == "202710-MATH-221-001")
        ).scalar_one()
    assert enrolled
    lms.members = _members(
        ("lms-user-mary", "Mary Somerville", "mary@demo.edu"),  # enrolled in MATH 221 001: both
        ("lms-x", "Visiting Student", "visitor@elsewhere.edu"),  # no account: only in the LMS
        ("lms-sofia", "Sofia Kovalevskaya", "sofia@demo.edu"),  # in MATH 221 002: both
    ) + [
        {
            "user_id": "lms-ada",
            "name": "Ada Lovelace",
            "email": "ada@demo.edu",
            "status": "Active",
            "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
        }
    ]  # not a learner: left out
    assert launch(client, lms, "ada").status_code == 303
    response = client.get(f"/lti/launches/{_launch_id(app)}/roster")
    assert response.status_code == 200
    text = text_of(response)
    lms_only = text.split("Only in the LMS", 1)[1].split("Only in the SIS", 1)[0]
    sis_only = text.split("Only in the SIS", 1)[1].split("In both", 1)[0]
    both = text.split("In both", 1)[1]
    assert "Visiting Student" in lms_only and "Mary" not in lms_only
    assert "Mary Somerville" in both and "Sofia Kovalevskaya" in both and "Ada" not in both
    assert (
        "Sofia" not in sis_only and "Mary" not in sis_only and sis_only.count("@demo.edu") >= 1
    )  # the 40 demo students
    assert len(lms.tokens) == 1  # one client-credentials token, signed with the tool's key (the platform verified it)


def test_the_roster_check_is_for_who_may_see_the_sections(app, client, lms):
    """Katherine (PA) may; an instructor of other sections may not, whatever the LMS role says."""
    lms.people["alan"] = lms.people["ada"].__class__(
        "lms-alan", "Alan Turing", "alan@demo.edu", roles=lms.people["ada"].roles
    )
    assert launch(client, lms, "alan").status_code == 303
    response = client.get(f"/lti/launches/{_launch_id(app)}/roster")
    assert response.status_code == 403 and "You do not teach or coordinate MATH 221 001" in text_of(response)
    other = app.test_client()
    assert launch(other, lms, "katherine").status_code == 303
    assert other.get(f"/lti/launches/{_launch_id(app)}/roster").status_code == 200


def test_without_lis_sections_an_instructor_links_the_course_once(app, client, lms, demo_data):
    plan = LaunchPlan(sections=None)
    response = launch(client, lms, "ada", plan)
    launch_id = _launch_id(app)
    assert urlsplit(response.headers["Location"]).path == f"/lti/launches/{launch_id}/sections"
    form = client.get(response.headers["Location"] + "?q=MATH 221")
    assert form.status_code == 200 and "MATH 221 Calculus I, section 001 (Spring 2027)" in text_of(form)
    with app.app_context():
        ids = list(
            db.session.scalars(
                select(Section.id).where(Section.sis_id.in_(["202710-MATH-221-001", "202710-MATH-221-003"]))
            )
        )
        alan_section = db.session.scalar(select(Section.id).where(Section.sis_id == "202710-CS-310-001"))
    refused = client.post(f"/lti/launches/{launch_id}/sections", data={"section": [str(ids[0]), str(alan_section)]})
    assert refused.status_code == 403 and "You do not teach or coordinate CS 310 001" in text_of(refused)
    linked = client.post(f"/lti/launches/{launch_id}/sections", data={"section": [str(i) for i in ids]})
    assert linked.status_code == 303 and "sections=" in linked.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LtiCourseLink)) == 2
        entry = db.session.scalars(select(AdminAuditEntry).where(AdminAuditEntry.kind == "lti.course_linked")).one()
        assert entry.after == {"sections": ["MATH 221 001 (Spring 2027)", "MATH 221 003 (Spring 2027)"]}
    # A learner launching from the same course now lands on those sections, without anyone linking again.
    learner = app.test_client()
    landed = launch(learner, lms, "mary", plan)
    assert "sections=" in landed.headers["Location"]
    assert "MATH 221" in text_of(learner.get(landed.headers["Location"]))


def test_linking_nothing_changes_nothing(app, client, lms):
    launch(client, lms, "ada", LaunchPlan(sections=None))
    response = client.post(f"/lti/launches/{_launch_id(app)}/sections", data={"section": ["x", "0"]})
    assert response.status_code == 400 and "Choose at least one section" in text_of(response)


def test_link_sections_needs_csrf(app, client, lms, csrf_on):
    launch(client, lms, "ada", LaunchPlan(sections=None))
    response = client.post(f"/lti/launches/{_launch_id(app)}/sections", data={"section": ["1"]})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LtiCourseLink)) == 0


def test_login_and_launch_work_with_csrf_on(app, client, lms, csrf_on):
    """Exempt from CSRF by design (the LMS posts them); state and nonce protect them instead."""
    started = client.post("/lti/login", data=lms.login_params("ada"))
    assert started.status_code == 302
    assert client.post("/lti/launch", data=lms.answer_login_redirect(started.headers["Location"])).status_code == 303


def test_the_key_set_publishes_the_current_and_previous_key(app, client, lms, now):
    first = client.get("/lti/jwks").get_json()["keys"]
    assert len(first) == 1 and first[0]["alg"] == "RS256" and first[0]["use"] == "sig" and "d" not in first[0]
    with app.app_context():
        keys.rotate(actor=None, now=now + timedelta(days=1))
        newest = keys.rotate(actor=None, now=now + timedelta(days=2))
        db.session.commit()
        newest_kid = newest.kid
    published = client.get("/lti/jwks").get_json()["keys"]
    assert (
        len(published) == 2
        and published[0]["kid"] == newest_kid
        and first[0]["kid"] not in {k["kid"] for k in published}
    )
    public = RSAAlgorithm.from_jwk(json.dumps(published[0]))
    with app.app_context():
        signed = jwt.encode({"x": 1}, keys.current().private_pem, algorithm="RS256")
    assert jwt.decode(signed, public, algorithms=["RS256"]) == {"x": 1}


def test_the_canvas_developer_key_json(client, lms):
    config = client.get("/lti/config.json").get_json()
    assert config["oidc_initiation_url"] == "http://localhost/lti/login"
    assert config["target_link_uri"] == "http://localhost/lti/launch"
    assert config["public_jwk_url"] == "http://localhost/lti/jwks"
    assert config["scopes"] == ["https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"]
    placements = {p["placement"]: p["message_type"] for p in config["extensions"][0]["settings"]["placements"]}
    assert placements == {
        "course_navigation": "LtiResourceLinkRequest",
        "editor_button": "LtiDeepLinkingRequest",
        "link_selection": "LtiDeepLinkingRequest",
    }


def test_dynamic_registration_with_a_one_time_link(app, client, fake_lms, demo_data):
    fake_lms.registrations.clear()
    with app.app_context():
        code = registration.issue(actor=demo_data.user("katherine"), now=demo_data.now)
        db.session.commit()
    query = {
        "openid_configuration": f"{fake_lms.url}/.well-known/openid-configuration",
        "registration_token": "registration-token-1",
        "code": code,
    }
    response = client.get("/lti/register", query_string=query)
    assert response.status_code == 200, text_of(response)
    assert "Course materials is registered" in text_of(response)
    sent = fake_lms.registrations[0]
    assert sent["initiate_login_uri"] == "http://localhost/lti/login" and sent["redirect_uris"] == [
        "http://localhost/lti/launch"
    ]
    assert sent["jwks_uri"] == "http://localhost/lti/jwks" and "contextmembership.readonly" in sent["scope"]
    with app.app_context():
        connection = db.session.scalars(select(LtiConnection)).one()
        assert (connection.issuer, connection.client_id, connection.deployment_ids) == (
            fake_lms.issuer,
            CLIENT_ID,
            [DEPLOYMENT_ID],
        )
        entry = db.session.scalars(select(AdminAuditEntry).where(AdminAuditEntry.kind == "lti.connection_added")).one()
        assert entry.actor_id == demo_data.user("katherine").id
    again = client.get("/lti/register", query_string=query)
    assert again.status_code == 403 and "already used or has expired" in text_of(again)


@pytest.mark.parametrize("code", ["", "made-up"])
def test_dynamic_registration_without_a_valid_link_registers_nothing(app, client, fake_lms, demo_data, code):
    response = client.get(
        "/lti/register",
        query_string={
            "openid_configuration": f"{fake_lms.url}/.well-known/openid-configuration",
            "registration_token": "registration-token-1",
            "code": code,
        },
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LtiConnection)) == 0


def test_the_lti_pages_may_be_framed_by_the_registered_platforms_only(app, client, lms):
    login = client.get("/lti/login", query_string=lms.login_params("ada"))
    assert f"frame-ancestors {lms.url};" in login.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in login.headers
    landed = client.get(
        client.post("/lti/launch", data=lms.answer_login_redirect(login.headers["Location"])).headers["Location"]
    )
    assert f"frame-ancestors {lms.url};" in landed.headers["Content-Security-Policy"]
    elsewhere = app.test_client().get("/sign-in")
    assert "frame-ancestors 'none'" in elsewhere.headers["Content-Security-Policy"]
    assert elsewhere.headers["X-Frame-Options"] == "DENY"


def test_over_https_the_lti_cookies_are_samesite_none_and_secure(app, lms):
    """Production runs on https: the state cookie and the launched session's cookie cross into the LMS frame."""
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        secure = app.test_client()
        started = secure.get("/lti/login", query_string=lms.login_params("ada"), base_url="https://localhost")
        state_cookie = next(v for v in started.headers.getlist("Set-Cookie") if v.startswith("lti1p3-state-"))
        assert "SameSite=None" in state_cookie and "Secure" in state_cookie
        lms.tool_launch_url = "https://localhost/lti/launch"
        fields = lms.answer_login_redirect(started.headers["Location"])
        landed = secure.post("/lti/launch", data=fields, base_url="https://localhost")
        session_cookie = next(v for v in landed.headers.getlist("Set-Cookie") if v.startswith("session="))
        assert "SameSite=None" in session_cookie and "Secure" in session_cookie and "Partitioned" in session_cookie
        plain = app.test_client().post(
            "/sign-in", data={"email": "ada@demo.edu", "password": "orders-demo"}, base_url="https://localhost"
        )
        assert "SameSite=Lax" in next(v for v in plain.headers.getlist("Set-Cookie") if v.startswith("session="))
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False


def test_the_demo_lms_exists_in_development_only():
    from app import create_app

    development = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    production_like = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "DEVELOPMENT": False})
    assert any(r.rule == "/dev-lms" for r in development.url_map.iter_rules())
    assert not any(r.rule.startswith("/dev-lms") for r in production_like.url_map.iter_rules())
