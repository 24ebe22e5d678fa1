"""Every refusal of a launch: a clear 400/403 page for the LMS administrator, a log line, and nothing else."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from orders.domain.models import LtiIdentity, LtiLaunch, LtiNonce, UserSession
from orders.extensions import db
from tests.helpers import text_of
from tests.lti_platform import LaunchPlan
from tests.screens.lti.conftest import launch


def _nothing_happened(app) -> None:
    """No session, no launch, no remembered person; the nonce not spent."""
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0
        assert db.session.scalar(select(func.count()).select_from(LtiLaunch)) == 0
        assert db.session.scalar(select(func.count()).select_from(LtiIdentity)) == 0
        assert db.session.scalar(select(func.count()).select_from(LtiNonce).where(LtiNonce.used_at.is_not(None))) == 0


@pytest.mark.parametrize(
    "plan, status, words, check",
    [
        (LaunchPlan(rogue_key=True), 403, "signature does not verify", "signature"),
        (
            LaunchPlan(kid="a-key-nobody-published"),
            403,
            "key id “a-key-nobody-published”, which the platform's key set does not publish",
            "signature",
        ),
        (LaunchPlan(aud="another-tool"), 403, "No LMS connection is registered", "registration"),
        (
            LaunchPlan(aud=["another-tool", "course-materials-tool"], azp="another-tool"),
            403,
            "No LMS connection is registered",
            "registration",
        ),
        (LaunchPlan(aud=["course-materials-tool", "another-tool"]), 403, "authorized party (azp)", "audience"),
        (LaunchPlan(azp="another-tool"), 403, "authorized party (azp) is “another-tool”", "audience"),
        (LaunchPlan(deployment_id="deployment-9"), 403, "Deployment id “deployment-9” is not registered", "deployment"),
        (LaunchPlan(expires_in=-60), 400, "id token has expired", "expired"),
        (LaunchPlan(nonce="a-nonce-we-never-issued"), 400, "nonce is not the one this tool's login issued", "nonce"),
        (LaunchPlan(message_type="LtiSomethingElse"), 400, "not a message this tool accepts", "message"),
    ],
)
def test_a_bad_launch_is_refused_with_a_page_a_log_line_and_nothing_else(
    app, client, lms, caplog, plan, status, words, check
):
    with caplog.at_level(logging.WARNING, logger="orders.web.screens.lti.views"):
        response = launch(client, lms, "ada", plan)
    assert response.status_code == status
    assert words in text_of(response)
    assert "tell your LMS administrator" in text_of(response)
    assert [r for r in caplog.records if f"refused ({check})" in r.getMessage()], caplog.text
    _nothing_happened(app)


def test_a_replayed_launch_is_refused(app, client, lms):
    started = client.get("/lti/login", query_string=lms.login_params("ada"))
    fields = lms.answer_login_redirect(started.headers["Location"])
    assert client.post("/lti/launch", data=fields).status_code == 303
    again = client.post("/lti/launch", data=fields)
    assert again.status_code == 400 and "already used" in text_of(again)


def test_a_state_we_never_issued_is_refused(app, client, lms):
    started = client.get("/lti/login", query_string=lms.login_params("ada"))
    fields = lms.answer_login_redirect(started.headers["Location"])
    response = client.post("/lti/launch", data={**fields, "state": "state-forged"})
    assert response.status_code == 400 and "state is unknown or expired" in text_of(response)
    assert client.post("/lti/launch", data={"id_token": fields["id_token"]}).status_code == 400  # no state at all


def test_an_expired_login_state_is_refused(app, client, lms, monkeypatch):
    """The login's nonce lives 10 minutes: a launch posted later is refused (the clock moved, no waiting)."""
    from datetime import timedelta

    from orders import clock

    started = client.get("/lti/login", query_string=lms.login_params("ada"))
    fields = lms.answer_login_redirect(started.headers["Location"])
    later = clock.utcnow() + timedelta(minutes=11)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    response = client.post("/lti/launch", data=fields)
    assert response.status_code == 400
    assert "expired" in text_of(response)
    _nothing_happened(app)


def test_an_unknown_person_gets_the_account_not_set_up_page(app, client, lms, caplog):
    with caplog.at_level(logging.INFO):
        response = launch(client, lms, "stranger")
    assert response.status_code == 403
    assert "Your account is not set up for ordering" in text_of(response)
    assert "refused (person)" in caplog.text
    _nothing_happened(app)


def test_a_deactivated_person_gets_the_account_not_set_up_page_even_when_remembered(app, client, lms, demo_data):
    assert launch(client, lms, "ada").status_code == 303
    with app.app_context():
        demo_data.user("ada").active = False
        db.session.commit()
    response = launch(client, lms, "ada")
    assert response.status_code == 403 and "not set up" in text_of(response)


def test_a_learner_on_a_staff_route_is_refused(app, client, lms):
    assert launch(client, lms, "mary").status_code == 303
    with app.app_context():
        launch_id = db.session.scalar(select(LtiLaunch.id))
    for url in (
        f"/lti/launches/{launch_id}",
        f"/lti/launches/{launch_id}/roster",
        f"/lti/launches/{launch_id}/sections",
        "/orders",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
    assert client.post(f"/lti/launches/{launch_id}/sections", data={"section": "1"}).status_code == 403


def test_another_users_launch_reads_as_missing(app, client, lms, login_as):
    assert launch(client, lms, "ada").status_code == 303
    with app.app_context():
        launch_id = db.session.scalar(select(LtiLaunch.id))
    other = app.test_client()
    from tests.helpers import sign_in

    sign_in(other, "katherine")
    assert other.get(f"/lti/launches/{launch_id}").status_code == 404


def test_a_login_from_an_unknown_platform_is_refused(app, client, lms):
    response = client.get("/lti/login", query_string={**lms.login_params("ada"), "iss": "https://lms.unknown.example"})
    assert (
        response.status_code == 403
        and "No LMS connection is registered for issuer “https://lms.unknown.example”" in text_of(response)
    )
    incomplete = client.post("/lti/login", data={"iss": lms.issuer})
    assert incomplete.status_code == 400 and "login request is incomplete" in text_of(incomplete)


def test_a_launch_without_the_state_cookie_offers_a_new_window(app, client, lms):
    """Third-party cookies blocked (Safari): the launch comes back without our state cookie."""
    started = client.get("/lti/login", query_string=lms.login_params("ada"))
    fields = lms.answer_login_redirect(started.headers["Location"])
    fresh = app.test_client()  # the same launch from a browser that kept no cookie
    response = fresh.post("/lti/launch", data=fields)
    assert response.status_code == 400
    text = text_of(response)
    assert "Open in a new window" in text and "blocks the cookies" in text
    link = response.get_data(as_text=True).split('href="/lti/login?', 1)[1].split('"', 1)[0]
    assert "lti1p3_new_window=1" in link and "login_hint=ada" in link
    _nothing_happened(app)
