"""Where a launch lands: the sections of the LMS course, from the LIS claim or from a link made once."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select

from orders.domain.audit import record
from orders.domain.formats.like import ESCAPE, anywhere
from orders.domain.models import Course, LtiCourseLink, LtiLaunch, Section, Term, User
from orders.domain.reach import visible_sections_clause
from orders.domain.refusals import PermissionDenied
from orders.domain.rules import lms_course_decision
from orders.extensions import db

LINKABLE_LIMIT = 100


def sections_by_sis_id(sis_ids: tuple[str, ...]) -> list[Section]:
    """Our sections the LIS claim names (unknown ids are ignored: the link page says none matched)."""
    if not sis_ids:
        return []
    return list(db.session.scalars(select(Section).where(Section.sis_id.in_(sis_ids)).order_by(Section.id)))


def linked_sections(connection_id: int, context_id: str | None) -> list[Section]:
    """The sections someone linked to this LMS course."""
    if not context_id:
        return []
    return list(db.session.scalars(
        select(Section).join(LtiCourseLink, LtiCourseLink.section_id == Section.id)
        .where(LtiCourseLink.connection_id == connection_id, LtiCourseLink.context_id == context_id)
        .order_by(Section.id)
    ))


def launch_sections(launch: LtiLaunch) -> list[Section]:
    """The launched course's sections: the LIS claim's when it named ours, else the course link's."""
    if launch.section_ids:
        return list(db.session.scalars(select(Section).where(Section.id.in_(launch.section_ids)).order_by(Section.id)))
    return linked_sections(launch.connection_id, launch.context_id)


def linkable_sections(user: User, query: str, today) -> list[Section]:
    """Sections the user may link (taught, covered, any for a PA) in terms not yet over, matching the search."""
    statement = (
        select(Section).join(Course, Course.id == Section.course_id).join(Term, Term.id == Section.term_id)
        .where(visible_sections_clause(user), Term.ends_on >= today)
        .order_by(Term.starts_on, Course.subject, Course.number, Section.label)
        .limit(LINKABLE_LIMIT)
    )
    if query.strip():
        needle = anywhere(query.strip())
        statement = statement.where(or_(
            func.lower(Course.subject + " " + Course.number).like(needle, escape=ESCAPE),
            func.lower(Course.title).like(needle, escape=ESCAPE),
            func.lower(Section.sis_id).like(needle, escape=ESCAPE),
        ))
    return list(db.session.scalars(statement))


def _names(sections: list[Section]) -> list[str]:
    return [f"{s.course.subject} {s.course.number} {s.label} ({s.term.name})" for s in sections]


def link(launch: LtiLaunch, sections: list[Section], *, actor: User, now: datetime) -> list[Section]:
    """Link the launched LMS course to these sections (replacing an earlier link the actor may also change).

    The same rule as the roster check: sections the actor teaches or covers, any for a Program Administrator.
    """
    if not launch.context_id:
        raise PermissionDenied("The LMS sent no course with this launch, so there is nothing to link.")
    decision = lms_course_decision(actor, sections)
    if not decision:
        raise PermissionDenied(decision.reason)
    before = linked_sections(launch.connection_id, launch.context_id)
    if before:
        kept = lms_course_decision(actor, before)
        if not kept:
            raise PermissionDenied(f"This course is already linked to sections you cannot change. {kept.reason}")
    db.session.execute(delete(LtiCourseLink).where(
        LtiCourseLink.connection_id == launch.connection_id, LtiCourseLink.context_id == launch.context_id
    ))
    for section in sections:
        db.session.add(LtiCourseLink(
            connection_id=launch.connection_id, context_id=launch.context_id, section_id=section.id,
            linked_by_id=actor.id, linked_at=now,
        ))
    db.session.flush()
    record(
        "lti.course_linked", f"LMS course {launch.context_title or launch.context_id}",
        {"sections": _names(before)} if before else None, {"sections": _names(sections)}, actor=actor, now=now,
    )
    return sections
