"""The fake LMS on a local port, registered as an LMS connection, and a launch through the test client."""
from __future__ import annotations

import pytest

from orders.domain.lti import connections
from orders.extensions import db
from tests.lti_platform import FakePlatform, LaunchPlan


@pytest.fixture(scope="session")
def fake_lms():
    platform = FakePlatform().start()
    yield platform
    platform.stop()


@pytest.fixture
def lms(app, client, demo_data, fake_lms):
    """The fake LMS, fresh for the test, registered (people matched by email) with the demo data loaded."""
    fake_lms.plan, fake_lms.members = LaunchPlan(), []
    fake_lms.deep_links.clear()
    fake_lms.tool_launch_url = "http://localhost/lti/launch"
    fake_lms.tool_login_url = "http://localhost/lti/login"
    fake_lms.fetch_tool_jwks = lambda: client.get("/lti/jwks").get_json()
    with app.app_context():
        connections.register(fake_lms.registration_fields(), actor=None, now=demo_data.now, allow_http=True)
        db.session.commit()
    return fake_lms


def launch(client, lms: FakePlatform, who: str, plan: LaunchPlan | None = None):
    """Login, the LMS's answer, the launch: the response to the launch POST."""
    started = client.get("/lti/login", query_string=lms.login_params(who))
    assert started.status_code == 302, started.get_data(as_text=True)[:400]
    return client.post("/lti/launch", data=lms.answer_login_redirect(started.headers["Location"], plan))
