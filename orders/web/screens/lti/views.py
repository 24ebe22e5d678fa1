"""Inside the LMS (docs/spec.md §9): every URL of the LTI 1.3 tool.

/lti/login, /lti/launch, /lti/jwks, /lti/config.json and /lti/register are public by design: an LMS
calls them, not a signed-in person. The login and the launch are exempt from CSRF because the LMS
posts them from its own origin; the state (a cookie our login set, stored with its nonce) and the
nonce (issued by our login, used once) protect them instead. The launched course's pages are
ordinary signed-in pages with CSRF.
"""
from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

import requests
from flask import current_app, flash, jsonify, redirect, render_template, request, session, url_for
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.dynamic_registration import DynamicRegistration
from pylti1p3.exception import LtiException
from sqlalchemy import select

from orders import clock
from orders.domain.institution import institution
from orders.domain.lti import connections, course_links, identities, keys, launches, registration
from orders.domain.lti import roster as rosters
from orders.domain.lti.claims import read
from orders.domain.lti.connections import ConnectionFields
from orders.domain.models import LtiConnection, LtiLaunch, Section, User
from orders.domain.refusals import LaunchRefused
from orders.domain.rules import is_staff, lms_course_decision, lms_landing
from orders.extensions import csrf, db
from orders.web import framing, lti
from orders.web.auth.sessions import start_session
from orders.web.changes import run_change
from orders.web.forms import EmptyForm
from orders.web.guards import actor, launch_guard, public, require
from orders.web.parsing import parse_id
from orders.web.screens.lti import bp, tool

log = logging.getLogger(__name__)
COURSE = framing.LMS_COURSE  # the launched LMS course, for the header's LMS bar


class PersonNotSetUp(LaunchRefused):
    """The launch verified, but names nobody with an active account here."""

    def __init__(self):
        super().__init__("This LMS account is not set up for ordering.", status=403, check="person")


@bp.before_request
def platforms_may_frame() -> None:
    """The LTI pages open inside the LMS: the registered platforms (and only they) may frame them."""
    framing.allow_platforms(connections.frame_origins(connections.all_connections()))


@bp.errorhandler(LaunchRefused)
def refused(error: LaunchRefused):
    """Every failed LTI check: one log line, and a page for the LMS administrator; nothing else happens
    (run_change rolled the launch's writes back before this handler runs)."""
    log.warning("LTI %s refused (%s): %s", request.endpoint, error.check, error.message)
    if isinstance(error, lti.CookiesBlocked):
        return render_template("lti/cookies_blocked.html", new_window=url_for(
            "lti.login", **error.login_params, lti1p3_new_window="1")), 400
    if isinstance(error, PersonNotSetUp):
        return render_template("lti/not_set_up.html", contact=institution().contact_email), 403
    return render_template("lti/refused.html", message=error.message, status=error.status), error.status


# --- What an LMS calls ---------------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt  # posted by the LMS: the state cookie and the stored nonce protect the launch instead
@public
def login():
    """OIDC third-party initiated login: remember a state and a nonce, then send the browser to the LMS."""
    now = clock.now()

    def start():
        launches.purge_expired(now)
        return lti.login_for(now).start(url_for("lti.launch", _external=True))

    return run_change(start).result()


@bp.route("/launch", methods=["POST"])
@csrf.exempt  # posted by the LMS: validated by state (cookie + database) and a one-time nonce instead
@public
def launch():
    """The redirect URI: verify the launch, match the person, start a session and land on their screen
    (or, for deep linking, answer the LMS with one signed "Course materials" link)."""
    now = clock.now()
    tool_launch, conf = lti.launch_for(now)
    outcome = run_change(lambda: _accept(tool_launch, conf, now),
                         conflict="This launch was handled twice at once. Launch the tool again from the course.")
    if not outcome.ok:
        log.warning("LTI launch refused (conflict): %s", outcome.message)
        return render_template("lti/refused.html", message=outcome.message, status=409), 409
    return outcome.value


def _accept(tool_launch: lti.ToolLaunch, conf: lti.DatabaseToolConf, now):
    """The launch's change: the library's checks (the nonce spent), the person, then the landing."""
    tool_launch.validate()
    claims = read(dict(tool_launch.get_launch_data()))
    connection = conf.connection
    assert connection is not None  # validate() found the registration
    user = identities.match_person(connection, claims, now)
    if user is None:
        log.info("LTI launch for an unknown or deactivated person: %s sub %r", connection.issuer, claims.sub)
        raise PersonNotSetUp()
    if claims.deep_linking:
        return _deep_link(tool_launch, user)
    sections = course_links.sections_by_sis_id(claims.section_sis_ids)
    record = launches.record_launch(
        tool_launch.get_launch_id(), connection_id=connection.id, user=user, context_id=claims.context_id,
        context_title=claims.context_title or claims.context_label, section_ids=[s.id for s in sections], now=now,
    )
    start_session(user, now, via="lti")
    framing.remember_platform(connections.frame_origins([connection]))
    session[COURSE] = {"launch": record.id, "title": record.context_title or "LMS course"}
    mapped = sections or course_links.linked_sections(connection.id, claims.context_id)
    return redirect(_landing(user, record, mapped, instructor_role=claims.instructor_like), code=303)


