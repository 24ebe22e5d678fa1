"""Every route declares its guard; the ones that must be public are named here."""
from __future__ import annotations

from orders.web.guards import GUARD_ATTRIBUTE
from tests.helpers import sign_in

PUBLIC_BY_DESIGN = {"static", "auth.sign_in", "auth.login"}  # /login only redirects to the sign-in page
# The public course materials lookup (docs/spec.md §3): no sign-in, no personal data.
PUBLIC_BY_DESIGN |= {"materials.index", "materials.section", "materials.term_csv", "materials.term_json"}
# The institution's accent stylesheet and logo (docs/design.md, "Branding"): on every page, the sign-in page and
# the emails, so before any sign-in; the same for everyone. tests/screens/brand/.
PUBLIC_BY_DESIGN |= {"brand.stylesheet", "brand.logo"}
# Probes for a load balancer (issue 28): no session, no data, no cookie; tests/screens/ops/test_ops.py.
PUBLIC_BY_DESIGN |= {"ops.healthz", "ops.readyz"}
# LTI 1.3 (docs/spec.md §9): an LMS calls these, not a signed-in person. The launch is protected by the
# state cookie + stored nonce, registration by a one-time code; tests/screens/lti/ covers every refusal.
PUBLIC_BY_DESIGN |= {"lti.login", "lti.launch", "lti.jwks", "lti.canvas_config", "lti.register"}
# The demo LMS (devtools/lms.py, docs/spec.md §5): registered in development (and the suite) only; it plays an LMS.
PUBLIC_BY_DESIGN |= {
    "dev_lms.index",
    "dev_lms.course",
    "dev_lms.jwks",
    "dev_lms.auth",
    "dev_lms.token",
    "dev_lms.roster",
    "dev_lms.deep_link_return",
    "dev_lms.script",
}
# Not for people: a bearer token (METRICS_TOKEN) or nothing at all; tests/screens/ops/test_ops.py.
TOKEN_GUARDED = {"ops.scrape": "metrics_token"}


def test_every_route_declares_a_guard(app):
    unguarded = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        guard = getattr(view, GUARD_ATTRIBUTE, None)
        if guard is None:
            unguarded.append(f"{rule.endpoint} {rule.rule}")
        elif guard == "public":
            assert rule.endpoint in PUBLIC_BY_DESIGN, f"{rule.endpoint} is public but not listed as public by design"
        elif rule.endpoint in TOKEN_GUARDED:
            assert guard == TOKEN_GUARDED[rule.endpoint], rule.endpoint
    assert unguarded == [], "routes without a declared guard: " + ", ".join(unguarded)


def test_signed_out_requests_never_reach_a_guarded_view(app, client, demo_data):
    """Each guarded GET/POST route answers a signed-out visitor with the sign-in redirect, never a page."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_BY_DESIGN or rule.endpoint in TOKEN_GUARDED:
            continue
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", "1001").replace(f"<{name}>", "1")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.headers["Location"].startswith("/sign-in"), (method, url)


# Routes a pure student may use: their own Course materials, the choice routes, signing out; "/" sends
# them to their Course materials. Every other route answers them 403 (or 404 for an unknown id).
STUDENT_ROUTES = {"students.materials", "students.confirm_choice", "students.change", "auth.sign_out"}
STUDENT_HOME = {"courses.index"}


def test_a_pure_student_gets_403_on_every_staff_route(app, client, demo_data):
    """The route x role walk for the Student profile: nothing of the staff screens, by any method."""
    sign_in(client, "mary")
    walked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_BY_DESIGN or rule.endpoint in STUDENT_ROUTES or rule.endpoint in TOKEN_GUARDED:
            continue
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", "1001").replace(f"<{name}>", "1")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            walked += 1
            if rule.endpoint in STUDENT_HOME:
                assert response.status_code == 303 and response.headers["Location"] == "/student/materials", (
                    method,
                    url,
                )
            else:
                assert response.status_code == 403, (method, url, response.status_code)
    assert walked > 50
    assert client.get("/student/materials").status_code == 200  # still signed in, nothing ended the session
