"""The demo LMS (development only, docs/spec.md §5): /dev-lms, served by the app itself, launches the tool
as Ada or Mary through the real LTI 1.3 login and launch, signed with the demo platform's own key, inside
an iframe and in a new window. Registered by app.py only when ORDERS_ENV=development.

It plays the platform's part the way an LMS does: an OIDC authorization endpoint that posts a signed
id token back, a key set, a client-credentials token endpoint, a roster (NRPS) and a deep-linking return.
"""
from __future__ import annotations

import json
import os
import secrets
import time
from datetime import datetime, timedelta

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Blueprint, abort, jsonify, render_template, request, send_from_directory, url_for
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import func, select

from orders import clock
from orders.domain.lti import connections, keys, launches
from orders.domain.lti.connections import ConnectionFields
from orders.domain.models import Enrollment, EnrollmentState, Section, User
from orders.extensions import csrf, db
from orders.web import framing
from orders.web.guards import public

bp = Blueprint("dev_lms", __name__, url_prefix="/dev-lms", template_folder="templates")
STATIC = os.path.join(os.path.dirname(__file__), "static")

CLIENT_ID = "demo-lms-client"
DEPLOYMENT_ID = "demo-deployment"
KEY_NAME = "dev-lms-platform-key"  # the demo platform's private key, in the LTI storage table (development only)
KID = "demo-lms-key-1"
SECTIONS = "202710-MATH-221-001,202710-MATH-221-002"  # MATH 221 Spring 2027, cross-listed sections 001 and 002
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
PEOPLE = {
    "ada": ("Ada Lovelace", "ada@demo.edu", "Instructor"),
    "mary": ("Mary Somerville", "mary@demo.edu", "Learner"),
}


@bp.before_request
def its_own_pages_may_be_framed() -> None:
    """The demo LMS's authorization page runs inside its own course page's iframe, as an LMS's does."""
    framing.allow_platforms([request.host_url.rstrip("/")])


def connection_fields(base_url: str) -> ConnectionFields:
    """The demo platform as a connection, its URLs under the app's own address."""
    base = base_url.rstrip("/")
    return ConnectionFields(
        issuer=f"{base}/dev-lms",
        client_id=CLIENT_ID,
        deployment_ids=(DEPLOYMENT_ID,),
        auth_url=f"{base}/dev-lms/auth",
        token_url=f"{base}/dev-lms/token",
        jwks_url=f"{base}/dev-lms/jwks",
    )


def register_demo_platform(base_url: str, now: datetime) -> None:
    """seed-demo: the demo LMS's key and its connection (people matched by email). Caller commits."""
    _private_pem(now)
    connections.register(connection_fields(base_url), actor=None, now=now, allow_http=True)


def _private_pem(now: datetime) -> str:
    pem = launches.stored(KEY_NAME, now)
    if pem is None:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        launches.store(KEY_NAME, pem, now, timedelta(days=3650))
    return pem


def _connection():
    found = [c for c in connections.all_connections() if c.client_id == CLIENT_ID and c.issuer.endswith("/dev-lms")]
    if not found:
        abort(404, "The demo LMS is not registered: run seed-demo --reset in development.")
    return found[0]


def _login_url(who: str, message: str = "course") -> str:
    connection = _connection()
    return url_for(
        "lti.login",
        iss=connection.issuer,
        login_hint=who,
        target_link_uri=url_for("lti.launch", _external=True),
        client_id=CLIENT_ID,
        lti_deployment_id=DEPLOYMENT_ID,
        lti_message_hint=message,
    )


@bp.route("")
@public
def index():
    """The demo LMS's course page: launch the tool as Ada or Mary, in the page or in a new window."""
    return render_template("dev_lms/index.html", people=PEOPLE, login_url=_login_url)


@bp.route("/dev-lms.js")
@public
def script():
    """The demo LMS's one script: it submits the signed launch at once, as an LMS page does."""
    return send_from_directory(STATIC, "dev-lms.js", mimetype="text/javascript")


@bp.route("/course")
@public
def course():
    """The course with the tool inside an iframe, as an LMS shows a course-navigation tool."""
    who = request.args.get("as", "ada") if request.args.get("as") in PEOPLE else "ada"
    message = "deep-link" if request.args.get("message") == "deep-link" else "course"
    return render_template(
        "dev_lms/course.html", who=who, name=PEOPLE[who][0], login_url=_login_url(who, message), message=message
    )


@bp.route("/jwks")
@public
def jwks():
    """The demo platform's public key set."""
    public = json.loads(
        RSAAlgorithm.to_jwk(
            serialization.load_pem_private_key(_private_pem(clock.now()).encode(), password=None).public_key()
        )
    )
    return jsonify({"keys": [{**public, "kid": KID, "alg": "RS256", "use": "sig"}]})


