"""Reading a verified launch's claims (the id token's body): roles, the course, the LIS ids. Pure functions."""
from __future__ import annotations

from dataclasses import dataclass

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
LIS = LTI + "lis"
DEPLOYMENT_ID = LTI + "deployment_id"
MESSAGE_TYPE = LTI + "message_type"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
DEEP_LINKING = "LtiDeepLinkingRequest"

# Roles that open the staff side (the Courses screen) when the app agrees the person is staff: teaching,
# designing or administering the course. Everything else (Learner, Mentor, Guest ...) is treated as a learner.
INSTRUCTOR_LIKE = ("#Instructor", "#TeachingAssistant", "#ContentDeveloper", "#Administrator")
LEARNER = "#Learner"


@dataclass(frozen=True)
class LaunchClaims:
    """What the app uses from a launch."""

    sub: str
    email: str
    person_sis_id: str
    name: str
    roles: tuple[str, ...]
    context_id: str
    context_title: str
    context_label: str
    section_sis_ids: tuple[str, ...]
    deployment_id: str
    message_type: str

    @property
    def instructor_like(self) -> bool:
        return any(role.endswith(suffix) for role in self.roles for suffix in INSTRUCTOR_LIKE)

    @property
    def deep_linking(self) -> bool:
        return self.message_type == DEEP_LINKING


def _text(value, limit: int = 255) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def split_ids(value) -> tuple[str, ...]:
    """LIS section sourcedids: one id, or several separated by commas (cross-listed and merged courses)."""
    if not isinstance(value, str):
        return ()
    return tuple(dict.fromkeys(part.strip()[:64] for part in value.split(",") if part.strip()))


def _of(value, kind: type):
    """The value when it has the expected JSON type, else an empty one."""
    return value if isinstance(value, kind) else kind()


def read(body: dict) -> LaunchClaims:
    """The launch's claims, each one checked for its type (a platform may omit any optional claim)."""
    context: dict = _of(body.get(CONTEXT), dict)
    lis: dict = _of(body.get(LIS), dict)
    roles: list = _of(body.get(ROLES), list)
    return LaunchClaims(
        sub=_text(body.get("sub")),
        email=_text(body.get("email"), 254).lower(),
        person_sis_id=_text(lis.get("person_sourcedid"), 64),
        name=_text(body.get("name"), 200),
        roles=tuple(r for r in roles if isinstance(r, str)),
        context_id=_text(context.get("id")),
        context_title=_text(context.get("title"), 300),
        context_label=_text(context.get("label"), 100),
        section_sis_ids=split_ids(lis.get("course_section_sourcedid")),
        deployment_id=_text(body.get(DEPLOYMENT_ID), 200),
        message_type=_text(body.get(MESSAGE_TYPE), 64),
    )


def is_learner_member(member: dict) -> bool:
    """An NRPS member who is an active learner of the course."""
    roles: list = _of(member.get("roles"), list)
    active = member.get("status", "Active") == "Active"
    return active and any(isinstance(r, str) and (r.endswith(LEARNER) or r == "Learner") for r in roles)