def _landing(user: User, record: LtiLaunch, sections: list[Section], *, instructor_role: bool) -> str:
    """Courses narrowed to the course's sections (staff), Course materials for them (students); the LMS
    role only chooses between screens the app already lets this user see."""
    where = lms_landing(user, instructor_role=instructor_role)
    if where is None:
        raise PersonNotSetUp()
    terms = {s.term.code for s in sections}
    args: dict[str, Any] = {
        "sections": ",".join(str(s.id) for s in sections),
        "term": terms.pop() if len(terms) == 1 else None,
    }
    if where == "courses":
        return url_for("courses.index", **args) if sections else url_for("lti.link_sections", launch_id=record.id)
    if not sections:
        flash("This LMS course is not linked to its sections yet; here are all your course materials.", "notice")
        return url_for("students.materials")
    return url_for("students.materials", **args)


def _deep_link(tool_launch: lti.ToolLaunch, user: User):
    """Deep linking: one "Course materials" resource link, signed with the tool's key, posted back to the LMS."""
    if not is_staff(user):
        raise LaunchRefused(
            "Only instructors and staff can add Course materials to a course.", status=403, check="role"
        )
    settings = (
        dict(tool_launch.get_launch_data()).get("https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings")
        or {}
    )
    return_url = settings.get("deep_link_return_url", "") if isinstance(settings, dict) else ""
    if connections.origin(return_url) is None:
        raise LaunchRefused("The deep-linking request has no return URL.", check="message")
    resource = DeepLinkResource().set_url(url_for("lti.launch", _external=True)).set_title(tool.TITLE)
    token = tool_launch.get_deep_link().get_response_jwt([resource])
    framing.allow_form_target(connections.origin(return_url) or "")
    return render_template("lti/deep_link.html", return_url=return_url, token=token, title=tool.TITLE)


@bp.route("/jwks")
@public
def jwks():
    """The tool's public keys (JSON Web Key Set): the current key and the previous one."""
    response = jsonify(keys.key_set())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/config.json")
@public
def canvas_config():
    """A Canvas developer-key JSON, for copy and paste."""
    return jsonify(tool.canvas_config())


class ToolRegistration(DynamicRegistration):
    """LTI Dynamic Registration: the library's flow, with this tool's data and the connection saved on success."""

    client_name = tool.TITLE
    description = tool.DESCRIPTION

    def __init__(self, config_url: str, token: str | None, *, actor: User | None, now):
        self.config_url, self.token, self.actor, self.now = config_url, token, actor, now

    def get_request_session(self):
        return lti.outbound_session()

    def get_openid_configuration_endpoint(self) -> str:
        return self.config_url

    def get_registration_token(self):
        return self.token

    def get_initiate_login_uri(self) -> str:
        return tool.urls()["login"]

    def get_jwks_uri(self) -> str:
        return tool.urls()["jwks"]

    def get_redirect_uris(self) -> list[str]:
        return [tool.urls()["launch"]]

    def get_target_link_uri(self) -> str:
        return tool.urls()["launch"]

    def get_domain(self) -> str:
        return request.host

    def get_scopes(self) -> list[str]:
        return tool.canvas_config()["scopes"]

    def get_claims(self) -> list[str]:
        return ["iss", "sub", "name", "given_name", "family_name", "email"]

    def get_messages(self) -> list[dict]:
        return tool.registration_messages()

    def lti_registration_data(self):
        data = {key: value for key, value in super().lti_registration_data().items() if key != "logo_uri"}
        return data  # no logo: the spec makes it optional, and an empty one is refused by some platforms

    def get_logo_uri(self) -> str:
        return ""

    def complete_registration(self, openid_configuration, openid_registration):
        tool_configuration = openid_registration.get("https://purl.imsglobal.org/spec/lti-tool-configuration") or {}
        deployment = tool_configuration.get("deployment_id")
        if not deployment:
            raise LaunchRefused(
                "The LMS registered the tool but sent no deployment id; add the connection by hand.",
                check="registration",
            )
        fields = ConnectionFields(
            issuer=openid_configuration.get("issuer", ""),
            client_id=openid_registration.get("client_id", ""),
            deployment_ids=(str(deployment),),
            auth_url=openid_configuration.get("authorization_endpoint", ""),
            token_url=openid_configuration.get("token_endpoint", ""),
            jwks_url=openid_configuration.get("jwks_uri", ""),
        )
        return connections.register(fields, actor=self.actor, now=self.now, allow_http=_http_allowed())


def _http_allowed() -> bool:
    """Platforms on plain http only in development and the test suite (the demo LMS, the fake platform)."""
    return bool(current_app.config.get("DEVELOPMENT") or current_app.config.get("TESTING"))


