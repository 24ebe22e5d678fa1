"""The roster check: the LMS's learners against the SIS enrollments of the mapped sections, both ways."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select

from orders.domain.lti.claims import is_learner_member
from orders.domain.models import Enrollment, EnrollmentState, LtiConnection, LtiIdentity, PersonMatch, Section, User
from orders.extensions import db


@dataclass(frozen=True)
class RosterPerson:
    name: str
    key: str  # the email or SIS id the match used
    sections: str = ""  # the SIS side: which mapped sections


@dataclass
class RosterComparison:
    """Who is in both, only in the LMS, only in the SIS."""

    both: list[RosterPerson] = field(default_factory=list)
    lms_only: list[RosterPerson] = field(default_factory=list)
    sis_only: list[RosterPerson] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return not self.lms_only and not self.sis_only


def _member_key(connection: LtiConnection, member: dict) -> str:
    if connection.match is PersonMatch.SIS_ID:
        value = member.get("lis_person_sourcedid")
        return value.strip() if isinstance(value, str) else ""
    value = member.get("email")
    return value.strip().lower() if isinstance(value, str) else ""


def _user_key(connection: LtiConnection, user: User) -> str:
    return (user.sis_id or "") if connection.match is PersonMatch.SIS_ID else user.email.lower()


def compare(connection: LtiConnection, members: Sequence[object], sections: list[Section]) -> RosterComparison:
    """Match each active LMS learner to a user (remembered `sub` first, then the connection's rule) and
    compare with who is enrolled (not dropped) in the sections. `members` is the LMS's JSON, checked here."""
    learners = [m for m in members if isinstance(m, dict) and is_learner_member(m)]
    enrolled: dict[int, tuple[User, list[str]]] = {}
    rows = db.session.execute(
        select(User, Section)
        .join(Enrollment, Enrollment.user_id == User.id)
        .join(Section, Section.id == Enrollment.section_id)
        .where(Enrollment.section_id.in_([s.id for s in sections]), Enrollment.state == EnrollmentState.ENROLLED)
        .order_by(User.sort_name, User.id)
    ).all()
    for user, section in rows:
        enrolled.setdefault(user.id, (user, []))[1].append(
            f"{section.course.subject} {section.course.number} {section.label}"
        )
    subs = [m["user_id"] for m in learners if isinstance(m.get("user_id"), str)]
    by_sub: dict[str, int] = (
        {
            sub: user_id
            for sub, user_id in db.session.execute(
                select(LtiIdentity.sub, LtiIdentity.user_id).where(
                    LtiIdentity.connection_id == connection.id, LtiIdentity.sub.in_(subs)
                )
            ).all()
        }
        if subs
        else {}
    )
    keys = [_member_key(connection, m) for m in learners]
    column = User.sis_id if connection.match is PersonMatch.SIS_ID else func.lower(User.email)
    by_key: dict[str, int] = (
        {
            str(row[0]): row[1]
            for row in db.session.execute(select(column, User.id).where(column.in_([k for k in keys if k]))).all()
        }
        if any(keys)
        else {}
    )
    result = RosterComparison()
    seen: set[int] = set()
    for member, key in zip(learners, keys):
        sub = member.get("user_id")
        user_id: int | None = (by_sub.get(sub) if isinstance(sub, str) else None) or by_key.get(key)
        sent_name = member.get("name")
        name: str = sent_name if isinstance(sent_name, str) and sent_name else (key or "(no name sent)")
        person = RosterPerson(name=name, key=key or "(none sent)")
        if user_id is not None and user_id in enrolled:
            seen.add(user_id)
            result.both.append(
                RosterPerson(name=name, key=key or "(none sent)", sections=", ".join(enrolled[user_id][1]))
            )
        else:
            result.lms_only.append(person)
    for user_id, (user, labels) in enrolled.items():
        if user_id not in seen:
            result.sis_only.append(
                RosterPerson(name=user.name, key=_user_key(connection, user), sections=", ".join(labels))
            )
    result.lms_only.sort(key=lambda p: p.name.lower())
    return result
