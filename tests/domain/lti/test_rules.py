"""The LMS rules without a request: who may link or check a course, where a launch lands, claims, nonces,
people, connections and keys. Services take `now`; the clock is moved by passing another one."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from orders.domain.lti import connections, identities, keys, launches, registration
from orders.domain.lti.claims import read, split_ids
from orders.domain.lti.connections import ConnectionFields
from orders.domain.models import AdminAuditEntry, LtiConnection, PersonMatch, Section, User
from orders.domain.refusals import RuleBroken
from orders.domain.rules import lms_course_decision, lms_landing
from orders.extensions import db

INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def _fields(**changes) -> ConnectionFields:
    values = dict(issuer="https://lms.example.edu", client_id="c1", deployment_ids=("d1",),
                  auth_url="https://lms.example.edu/auth", token_url="https://lms.example.edu/token",
                  jwks_url="https://lms.example.edu/jwks")
    return ConnectionFields(**{**values, **changes})


def _section(sis_id: str) -> Section:
    return db.session.scalars(select(Section).where(Section.sis_id == sis_id)).one()


@pytest.mark.parametrize("who, sis_ids, allowed", [
    ("ada", ["202710-MATH-221-001", "202710-MATH-221-002"], True),  # teaches both
    ("ada", ["202710-MATH-221-001", "202710-CS-310-001"], False),  # not CS 310
    ("emmy", ["202710-MATH-221-001"], True),  # coordinator for MATH
    ("grace", ["202710-MATH-221-001"], False),  # coordinator for CS only
    ("katherine", ["202710-CS-310-001"], True),  # Program Administrator: any
    ("mary", ["202710-MATH-221-001"], False),  # a student: never, whatever her LMS role
    ("ada", [], False),  # nothing to link
])
def test_who_may_link_or_check_an_lms_course(app_ctx, demo_data, who, sis_ids, allowed):
    decision = lms_course_decision(demo_data.user(who), [_section(s) for s in sis_ids])
    assert bool(decision) is allowed
    assert allowed or decision.reason


@pytest.mark.parametrize("who, instructor_role, landing", [
    ("ada", True, "courses"), ("ada", False, "courses"),  # staff without enrollments: Courses either way
    ("mary", True, "materials"), ("mary", False, "materials"),  # a student: the role grants nothing
    ("katherine", True, "courses"),
])
def test_where_a_launch_lands(app_ctx, demo_data, who, instructor_role, landing):
    assert lms_landing(demo_data.user(who), instructor_role=instructor_role) == landing


def test_claims_are_read_defensively():
    claims = read(
        {
            "sub": "u1",
            "email": " Ada@Demo.EDU ",
            "https://purl.imsglobal.org/spec/lti/claim/roles": [INSTRUCTOR, 7],
            "https://purl.imsglobal.org/spec/lti/claim/lis": {
                "course_section_sourcedid": "a, b,,a",
                "person_sourcedid": "S1",
            },
            "https://purl.imsglobal.org/spec/lti/claim/context": "not an object",
        }
    )
    assert claims.email == "ada@demo.edu" and claims.person_sis_id == "S1" and claims.instructor_like
    assert claims.section_sis_ids == ("a", "b") and claims.context_id == ""
    assert split_ids(None) == () and not read({}).instructor_like


def test_a_nonce_is_used_once_and_expires(app_ctx, now):
    launches.issue_nonce("n1", now)
    launches.issue_nonce("n2", now)
    assert launches.use_nonce("n1", now) is True
    assert launches.use_nonce("n1", now) is False  # replayed
    assert launches.use_nonce("never-issued", now) is False
    assert launches.use_nonce("n2", now + launches.NONCE_LIFETIME + timedelta(seconds=1)) is False  # too late


def test_people_are_matched_by_one_rule_and_remembered(app_ctx, demo_data, now):
    by_email = connections.register(_fields(), actor=None, now=now)
    by_sis = connections.register(_fields(client_id="c2", match=PersonMatch.SIS_ID.value), actor=None, now=now)
    ada = demo_data.user("ada")
    email_claims = read({"sub": "s-ada", "email": "ADA@demo.edu"})
    assert identities.match_person(by_email, email_claims, now) == ada
    assert identities.match_person(by_sis, email_claims, now) is None  # the SIS-id rule never falls back to email
    sis_claims = read(
        {"sub": "s-ada-2", "https://purl.imsglobal.org/spec/lti/claim/lis": {"person_sourcedid": ada.sis_id}}
    )
    assert identities.match_person(by_sis, sis_claims, now) == ada
    assert (
        identities.match_person(by_email, read({"sub": "s-ada", "email": "changed@lms.edu"}), now) == ada
    )  # remembered
    ada.active = False
    assert identities.match_person(by_email, email_claims, now) is None
    assert identities.match_person(by_email, read({"email": "ada@demo.edu"}), now) is None  # no sub, nobody


@pytest.mark.parametrize(
    "changes, words",
    [
        (dict(issuer="http://lms.example.edu"), "Issuer must be an https:// address"),
        (dict(jwks_url="not a url"), "Key set URL"),
        (dict(client_id=" "), "Client id is required"),
        (dict(deployment_ids=("", " ")), "at least one deployment id"),
        (dict(match="name"), "email or by SIS id"),
    ],
)
def test_a_bad_connection_is_refused_and_nothing_is_saved(app_ctx, now, changes, words):
    with pytest.raises(RuleBroken, match=words):
        connections.register(_fields(**changes), actor=None, now=now)
    assert db.session.scalars(select(LtiConnection)).first() is None


def test_connections_are_audited_and_unique(app_ctx, demo_data, now):
    katherine = demo_data.user("katherine")
    connection = connections.register(_fields(), actor=katherine, now=now)
    with pytest.raises(RuleBroken, match="already exists"):
        connections.register(_fields(), actor=katherine, now=now)
    connections.update(connection, _fields(deployment_ids=("d1", "d2"), match="sis_id"), actor=katherine, now=now)
    connections.remove(connection, actor=katherine, now=now)
    entries = db.session.scalars(
        select(AdminAuditEntry).where(AdminAuditEntry.kind.like("lti.%")).order_by(AdminAuditEntry.id)
    ).all()
    assert [e.kind for e in entries] == [
        "lti.key_added",
        "lti.connection_added",
        "lti.connection_changed",
        "lti.connection_removed",
    ]
    assert entries[2].before == {"deployment_ids": ["d1"], "match": "email"}
    assert entries[2].after == {"deployment_ids": ["d1", "d2"], "match": "sis_id"}
    assert all(e.actor_id == katherine.id for e in entries[1:])


def test_frame_origins_are_the_issuers_and_lms_addresses(app_ctx, now):
    canvas = connections.register(
        _fields(issuer="https://canvas.instructure.com", lms_url="https://school.instructure.com/x"),
        actor=None,
        now=now,
    )
    moodle = connections.register(_fields(issuer="https://moodle.school.edu"), actor=None, now=now)
    assert connections.frame_origins([canvas, moodle]) == [
        "https://canvas.instructure.com",
        "https://school.instructure.com",
        "https://moodle.school.edu",
    ]


def test_keys_rotate_and_publish_two(app_ctx, now):
    first = keys.ensure_key(actor=None, now=now)
    assert keys.ensure_key(actor=None, now=now) == first  # made once
    second = keys.rotate(actor=None, now=now + timedelta(days=1))
    third = keys.rotate(actor=None, now=now + timedelta(days=2))
    assert [k.kid for k in keys.published()] == [third.kid, second.kid]
    assert keys.current() == third
    assert all("d" not in k for k in keys.key_set()["keys"])  # public halves only


def test_a_registration_link_is_used_once_before_it_expires(app_ctx, demo_data, now):
    katherine = demo_data.user("katherine")
    first = registration.issue(actor=katherine, now=now)
    assert registration.spend(first, now) == katherine
    assert registration.spend(first, now) is None
    late = registration.issue(actor=katherine, now=now)
    assert registration.spend(late, now + registration.TOKEN_LIFETIME + timedelta(seconds=1)) is None
    assert registration.spend("", now) is None
    assert isinstance(db.session.get(User, katherine.id), User)