@bp.route("/register")
@public  # the one-time `code` a Program Administrator made is what lets a platform register
def register():
    """LTI Dynamic Registration: the LMS opens this with openid_configuration and registration_token."""
    now = clock.now()
    config_url = request.args.get("openid_configuration", "")
    if not config_url:
        raise LaunchRefused(
            "Open this address from the LMS's tool registration screen: it brings openid_configuration.",
            check="registration",
        )

    def change() -> LtiConnection:
        actor = registration.spend(request.args.get("code", ""), now)
        if actor is None:
            raise LaunchRefused(
                "This registration link was already used or has expired. A Program Administrator makes a new one under "
                "Administration → LMS connections.",
                status=403,
                check="registration",
            )
        try:
            # pylti1p3 annotates register() as Dict[str, Any], but it returns complete_registration()'s value:
            # here the LtiConnection saved.
            return ToolRegistration(  # type: ignore[return-value]
                config_url, request.args.get("registration_token"), actor=actor, now=now
            ).register()
        except (LtiException, AssertionError, KeyError, TypeError, ValueError, requests.RequestException) as error:
            raise LaunchRefused(
                f"The LMS's registration could not be completed ({error}).", check="registration"
            ) from None

    connection = run_change(change).result()
    framing.allow_platforms(connections.frame_origins(connections.all_connections()))
    return render_template("lti/registered.html", connection=connection)


# --- The launched course's pages (signed in through the launch) ------------------------------------------------


@bp.route("/launches/<launch_id>")
@launch_guard
def course(launch: LtiLaunch):
    """The launched LMS course: its sections, and the way to Courses, the roster check and the course link."""
    sections = course_links.launch_sections(launch)
    return render_template(
        "lti/course.html",
        launch=launch,
        sections=sections,
        from_lis=bool(launch.section_ids),
        decision=lms_course_decision(actor(), sections) if sections else None,
        courses_url=url_for("courses.index", sections=",".join(str(s.id) for s in sections)),
    )


def _today():
    return clock.now().astimezone(ZoneInfo(institution().timezone)).date()


@bp.route("/launches/<launch_id>/sections", methods=["GET", "POST"])
@launch_guard
def link_sections(launch: LtiLaunch):
    """Link the LMS course to sections once (platforms that send no LIS section ids): instructors, coordinators, PAs."""
    form = EmptyForm()
    error = None
    if request.method == "POST":
        chosen = _posted_sections()
        if not form.validate_on_submit():
            error = "The form expired. Choose the sections again."
        elif chosen is None:
            error = "Choose at least one section."
        else:
            sections = chosen
            run_change(lambda: course_links.link(launch, sections, actor=actor(), now=clock.now())).result()
            names = ", ".join(f"{s.course.subject} {s.course.number} {s.label}" for s in sections)
            flash(f"{launch.context_title or 'This LMS course'} is now linked to {names}.", "status")
            terms = {s.term.code for s in sections}
            return redirect(
                url_for(
                    "courses.index",
                    sections=",".join(str(s.id) for s in sections),
                    term=terms.pop() if len(terms) == 1 else None,
                ),
                code=303,
            )
    query = request.values.get("q", launch.context_title or "")[:100]
    return render_template(
        "lti/sections.html",
        launch=launch,
        form=form,
        q=query,
        error=error,
        linked={s.id for s in course_links.linked_sections(launch.connection_id, launch.context_id)},
        choices=course_links.linkable_sections(actor(), query, _today()),
        limit=course_links.LINKABLE_LIMIT,
        from_lis=bool(launch.section_ids),
    ), 400 if error else 200


def _posted_sections() -> list[Section] | None:
    """The posted section ids as sections (unknown ids dropped), or None when none is left."""
    ids = {number for number in (parse_id(value) for value in request.form.getlist("section")) if number}
    if not ids:
        return None
    found = list(db.session.scalars(select(Section).where(Section.id.in_(ids)).order_by(Section.id)))
    return found or None


@bp.route("/launches/<launch_id>/roster")
@launch_guard
def roster(launch: LtiLaunch):
    """The roster check (NRPS): the LMS's learners against the SIS enrollments of the mapped sections."""
    sections = course_links.launch_sections(launch)
    if not sections:
        flash("Link this LMS course to its sections first; then the roster check compares them.", "notice")
        return redirect(url_for("lti.link_sections", launch_id=launch.id), code=303)
    require(lms_course_decision(actor(), sections))
    tool_launch, conf = lti.restored_launch(launch.id, clock.now())
    if not tool_launch.has_nrps():
        return render_template(
            "lti/roster.html",
            launch=launch,
            sections=sections,
            comparison=None,
            problem="The LMS sent no roster service (Names and Role Provisioning) with this launch.",
        )
    try:
        members = tool_launch.get_nrps().get_members()
    except (LtiException, requests.RequestException, ValueError, KeyError) as error:
        log.warning("LTI roster request failed for %s: %s", launch.connection.issuer, error)
        return render_template(
            "lti/roster.html",
            launch=launch,
            sections=sections,
            comparison=None,
            problem="The LMS did not answer the roster request. Try again in a moment.",
        ), 502
    comparison = rosters.compare(conf.connection or launch.connection, list(members), sections)
    return render_template("lti/roster.html", launch=launch, sections=sections, comparison=comparison, problem=None)
