"""Reconcile the database with a SIS dump, by SIS id, in the caller's one transaction.

1. read_dump: parse and check every file (orders.domain.sis.files).
2. plan: check the dump as a whole (duplicate ids and keys, references), then load each table's
   existing rows once into dicts keyed by SIS id and work out every insert, update, removal and
   ended teaching assignment. Reads only, so --dry-run stops here.
3. apply: parents first; executemany INSERTs and UPDATEs in batches, never a SELECT per row.

Rows without a SIS id are not the SIS's: they are never changed or removed, except that a row with
no SIS id whose natural key (a term's code, a user's email, ...) the dump names is adopted (given
the SIS id) instead of duplicated. Users absent from the dump are kept as they are: the import
never deactivates anyone. Sections absent from the dump become `removed` (orders keep them);
teaching assignments absent from it are ended (deleted), and the report lists how many.
Enrollments (enrollments.csv) are never deleted: a change of status, or a SIS pair absent from the
dump, sets the state and stamps enrolled_at or dropped_at with the import's time. A dump without
enrollments.csv carries no enrollment data and leaves every enrollment as it is (with a warning).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import cast

from sqlalchemy import Table, bindparam, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from orders.domain import upkeep
from orders.domain.audit import record
from orders.domain.changelog import record_changes
from orders.domain.models import (
    AcademicSession,
    Campus,
    Course,
    Enrollment,
    EnrollmentState,
    Order,
    OrderSection,
    OrderStatus,
    Organization,
    Section,
    SectionState,
    TeachingAssignment,
    Term,
    User,
)
from orders.domain.sis.files import SISFileError, read_dump
from orders.extensions import db

BATCH = 2000
SAMPLES = 10
ADVISORY_LOCK = 7_246_001  # one import at a time (PostgreSQL)


@dataclass(frozen=True)
class Entity:
    """A simple SIS entity: its file, model, the columns the dump sets and its natural keys."""

    name: str
    file: str
    model: type
    label: str
    fields: tuple[str, ...]  # model columns, in the file's column order after sis_id
    keys: tuple[tuple[str, ...], ...]  # natural unique keys, as model columns


ENTITIES = (
    Entity("terms", "terms.csv", Term, "term", ("code", "name", "starts_on", "ends_on"), (("code",),)),
    Entity("sessions", "sessions.csv", AcademicSession, "session", ("name",), (("name",),)),
    Entity("campuses", "campuses.csv", Campus, "campus", ("code", "name"), (("code",),)),
    Entity("organizations", "organizations.csv", Organization, "organization", ("code", "name"), (("code",),)),
    Entity("courses", "courses.csv", Course, "course", ("subject", "number", "title"), (("subject", "number"),)),
)
SECTION_FIELDS = ("course_id", "term_id", "session_id", "campus_id", "organization_id", "level", "label", "state")
USER_FIELDS = ("name", "sort_name", "email", "network_id")
PARENT_OF = {
    "course_id": "courses",
    "term_id": "terms",
    "session_id": "sessions",
    "campus_id": "campuses",
    "organization_id": "organizations",
}


@dataclass
class Counts:
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    removed: int | None = None  # sections removed, teaching assignments ended; None where it cannot happen


@dataclass
class Report:
    directory: str
    dry_run: bool
    counts: dict[str, Counts] = field(default_factory=dict)
    samples: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return any(c.inserted or c.updated or c.removed for c in self.counts.values())

    def sample(self, entity: str, kind: str, value: str) -> None:
        bucket = self.samples.setdefault(entity, {}).setdefault(kind, [])
        if len(bucket) < SAMPLES:
            bucket.append(value)

    def as_dict(self) -> dict:
        return {
            "directory": self.directory,
            "dry_run": self.dry_run,
            "changed": self.changed,
            "seconds": round(self.seconds, 1),
            "counts": {name: vars(c) for name, c in self.counts.items()},
            "samples": self.samples,
            "warnings": self.warnings,
        }

    def text(self) -> str:
        """The printed report."""
        head = f"SIS import from {self.directory}" + (" (dry run: nothing was changed)" if self.dry_run else "")
        lines = [head, "", f"{'entity':24} {'in dump':>8} {'inserted':>9} {'updated':>8} {'removed':>8}"]
        for name, c in self.counts.items():
            removed = "-" if c.removed is None else f"{c.removed:,}"
            lines.append(f"{name.replace('_', ' '):24} {c.rows:>8,} {c.inserted:>9,} {c.updated:>8,} {removed:>8}")
        for name, kinds in self.samples.items():
            for kind, values in kinds.items():
                lines.append(f"  {name.replace('_', ' ')} {kind} (first {len(values)}): {', '.join(values)}")
        if self.warnings:
            lines += ["", "Warnings:"] + [f"- {w}" for w in self.warnings]
        lines += [
            "",
            ("Changes applied." if not self.dry_run else "Changes that would be applied.")
            if self.changed
            else "No changes.",
        ]
        lines.append(f"Took {self.seconds:.1f} s.")
        return "\n".join(lines)


@dataclass
class _EntityPlan:
    inserts: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)  # each has "id"
    ids: dict[str, int] = field(default_factory=dict)  # sis_id -> id, existing and adopted
    existing: dict = field(default_factory=dict)  # sis_id -> the row as loaded


@dataclass
class Plan:
    report: Report
    entities: dict[str, _EntityPlan]
    section_removals: list[int]
    ta_inserts: list[tuple[str, str]]  # (user sis id, section sis id)
    ta_deletes: list[tuple[int, int]]  # (user id, section id)
    enrollment_inserts: list[tuple[str, str, EnrollmentState]] = field(
        default_factory=list
    )  # (user sis, section sis, state)
    enrollment_updates: list[tuple[int, EnrollmentState]] = field(default_factory=list)  # (enrollment id, new state)
    enrollment_sections: set[int] = field(
        default_factory=set
    )  # sections of the updated enrollments (their counts move)


# --- Checking the dump as a whole ----------------------------------------------------------------


def _check_unique(
    rows, file: str, positions: tuple[int, ...], what: str, problems: list[str], fold=lambda v: v
) -> None:
    seen: dict[tuple, int] = {}
    for line, values in rows:
        key = tuple(fold(values[i]) for i in positions)
        if any(part is None for part in key):
            continue
        if key in seen:
            problems.append(
                f"{file} line {line}: duplicate {what} {' / '.join(map(str, key))!s} (first on line {seen[key]})"
            )
        else:
            seen[key] = line


def check_dump(dump: dict) -> None:
    """Duplicate ids and keys within a file, and references to ids the dump does not have."""
    problems: list[str] = []
    _check_unique(dump["terms.csv"], "terms.csv", (0,), "sis_id", problems)
    _check_unique(dump["terms.csv"], "terms.csv", (1,), "code", problems)
    for line, values in dump["terms.csv"]:
        if values[3] > values[4]:
            problems.append(f"terms.csv line {line}: start_date {values[3]} is after end_date {values[4]}")
    _check_unique(dump["sessions.csv"], "sessions.csv", (0,), "sis_id", problems)
    _check_unique(dump["sessions.csv"], "sessions.csv", (1,), "name", problems)
    for file in ("campuses.csv", "organizations.csv"):
        _check_unique(dump[file], file, (0,), "sis_id", problems)
        _check_unique(dump[file], file, (1,), "code", problems)
    _check_unique(dump["courses.csv"], "courses.csv", (0,), "sis_id", problems)
    _check_unique(dump["courses.csv"], "courses.csv", (1, 2), "subject and number", problems)
    _check_unique(dump["sections.csv"], "sections.csv", (0,), "sis_id", problems)
    _check_unique(dump["sections.csv"], "sections.csv", (1, 2, 7), "course, term and label", problems)
    _check_unique(dump["users.csv"], "users.csv", (0,), "sis_id", problems)
    _check_unique(dump["users.csv"], "users.csv", (2,), "email", problems)
    _check_unique(dump["users.csv"], "users.csv", (3,), "network_id", problems)
    _check_unique(dump["teaching_assignments.csv"], "teaching_assignments.csv", (0, 1), "teaching assignment", problems)
    enrollments = dump.get("enrollments.csv") or []
    _check_unique(enrollments, "enrollments.csv", (0, 1), "enrollment (user and section)", problems)
    known = {
        file: {values[0] for _, values in dump[file]}
        for file in (
            "terms.csv",
            "sessions.csv",
            "campuses.csv",
            "organizations.csv",
            "courses.csv",
            "sections.csv",
            "users.csv",
        )
    }
    references = [
        (1, "course_sis_id", "courses.csv"),
        (2, "term_sis_id", "terms.csv"),
        (3, "session_sis_id", "sessions.csv"),
        (4, "campus_sis_id", "campuses.csv"),
        (5, "organization_sis_id", "organizations.csv"),
    ]
    for line, values in dump["sections.csv"]:
        for position, column, target in references:
            if values[position] not in known[target]:
                problems.append(f"sections.csv line {line}: {column} {values[position]!r} is not in {target}")
    for line, values in dump["teaching_assignments.csv"]:
        if values[0] not in known["users.csv"]:
            problems.append(f"teaching_assignments.csv line {line}: user_sis_id {values[0]!r} is not in users.csv")
        if values[1] not in known["sections.csv"]:
            problems.append(
                f"teaching_assignments.csv line {line}: section_sis_id {values[1]!r} is not in sections.csv"
            )
    for line, values in enrollments:
        if values[0] not in known["users.csv"]:
            problems.append(f"enrollments.csv line {line}: user_sis_id {values[0]!r} is not in users.csv")
        if values[1] not in known["sections.csv"]:
            problems.append(f"enrollments.csv line {line}: section_sis_id {values[1]!r} is not in sections.csv")
    if problems:
        raise SISFileError(
            problems[:50] + ([f"... and {len(problems) - 50} more problems"] if len(problems) > 50 else [])
        )


# --- Planning: one SELECT per table, then dict lookups ---------------------------------------------


def _reconcile(
    file: str,
    label: str,
    model,
    fields: tuple[str, ...],
    keys: tuple[tuple[str, ...], ...],
    desired: list[tuple[int, str, dict]],
    report_name: str,
    report: Report,
    problems: list[str],
) -> _EntityPlan:
    """Diff desired rows (line, sis_id, values) against the table; adopt keyless rows by natural key."""
    table = model.__table__
    columns = [table.c.id, table.c.sis_id] + [table.c[name] for name in fields if name in table.c]
    existing = db.session.execute(select(*columns)).all()
    by_sis = {row.sis_id: row for row in existing if row.sis_id is not None}
    by_key = [{tuple(getattr(row, k) for k in key): row for row in existing} for key in keys]
    wanted = {sis_id for _, sis_id, _ in desired}
    plan = _EntityPlan(ids={sis_id: row.id for sis_id, row in by_sis.items()})
    counts = report.counts[report_name] = Counts(rows=len(desired), removed=None)
    adopted: set[int] = set()
    for line, sis_id, values in desired:
        row = by_sis.get(sis_id)
        own_id = row.id if row is not None else None
        for key, index in zip(keys, by_key):
            holder = index.get(tuple(values[k] for k in key))
            if holder is None or holder.id == own_id:
                continue
            if holder.sis_id is None and row is None and holder.id not in adopted and key == keys[0]:
                row = holder  # adopt: the row predates the SIS; give it this SIS id
                own_id = holder.id
                adopted.add(holder.id)
                continue
            if holder.sis_id is not None and holder.sis_id in wanted:
                continue  # the holder moves to another value in this same import
            owner = f"SIS id {holder.sis_id!r}" if holder.sis_id else "no SIS id"
            problems.append(
                f"{file} line {line}: {' and '.join(key)} {' / '.join(str(values[k]) for k in key)!r} "
                f"already belongs to another {label} in the database ({owner})"
            )
        if row is None:
            plan.inserts.append({"sis_id": sis_id, **values})
            counts.inserted += 1
            report.sample(report_name, "inserted", sis_id)
            continue
        if row.sis_id != sis_id or any(getattr(row, name) != value for name, value in values.items()):
            plan.updates.append({"id": row.id, "sis_id": sis_id, **values})
            plan.ids[sis_id] = row.id
            counts.updated += 1
            report.sample(report_name, "updated", sis_id)
    missing = len(set(by_sis) - wanted)
    if missing and report_name not in ("sections",):
        what = "users" if report_name == "users" else report_name.replace("_", " ")
        extra = (
            " (the import never deactivates anyone; deactivate people in the back office)"
            if report_name == "users"
            else ""
        )
        report.warnings.append(
            f"{missing:,} {what} in the database are not in the dump and were kept as they are{extra}."
        )
    plan.existing = by_sis
    return plan


def plan_import(
    dump: dict,
    directory: str,
    *,
    dry_run: bool,
    max_removal_share: float | None = None,
    allow_course_changes: bool = False,
) -> Plan:
    """Work out every change; reads the database but writes nothing.

    With `max_removal_share`, a plan removing more than that share of the active sections or of the
    teaching assignments is refused (see _check_mass_removal); None allows any. A course on an order
    renumbered (subject or number) is refused unless `allow_course_changes` (_check_ordered_courses_stay).
    """
    report = Report(directory=directory, dry_run=dry_run)
    problems: list[str] = []
    plans: dict[str, _EntityPlan] = {}
    for entity in ENTITIES:
        desired = [(line, values[0], dict(zip(entity.fields, values[1:]))) for line, values in dump[entity.file]]
        plans[entity.name] = _reconcile(
            entity.file, entity.label, entity.model, entity.fields, entity.keys, desired, entity.name, report, problems
        )
    if not allow_course_changes:
        _check_ordered_courses_stay(plans["courses"], dump["courses.csv"], problems)

    # Sections: compare foreign keys in id space; a parent new in this import has no id yet (None).
    parent_ids = {column: plans[name].ids for column, name in PARENT_OF.items()}
    section_desired = []
    for line, (sis_id, course, term, session, campus, org, level, label) in dump["sections.csv"]:
        values = {
            "course_id": parent_ids["course_id"].get(course),
            "term_id": parent_ids["term_id"].get(term),
            "session_id": parent_ids["session_id"].get(session),
            "campus_id": parent_ids["campus_id"].get(campus),
            "organization_id": parent_ids["organization_id"].get(org),
            "level": level,
            "label": label,
            "state": SectionState.ACTIVE,
        }
        section_desired.append((line, sis_id, values))
    sections = _reconcile(
        "sections.csv",
        "section",
        Section,
        SECTION_FIELDS,
        (("course_id", "term_id", "label"),),
        section_desired,
        "sections",
        report,
        problems,
    )
    # Foreign keys are resolved by SIS id when applying (the parent may be new).
    refs = {
        sis_id: (course, term, session, campus, org)
        for _, (sis_id, course, term, session, campus, org, *_rest) in dump["sections.csv"]
    }
    for row in sections.inserts + sections.updates:
        row["_refs"] = refs[row["sis_id"]]
    plans["sections"] = sections
    _check_ordered_sections_stay(sections, dump["sections.csv"], problems)
    wanted_sections = set(refs)
    removals = [
        row.id
        for sis_id, row in sections.existing.items()
        if sis_id not in wanted_sections and row.state is SectionState.ACTIVE
    ]
    report.counts["sections"].removed = len(removals)
    for sis_id, row in sections.existing.items():
        if sis_id not in wanted_sections and row.state is SectionState.ACTIVE:
            report.sample("sections", "removed", sis_id)
    restored = sum(
        1
        for row in sections.updates
        if sections.existing.get(row["sis_id"]) is not None
        and sections.existing[row["sis_id"]].state is SectionState.REMOVED
    )
    if restored:
        report.warnings.append(
            f"{restored:,} sections that had been removed are in the dump again and are active again."
        )
    if removals:
        _warn_removed_on_orders(removals, sections, report)

    user_desired = [
        (line, sis_id, {"name": name, "sort_name": User.sort_key_for(name), "email": email, "network_id": network_id})
        for line, (sis_id, name, email, network_id) in dump["users.csv"]
    ]
    plans["users"] = _reconcile(
        "users.csv", "user", User, USER_FIELDS, (("email",), ("network_id",)), user_desired, "users", report, problems
    )
    if not problems:
        _check_identities(plans["users"], dump["users.csv"], problems)
    if problems:
        raise SISFileError(problems[:50])

    # Teaching assignments, in id space; only pairs whose user and section both belong to the SIS are ended.
    user_ids, section_ids = plans["users"].ids, sections.ids
    user_sis = {v: k for k, v in user_ids.items()}
    section_sis = {v: k for k, v in section_ids.items()}
    existing_pairs = {
        (row.user_id, row.section_id)
        for row in db.session.execute(select(TeachingAssignment.user_id, TeachingAssignment.section_id))
    }
    desired_pairs = [(u, s) for _, (u, s) in dump["teaching_assignments.csv"]]
    ta = report.counts["teaching_assignments"] = Counts(rows=len(desired_pairs), removed=0)
    inserts, kept = [], set()
    for user, section in desired_pairs:
        pair = (user_ids.get(user), section_ids.get(section))
        if pair in existing_pairs:
            kept.add(pair)
        else:
            inserts.append((user, section))
            report.sample("teaching_assignments", "inserted", f"{user} teaches {section}")
    deletes = [pair for pair in existing_pairs if pair not in kept and pair[0] in user_sis and pair[1] in section_sis]
    for user_id, section_id in deletes[:SAMPLES]:
        report.sample("teaching_assignments", "ended", f"{user_sis[user_id]} teaches {section_sis[section_id]}")
    ta.inserted, ta.removed = len(inserts), len(deletes)
    plan = Plan(report, plans, removals, inserts, deletes)
    droppable = _plan_enrollments(dump.get("enrollments.csv"), plan, user_sis, section_sis)
    if max_removal_share is not None:
        active = sum(1 for row in sections.existing.values() if row.state is SectionState.ACTIVE)
        endable = sum(1 for pair in existing_pairs if pair[0] in user_sis and pair[1] in section_sis)
        # The enrollments' Counts always carries a number (removed=0 when made), never None.
        absent = (report.counts["enrollments"].removed or 0) if "enrollments" in report.counts else 0
        _check_mass_removal(
            max_removal_share,
            [
                ("sections.csv", "active sections", "remove", len(removals), active),
                ("teaching_assignments.csv", "teaching assignments", "end", len(deletes), endable),
                ("enrollments.csv", "enrollments", "drop", absent, droppable),
            ],
        )
    return plan


def _plan_enrollments(rows, plan: Plan, user_sis: dict[int, str], section_sis: dict[int, str]) -> int:
    """Enrollments in id space: new pairs inserted, changed states updated, SIS pairs absent from the dump dropped.

    Returns how many enrolled pairs the SIS owns (what a mass removal is a share of)."""
    report = plan.report
    existing = db.session.execute(
        select(Enrollment.id, Enrollment.user_id, Enrollment.section_id, Enrollment.state)
    ).all()
    if rows is None:
        if existing:
            report.warnings.append(
                f"enrollments.csv is not in the dump: {len(existing):,} enrollments were left as they are."
            )
        return 0
    user_ids, section_ids = plan.entities["users"].ids, plan.entities["sections"].ids
    by_pair = {(row.user_id, row.section_id): row for row in existing}
    counts = report.counts["enrollments"] = Counts(rows=len(rows), removed=0)
    seen: set[int] = set()
    for _, (user, section, state) in rows:
        row = by_pair.get((user_ids.get(user), section_ids.get(section)))
        if row is None:
            plan.enrollment_inserts.append((user, section, state))
            report.sample("enrollments", "inserted", f"{user} in {section} ({state.value})")
            continue
        seen.add(row.id)
        if row.state is not state:
            plan.enrollment_updates.append((row.id, state))
            plan.enrollment_sections.add(row.section_id)
            report.sample("enrollments", "updated", f"{user} in {section} ({state.value})")
    counts.inserted, counts.updated = len(plan.enrollment_inserts), len(plan.enrollment_updates)
    # Absent = dropped, but only for pairs the SIS owns (both ends carry a SIS id).
    absent = [
        row
        for row in existing
        if row.id not in seen
        and row.state is EnrollmentState.ENROLLED
        and row.user_id in user_sis
        and row.section_id in section_sis
    ]
    for row in absent[:SAMPLES]:
        report.sample("enrollments", "dropped (absent)", f"{user_sis[row.user_id]} in {section_sis[row.section_id]}")
    plan.enrollment_updates += [(row.id, EnrollmentState.DROPPED) for row in absent]
    plan.enrollment_sections.update(row.section_id for row in absent)
    counts.removed = len(absent)
    return sum(
        1
        for row in existing
        if row.state is EnrollmentState.ENROLLED and row.user_id in user_sis and row.section_id in section_sis
    )


MASS_REMOVAL_FLOOR = 5  # this many removals are never "mass": a small institution's ordinary night


def _check_mass_removal(share: float, checks: list[tuple[str, str, str, int, int]]) -> None:
    """Refuse a dump that would remove more than `share` of the active sections or of the teaching assignments.

    A header-only or truncated export looks like "everything was canceled": applied, it would end
    every assignment and remove every section. Above the share the operator confirms with
    --allow-mass-removal.
    """
    problems = []
    for file, what, verb, count, total in checks:
        if count > MASS_REMOVAL_FLOOR and count > share * total:
            problems.append(
                f"{file}: the dump would {verb} {count:,} of {total:,} {what} ({count / total:.0%}), more than "
                f"the {share:.0%} allowed (SIS_MAX_REMOVAL_PERCENT); is the export truncated? "
                f"If this is intended, run again with --allow-mass-removal"
            )
    if problems:
        raise SISFileError(problems)


def _check_ordered_sections_stay(sections: _EntityPlan, rows, problems: list[str]) -> None:
    """A section on an order never moves to another course or term: the order keeps what it was placed for.

    The SIS reusing a section's id for another course would otherwise rewrite the order ("MATH 221 009"
    shown on an order of MATH 340); such a dump is refused, naming the line, the section and the orders.
    """
    line_of = {values[0]: line for line, values in rows}
    moved = {
        row["id"]: row["sis_id"]
        for row in sections.updates
        if (
            sections.existing.get(row["sis_id"]) is not None
            and (row["course_id"], row["term_id"])
            != (sections.existing[row["sis_id"]].course_id, sections.existing[row["sis_id"]].term_id)
        )
    }
    if not moved:
        return
    held: dict[int, list[str]] = {}
    ids = list(moved)
    for start in range(0, len(ids), BATCH):
        for section_id, number in db.session.execute(
            select(OrderSection.section_id, Order.number)
            .join(Order, Order.id == OrderSection.order_id)
            .where(OrderSection.section_id.in_(ids[start : start + BATCH]))
            .distinct()
            .order_by(Order.number)
        ):
            held.setdefault(section_id, []).append(f"#{number}" if number is not None else "a draft")
    for section_id, orders in held.items():
        sis_id = moved[section_id]
        problems.append(
            f"sections.csv line {line_of[sis_id]}: section {sis_id!r} is on order {', '.join(orders[:5])}"
            f"{' …' if len(orders) > 5 else ''} and cannot move to another course or term (an order keeps "
            f"what it was placed for); give the new section a new SIS id"
        )


def _check_ordered_courses_stay(courses: _EntityPlan, rows, problems: list[str]) -> None:
    """A course on an order keeps its subject and number: renumbering it (CS 310 -> MATH 310 under the same SIS id)
    would rename every order of it and move them to other coordinators' reach, as a moved section would.

    Refused like a moved section, naming the file, line and orders, unless --allow-course-changes (the SIS
    really renumbered the course). A new title alone is a correction and passes.
    """
    line_of = {values[0]: line for line, values in rows}
    renamed = {}
    for row in courses.updates:
        before = courses.existing.get(row["sis_id"])
        if before is not None and (row["subject"], row["number"]) != (before.subject, before.number):
            renamed[row["id"]] = (
                row["sis_id"],
                f"{before.subject} {before.number}",
                f"{row['subject']} {row['number']}",
            )
    if not renamed:
        return
    held: dict[int, list[str]] = {}
    for course_id, number in db.session.execute(
        select(Order.course_id, Order.number).where(Order.course_id.in_(list(renamed))).order_by(Order.number)
    ):
        held.setdefault(course_id, []).append(f"#{number}" if number is not None else "a draft")
    for course_id, orders in held.items():
        sis_id, was, becomes = renamed[course_id]
        problems.append(
            f"courses.csv line {line_of[sis_id]}: course {sis_id!r} ({was}) would become {becomes}, but it is on "
            f"order {', '.join(orders[:5])}{' …' if len(orders) > 5 else ''}, which would then read {becomes} and "
            f"move to other coordinators; if the SIS really renumbered it, run again with --allow-course-changes"
        )


def _check_identities(users: _EntityPlan, rows, problems: list[str]) -> None:
    """Refuse a dump after which single sign-on could confuse two people.

    Network ids are matched exactly, so `Bob` and `bob` would be two accounts; an identity provider
    that changes an id's case would then sign one person in as the other: such twins are refused.
    So is a network id that is another person's email (AUTH_HEADER_MATCH decides which field a
    header names; a value that is both belongs to two people). Only collisions the dump creates
    (with a row it inserts or changes) are refused.
    """
    line_of = {values[0]: line for line, values in rows}
    final: dict[object, tuple[str, str | None, str]] = {}
    for known in db.session.execute(select(User.id, User.sis_id, User.email, User.network_id)):
        where = (
            f"users.csv line {line_of[known.sis_id]}"
            if known.sis_id in line_of
            else f"the user {known.email} in the database"
        )
        final[known.id] = (known.email, known.network_id, where)
    changed: set[object] = set()
    for row in users.updates:
        final[row["id"]] = (row["email"], row["network_id"], f"users.csv line {line_of[row['sis_id']]}")
        changed.add(row["id"])
    for row in users.inserts:
        final[row["sis_id"], "new"] = (row["email"], row["network_id"], f"users.csv line {line_of[row['sis_id']]}")
        changed.add((row["sis_id"], "new"))
    by_folded: dict[str, object] = {}
    by_email = {email.lower(): key for key, (email, _, _) in final.items()}
    for key, (_, network_id, where) in final.items():
        if not network_id:
            continue
        twin = by_folded.setdefault(network_id.lower(), key)
        if twin != key and (key in changed or twin in changed) and final[twin][1] != network_id:
            one, other = (key, twin) if key in changed else (twin, key)  # name the dump's line first
            problems.append(
                f"{final[one][2]}: network_id {final[one][1]!r} differs only in case from {final[other][1]!r} "
                f"({final[other][2]}); single sign-on would not tell the two people apart"
            )
        holder = by_email.get(network_id.lower())
        if holder is not None and holder != key and (key in changed or holder in changed):
            problems.append(f"{where}: network_id {network_id!r} is the email of another user ({final[holder][2]})")


def _warn_removed_on_orders(removals: list[int], sections: _EntityPlan, report: Report) -> None:
    """Removed sections on placed orders (or orders in review) stay there ("Not fulfilled"); name a few."""
    sis_by_id = {row.id: sis_id for sis_id, row in sections.existing.items()}
    found: list[tuple[str, int]] = []
    total = 0
    for start in range(0, len(removals), BATCH):
        chunk = removals[start : start + BATCH]
        rows = db.session.execute(
            select(OrderSection.section_id, Order.number)
            .join(Order, Order.id == OrderSection.order_id)
            .where(
                OrderSection.section_id.in_(chunk),
                Order.status.in_((OrderStatus.PLACED, OrderStatus.AWAITING_APPROVAL, OrderStatus.RETURNED)),
            )
        ).all()
        total += len(rows)
        found += (
            [(sis_by_id[row.section_id], row.number) for row in rows[: SAMPLES - len(found)]]
            if len(found) < SAMPLES
            else []
        )
    if total:
        named = ", ".join(f"{sis} on order #{number}" for sis, number in found)
        report.warnings.append(
            f"{total:,} removed sections are on placed orders, which keep them as "
            f"“Not fulfilled (section removed)”: {named}{' …' if total > len(found) else ''}."
        )


# --- Applying: batched executemany, parents first --------------------------------------------------------


def _executemany(statement, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(statement, rows[start : start + BATCH])


def _write(model, plan: _EntityPlan, fields: tuple[str, ...], extra_insert: dict | None = None) -> None:
    table = model.__table__
    if plan.updates:
        names = ("sis_id",) + fields
        statement = update(table).where(table.c.id == bindparam("b_id")).values({n: bindparam(f"b_{n}") for n in names})
        _executemany(statement, [{"b_id": row["id"], **{f"b_{n}": row[n] for n in names}} for row in plan.updates])
    if plan.inserts:
        _executemany(
            insert(table),
            [
                {**{k: v for k, v in row.items() if not k.startswith("_")}, **(extra_insert or {})}
                for row in plan.inserts
            ],
        )
        plan.ids = {
            row.sis_id: row.id
            for row in db.session.execute(select(table.c.sis_id, table.c.id).where(table.c.sis_id.is_not(None)))
        }


def apply_plan(plan: Plan, now: datetime) -> None:
    """Write the plan; the caller commits (or rolls back on error)."""
    entities = plan.entities
    for entity in ENTITIES:
        _write(entity.model, entities[entity.name], entity.fields)
    sections = entities["sections"]
    parent_maps = [entities[name].ids for name in ("courses", "terms", "sessions", "campuses", "organizations")]
    for row in sections.inserts + sections.updates:
        for column, ids, ref in zip(
            ("course_id", "term_id", "session_id", "campus_id", "organization_id"), parent_maps, row["_refs"]
        ):
            row[column] = ids[ref]
    _write(Section, sections, SECTION_FIELDS)
    table = cast(Table, Section.__table__)  # a mapped class's __table__ is its Table; the base types it FromClause
    for start in range(0, len(plan.section_removals), BATCH):
        batch = plan.section_removals[start : start + BATCH]
        db.session.execute(update(table).where(table.c.id.in_(batch)).values(state=SectionState.REMOVED))
        # Orders holding a removed section changed for the order feed: its next delta reports the section deleted.
        holding = select(OrderSection.order_id).where(
            OrderSection.section_id.in_(batch), OrderSection.removed_at.is_(None)
        )
        db.session.execute(
            update(Order)
            .where(Order.id.in_(holding))
            .values(last_changed_at=now)
            .execution_options(synchronize_session=False)
        )
        record_changes(holding, now)
    _write(User, entities["users"], USER_FIELDS, {"password_hash": None, "active": True, "is_program_admin": False})
    ta = cast(Table, TeachingAssignment.__table__)  # its Table (typed FromClause on the base)
    if plan.ta_deletes:
        statement = delete(ta).where(ta.c.user_id == bindparam("b_user"), ta.c.section_id == bindparam("b_section"))
        _executemany(statement, [{"b_user": u, "b_section": s} for u, s in plan.ta_deletes])
    if plan.ta_inserts:
        users, section_ids = entities["users"].ids, sections.ids
        _executemany(insert(ta), [{"user_id": users[u], "section_id": section_ids[s]} for u, s in plan.ta_inserts])
    _apply_enrollments(plan, now)
    _tell_derived_tables(plan)
    db.session.flush()


def _tell_derived_tables(plan: Plan) -> None:
    """Say what the import moved, so reach and the Progress counts follow in this transaction
    (orders/domain/upkeep.py).
    """
    entities = plan.entities
    sections = entities["sections"]
    changed = (
        {row["id"] for row in sections.updates}
        | {sections.ids[row["sis_id"]] for row in sections.inserts}
        | set(plan.section_removals)
    )
    taught = {section_id for _, section_id in plan.ta_deletes} | {sections.ids[s] for _, s in plan.ta_inserts}
    enrolled = plan.enrollment_sections | {sections.ids[s] for _, s, _ in plan.enrollment_inserts}
    session = db.session()
    upkeep.sections_changed(session, changed | taught, counts=False)
    upkeep.sections_changed(session, changed | enrolled, reach=False)
    terms = entities["terms"]
    moved_terms = {
        row["id"]
        for row in terms.updates
        if terms.existing.get(row["sis_id"]) is None or terms.existing[row["sis_id"]].starts_on != row["starts_on"]
    }
    upkeep.reach_changed(
        session,
        courses={row["id"] for row in entities["courses"].updates},
        terms=moved_terms,
        instructors={row["id"] for row in entities["users"].updates},
    )


def _apply_enrollments(plan: Plan, now: datetime) -> None:
    """Each change of state is stamped with the import's time (enrolled_at or dropped_at)."""
    table = cast(Table, Enrollment.__table__)  # its Table (typed FromClause on the base)
    for state, stamp in ((EnrollmentState.ENROLLED, "enrolled_at"), (EnrollmentState.DROPPED, "dropped_at")):
        ids = [enrollment_id for enrollment_id, new in plan.enrollment_updates if new is state]
        for start in range(0, len(ids), BATCH):
            db.session.execute(
                update(table).where(table.c.id.in_(ids[start : start + BATCH])).values({"state": state, stamp: now})
            )
    if plan.enrollment_inserts:
        users, sections = plan.entities["users"].ids, plan.entities["sections"].ids
        # A pair first seen as dropped is kept as dropped; enrolled_at is when we first heard of it.
        _executemany(
            insert(table),
            [
                {
                    "user_id": users[u],
                    "section_id": sections[s],
                    "state": state,
                    "enrolled_at": now,
                    "dropped_at": now if state is EnrollmentState.DROPPED else None,
                }
                for u, s, state in plan.enrollment_inserts
            ],
        )


def run_import(
    directory: Path,
    *,
    dry_run: bool,
    now: datetime,
    max_removal_share: float | None = None,
    allow_course_changes: bool = False,
) -> Report:
    """Read, check, plan and (unless dry_run) apply a dump, and store its report; the caller commits.

    Raises SISFileError naming file, line and reason; nothing is written before every check passed.
    `max_removal_share` refuses a mass removal (the command passes SIS_MAX_REMOVAL_PERCENT);
    `allow_course_changes` lets a course on an order be renumbered.
    """
    started = time.perf_counter()
    dump = read_dump(directory)
    check_dump(dump)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
    plan = plan_import(
        dump,
        str(directory),
        dry_run=dry_run,
        max_removal_share=max_removal_share,
        allow_course_changes=allow_course_changes,
    )
    report = plan.report
    if not dry_run:
        try:
            apply_plan(plan, now)
        except IntegrityError as error:
            raise SISFileError(
                [f"the database refused the changes ({str(error.orig).splitlines()[0][:300]}); nothing was changed"]
            ) from None
    report.seconds = time.perf_counter() - started
    if not dry_run:
        record("sis.import", f"SIS import from {directory}", None, report.as_dict(), actor=None, now=now)
    return report