@bp.route("/auth", methods=["GET", "POST"])
@csrf.exempt  # the OIDC authorization request, sent by the tool's login redirect
@public
def auth():
    """The OIDC authorization endpoint: sign a launch for the person named by login_hint and post it back."""
    values = request.values
    connection = _connection()
    who = values.get("login_hint", "")
    if values.get("client_id") != connection.client_id or who not in PEOPLE or not values.get("nonce"):
        abort(400, "The demo LMS got an authorization request it does not recognise.")
    name, email, role = PEOPLE[who]
    now = int(time.time())
    body = {
        "iss": connection.issuer,
        "aud": CLIENT_ID,
        "sub": f"demo-lms-{who}",
        "iat": now,
        "exp": now + 300,
        "nonce": values["nonce"],
        "name": name,
        "email": email,
        LTI + "message_type": "LtiDeepLinkingRequest"
        if values.get("lti_message_hint") == "deep-link"
        else "LtiResourceLinkRequest",
        LTI + "version": "1.3.0",
        LTI + "deployment_id": DEPLOYMENT_ID,
        LTI + "target_link_uri": values.get("redirect_uri", ""),
        LTI + "roles": [ROLE + role],
        LTI + "resource_link": {"id": "demo-course-materials", "title": "Course materials"},
        LTI + "context": {"id": "demo-math-221", "title": "Calculus I (Spring 2027)", "label": "MATH 221"},
        LTI + "lis": {"course_section_sourcedid": SECTIONS},
        "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
            "context_memberships_url": url_for("dev_lms.roster", _external=True),
            "service_versions": ["2.0"],
        },
    }
    if values.get("lti_message_hint") == "deep-link":
        body["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
            "deep_link_return_url": url_for("dev_lms.deep_link_return", _external=True),
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
        }
    token = jwt.encode(body, _private_pem(clock.now()), algorithm="RS256", headers={"kid": KID})
    return render_template(
        "dev_lms/post.html", action=values.get("redirect_uri", ""), id_token=token, state=values.get("state", "")
    )


def _tool_claims(token: str, audience: str) -> dict:
    """Verify a JWT the tool signed, with the tool's published keys (the same process: no HTTP needed)."""
    kid = jwt.get_unverified_header(token).get("kid")
    key = next((k for k in keys.key_set()["keys"] if k["kid"] == kid), None)
    if key is None:
        abort(401)
    return jwt.decode(token, RSAAlgorithm.from_jwk(json.dumps(key)), algorithms=["RS256"], audience=audience)


@bp.route("/token", methods=["POST"])
@csrf.exempt  # the tool's client-credentials request, server to server
@public
def token():
    """Client credentials: an access token for a client assertion signed with the tool's key."""
    claims = _tool_claims(request.form.get("client_assertion", ""), _connection().token_url)
    if claims.get("sub") != CLIENT_ID:
        abort(401)
    issued = secrets.token_urlsafe(16)
    launches.store(f"dev-lms-token-{issued}", True, clock.now(), timedelta(hours=1))
    db.session.commit()  # development only: the demo platform keeps its own tokens
    return jsonify({"access_token": issued, "token_type": "Bearer", "expires_in": 3600})


@bp.route("/roster")
@public
def roster():
    """NRPS: MATH 221 001 and 002's enrolled students, less one the LMS has not added yet, plus a visitor."""
    bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if not bearer or not launches.stored(f"dev-lms-token-{bearer}", clock.now()):
        abort(401)
    students = db.session.scalars(
        select(User)
        .join(Enrollment, Enrollment.user_id == User.id)
        .join(Section, Section.id == Enrollment.section_id)
        .where(Section.sis_id.in_(SECTIONS.split(",")), Enrollment.state == EnrollmentState.ENROLLED)
        .order_by(func.lower(User.email))
    ).all()
    members = [
        {
            "user_id": f"demo-lms-{u.email.split('@')[0]}",
            "name": u.name,
            "email": u.email,
            "status": "Active",
            "roles": [ROLE + "Learner"],
        }
        for u in students[1:]
    ]
    members.append(
        {
            "user_id": "demo-lms-visitor",
            "name": "Vera Visitor",
            "email": "vera@visiting.example",
            "status": "Active",
            "roles": [ROLE + "Learner"],
        }
    )
    return jsonify({"id": request.url, "context": {"id": "demo-math-221"}, "members": members})


@bp.route("/deep-link-return", methods=["POST"])
@csrf.exempt  # the tool's deep-linking response, posted by the browser
@public
def deep_link_return():
    """Where the tool's deep-linking response lands: show the item the LMS would add."""
    claims = _tool_claims(request.form.get("JWT", ""), _connection().issuer)
    items = claims.get("https://purl.imsglobal.org/spec/lti-dl/claim/content_items", [])
    return render_template("dev_lms/added.html", items=items)
