"""A fake LMS for the tests: its own key pair and key set, an OIDC authorization endpoint that signs launches
the way an LMS does (an auto-submitted form posting `id_token` and `state`), a token endpoint, a roster
(NRPS) endpoint, a deep-linking return endpoint and LTI Dynamic Registration, served on a local port.

Every check it makes of the tool (the client assertion, the deep-linking response) verifies the tool's
signature against the tool's published key set, as a real platform would.
"""
from __future__ import annotations

import html
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, abort, jsonify, request
from jwt.algorithms import RSAAlgorithm
from werkzeug.serving import make_server

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
CLIENT_ID = "course-materials-tool"
DEPLOYMENT_ID = "deployment-1"
CONTEXT_ID = "lms-course-221"


def rsa_key() -> tuple[str, dict]:
    """A private key in PEM and its public JWK."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    return pem, public


@dataclass
class Person:
    """Someone the LMS knows."""

    sub: str
    name: str
    email: str
    sis_id: str = ""
    roles: tuple[str, ...] = (LEARNER,)


DEMO_PEOPLE = {
    "ada": Person("lms-user-ada", "Ada Lovelace", "ada@demo.edu", roles=(INSTRUCTOR,)),
    "mary": Person("lms-user-mary", "Mary Somerville", "mary@demo.edu"),
    "katherine": Person("lms-user-katherine", "Katherine Johnson", "katherine@demo.edu", roles=(INSTRUCTOR,)),
    "stranger": Person("lms-user-stranger", "Nobody Here", "nobody@elsewhere.edu", roles=(INSTRUCTOR,)),
}


@dataclass
class LaunchPlan:
    """What the next launch says, and how it is (mis)signed: each refusal test changes one thing."""

    message_type: str = "LtiResourceLinkRequest"
    context_id: str = CONTEXT_ID
    context_title: str = "Calculus I (Spring 2027)"
    sections: str | None = "202710-MATH-221-001,202710-MATH-221-002"  # the LIS course_section_sourcedid
    kid: str | None = None  # None: the platform's real kid
    rogue_key: bool = False  # sign with a key the key set does not publish (under the real kid)
    aud: object = None  # None: the client id
    azp: str | None = None
    deployment_id: str = DEPLOYMENT_ID
    expires_in: int = 300
    nonce: str | None = None  # None: the nonce from the login
    roles: tuple[str, ...] | None = None  # None: the person's


@dataclass
class FakePlatform:
    """The LMS: start() serves it on 127.0.0.1 at a free port."""

    people: dict[str, Person] = field(default_factory=lambda: dict(DEMO_PEOPLE))
    plan: LaunchPlan = field(default_factory=LaunchPlan)
    members: list[dict] = field(default_factory=list)
    deep_links: list[dict] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    registrations: list[dict] = field(default_factory=list)
    tool_jwks_url: str = ""
    tool_launch_url: str = ""
    tool_login_url: str = ""
    fetch_tool_jwks: object = None  # a callable returning the tool's key set, for a tool behind a test client

    def __post_init__(self):
        self.private_pem, public = rsa_key()
        self.kid = "platform-key-1"
        self.public_jwk = {**public, "kid": self.kid, "alg": "RS256", "use": "sig"}
        self.rogue_pem, _ = rsa_key()
        self._server = None

    # --- Serving --------------------------------------------------------------------------------------

    def start(self) -> FakePlatform:
        self._server = make_server("127.0.0.1", 0, self.wsgi(), threaded=True)
        threading.Thread(target=self._server.serve_forever, name="fake-lms", daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.port}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def issuer(self) -> str:
        return self.url

    def registration_fields(self, match: str = "email"):
        """What a Program Administrator types for this platform."""
        from orders.domain.lti.connections import ConnectionFields

        return ConnectionFields(
            issuer=self.issuer,
            client_id=CLIENT_ID,
            deployment_ids=(DEPLOYMENT_ID,),
            auth_url=f"{self.url}/auth",
            token_url=f"{self.url}/token",
            jwks_url=f"{self.url}/jwks",
            match=match,
        )

    def login_params(self, who: str, *, message_hint: str = "") -> dict:
        """What the LMS sends to the tool's login URL to start a launch."""
        return {
            "iss": self.issuer,
            "login_hint": who,
            "target_link_uri": self.tool_launch_url or "http://localhost/lti/launch",
            "client_id": CLIENT_ID,
            "lti_deployment_id": DEPLOYMENT_ID,
            "lti_message_hint": message_hint or f"hint-{who}",
        }

    # --- Signing launches -----------------------------------------------------------------------------

    def id_token(self, person: Person, nonce: str, plan: LaunchPlan | None = None) -> str:
        """A launch as an LMS signs it, following the plan."""
        plan = plan or self.plan
        now = int(time.time())
        body = {
            "iss": self.issuer,
            "aud": plan.aud if plan.aud is not None else CLIENT_ID,
            "sub": person.sub,
            "iat": now - 5 if plan.expires_in > 0 else now - 600,
            "exp": now + plan.expires_in,
            "nonce": plan.nonce or nonce,
            "name": person.name,
            "email": person.email,
            LTI + "message_type": plan.message_type,
            LTI + "version": "1.3.0",
            LTI + "deployment_id": plan.deployment_id,
            LTI + "target_link_uri": self.tool_launch_url,
            LTI + "roles": list(plan.roles or person.roles),
            LTI + "resource_link": {"id": "resource-link-1", "title": "Course materials"},
            LTI + "context": {"id": plan.context_id, "title": plan.context_title, "label": "MATH 221"},
            LTI + "lis": {
                "person_sourcedid": person.sis_id,
                **({"course_section_sourcedid": plan.sections} if plan.sections else {}),
            },
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": f"{self.url}/roster",
                "service_versions": ["2.0"],
            },
        }
        if plan.azp is not None:
            body["azp"] = plan.azp
        if plan.message_type == "LtiDeepLinkingRequest":
            body["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
                "deep_link_return_url": f"{self.url}/deep-link-return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "data": "opaque-platform-data",
            }
        key = self.rogue_pem if plan.rogue_key else self.private_pem
        return jwt.encode(body, key, algorithm="RS256", headers={"kid": plan.kid or self.kid})

    def answer_login_redirect(self, location: str, plan: LaunchPlan | None = None) -> dict:
        """The form fields the LMS posts back to the tool, given the tool's redirect to our /auth."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        assert location.startswith(f"{self.url}/auth?"), location
        assert query["response_type"] == "id_token" and query["scope"] == "openid" and query["prompt"] == "none"
        assert query["client_id"] == CLIENT_ID and query["response_mode"] == "form_post"
        person = self.people[query["login_hint"]]
        return {"id_token": self.id_token(person, query["nonce"], plan), "state": query["state"]}

    # --- The tool's signatures, checked against its published key set ---------------------------------

    def verify_tool_jwt(self, token: str, audience: str) -> dict:
        """Verify a JWT the tool signed, with the key its key set publishes under the token's kid."""
        fetch = self.fetch_tool_jwks or (lambda: requests.get(self.tool_jwks_url, timeout=5).json())
        keys = fetch()["keys"]
        kid = jwt.get_unverified_header(token)["kid"]
        match = next(k for k in keys if k["kid"] == kid)
        return jwt.decode(token, RSAAlgorithm.from_jwk(json.dumps(match)), algorithms=["RS256"], audience=audience)

    # --- The LMS's endpoints --------------------------------------------------------------------------

    def wsgi(self) -> Flask:
        app = Flask("fake_lms")

        @app.get("/jwks")
        def jwks():
            return jsonify({"keys": [self.public_jwk]})

        @app.route("/auth", methods=["GET", "POST"])
        def auth():
            values = request.values
            if values.get("redirect_uri") != self.tool_launch_url or values.get("client_id") != CLIENT_ID:
                abort(400)
            fields = self.answer_login_redirect(f"{self.url}/auth?{urlencode(values)}")
            inputs = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">' for k, v in fields.items())
            return (
                f'<!doctype html><html lang="en"><head><title>Fake LMS</title></head><body><main>'
                f'<form id="launch" method="post" action="{html.escape(self.tool_launch_url)}">{inputs}'
                '<button type="submit">Continue to the tool</button></form></main>'
                '<script>document.getElementById("launch").submit()</script></body></html>'
            )

        @app.get("/course")
        def course():
            who = request.args.get("as", "ada")
            login = html.escape(f"{self.tool_login_url}?{urlencode(self.login_params(who))}")
            return (
                '<!doctype html><html lang="en"><head><title>Fake LMS course</title></head><body><main>'
                f'<h1>Calculus I in the fake LMS</h1><p><a id="new-window" href="{login}" target="_blank">'
                "Course materials (new window)</a></p>"
                f'<iframe id="tool" title="Course materials" src="{login}" width="1000" height="700"></iframe>'
                "</main></body></html>"
            )

        @app.post("/token")
        def token():
            form = request.form
            assert form["grant_type"] == "client_credentials"
            claims = self.verify_tool_jwt(form["client_assertion"], audience=f"{self.url}/token")
            assert claims["iss"] == CLIENT_ID and claims["sub"] == CLIENT_ID
            issued = uuid.uuid4().hex
            self.tokens.add(issued)
            return jsonify({"access_token": issued, "token_type": "Bearer", "expires_in": 3600, "scope": form["scope"]})

        @app.get("/roster")
        def roster():
            if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
                abort(401)
            return jsonify({"id": f"{self.url}/roster", "context": {"id": CONTEXT_ID}, "members": self.members})

        @app.post("/deep-link-return")
        def deep_link_return():
            claims = self.verify_tool_jwt(request.form["JWT"], audience=self.issuer)
            self.deep_links.append(claims)
            return (
                "<!doctype html><html lang='en'><head><title>Added</title></head>"
                "<body><main><h1>Added</h1></main></body></html>"
            )

        @app.get("/.well-known/openid-configuration")
        def openid_configuration():
            return jsonify(
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.url}/auth",
                    "token_endpoint": f"{self.url}/token",
                    "jwks_uri": f"{self.url}/jwks",
                    "registration_endpoint": f"{self.url}/register",
                    "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                        "product_family_code": "fake-lms",
                        "version": "1",
                    },
                }
            )

        @app.post("/register")
        def register():
            if request.headers.get("Authorization") != "Bearer registration-token-1":
                abort(401)
            data = request.get_json()
            self.registrations.append(data)
            tool = data["https://purl.imsglobal.org/spec/lti-tool-configuration"]
            return jsonify(
                {
                    **data,
                    "client_id": CLIENT_ID,
                    "https://purl.imsglobal.org/spec/lti-tool-configuration": {**tool, "deployment_id": DEPLOYMENT_ID},
                }
            )

        return app
