"""Institution-sized data for the benchmark and the query-count tests: deterministic and fast.

`generate()` fills an empty schema from one `random.Random(seed)`, relative to `now`. Rows are built
as plain dicts and written in large batches (PostgreSQL: COPY; elsewhere: Core executemany), never
one ORM object at a time. Same seed, sizes and `now` give the same rows.

Accounts (password for every one: ``orders-bench``):
- ``admin@bulk.edu`` Program Administrator (also admin2@, admin3@).
- ``coord-large@bulk.edu`` Coordinator with two grants: campus Main, and Graduate at campus North;
  about 76% of every term's sections, ~3,000 in the open term at the default sizes.
- ``<first>.<last>.c<NNN>@bulk.edu`` other coordinators (subject; subject+level; organization;
  campus; a few combinations), ``<first>.<last>.<NNNN>@bulk.edu`` instructors.

- ``student00001@bulk.edu`` a student with 4 enrollments in open-term sections on placed orders;
  ``student<NNNNN>@bulk.edu`` the other students (SIS ids ``S<NNNNN>``).

Terms: three older past terms, one whose ordering period closed 10 days ago, one open (opened 30
days ago, closes in 30) and one upcoming (opens in 60 days). Students (default none here; seed-bulk's
default is 30,000 with 120,000 enrollments) enroll in the open term (75%) or the closed one (25%),
each in about enrollments/students sections; 3% of enrollments are dropped; about 8% of a student's
billable lines are opted out. The open term's choice window opened 5 days ago and closes in 20; the
closed term's closed 60 days ago (final). Placed orders claim their sections
(at most one per section); a section can hold only so many, so the rest of `orders` are canceled
orders (a section's earlier, replaced orders).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum

from sqlalchemy import Table, func, select, text

from orders.domain import upkeep
from orders.domain.formats import isbn
from orders.domain.models import (
    AcademicSession,
    Campus,
    CatalogItem,
    ChoiceEvent,
    ChoiceValue,
    CoordinatorGrant,
    Course,
    CourseLevel,
    Delivery,
    Enrollment,
    EnrollmentState,
    EventKind,
    Institution,
    Order,
    OrderEvent,
    OrderingPeriod,
    OrderLine,
    OrderNumberCounter,
    OrderSection,
    OrderStatus,
    Organization,
    Section,
    SectionCounts,
    SectionReach,
    StudentChoice,
    TeachingAssignment,
    Term,
    User,
)
from orders.extensions import db

BULK_PASSWORD = "orders-bench"
# werkzeug.security.generate_password_hash(BULK_PASSWORD), computed once: hashing is deliberately slow.
BULK_PASSWORD_HASH = (
    "scrypt:32768:8:1$CMMtwM7BQKU4YrbY$3c97810677dd32d508fd3c11458b1dcce59ba1c054e8c36ea06cbaf6cdfbb2ff"
    "6a77986e36c28b4f0c8c14073529b25b70997fc68d928d7defcced032cd6bc5d"
)
ADMIN_EMAIL = "admin@bulk.edu"
LARGE_COORDINATOR_EMAIL = "coord-large@bulk.edu"
STUDENT_EMAIL = "student00001@bulk.edu"  # 4 enrollments in the open term, each section on a placed order
STUDENT_ENROLLMENTS = 4
OPEN_TERM_STUDENT_SHARE = 0.75  # the rest study in the closed term
DROPPED_SHARE = 0.03
OPTED_OUT_SHARE = 0.08
FIRST_ORDER_NUMBER = 1001
REQUEST_ID = "seed-bulk"
BATCH_SIZE = 5000

SUBJECTS = [  # (code, name); three per organization, in organization order
    ("MATH", "Mathematics"),
    ("STAT", "Statistics"),
    ("ACTS", "Actuarial Science"),
    ("CS", "Computer Science"),
    ("INFO", "Informatics"),
    ("DATA", "Data Science"),
    ("PHYS", "Physics"),
    ("ASTR", "Astronomy"),
    ("GEOL", "Geology"),
    ("CHEM", "Chemistry"),
    ("BIOC", "Biochemistry"),
    ("MATS", "Materials Science"),
    ("BIOL", "Biology"),
    ("MICR", "Microbiology"),
    ("ECOL", "Ecology"),
    ("ENGL", "English"),
    ("WRIT", "Writing"),
    ("COMM", "Communication"),
    ("HIST", "History"),
    ("CLAS", "Classics"),
    ("ARCH", "Archaeology"),
    ("PHIL", "Philosophy"),
    ("RELS", "Religious Studies"),
    ("ETHC", "Ethics"),
    ("PSYC", "Psychology"),
    ("NEUR", "Neuroscience"),
    ("COGS", "Cognitive Science"),
    ("ECON", "Economics"),
    ("FIN", "Finance"),
    ("ACCT", "Accounting"),
    ("MGMT", "Management"),
    ("MKTG", "Marketing"),
    ("BADM", "Business Administration"),
    ("POLS", "Political Science"),
    ("PUBP", "Public Policy"),
    ("INTL", "International Studies"),
    ("SOC", "Sociology"),
    ("ANTH", "Anthropology"),
    ("GEOG", "Geography"),
    ("EDUC", "Education"),
    ("SPED", "Special Education"),
    ("KINE", "Kinesiology"),
    ("NURS", "Nursing"),
    ("PHAR", "Pharmacy"),
    ("PUBH", "Public Health"),
    ("ECE", "Electrical Engineering"),
    ("ME", "Mechanical Engineering"),
    ("CE", "Civil Engineering"),
    ("MUS", "Music"),
    ("ART", "Art"),
    ("THEA", "Theatre"),
    ("SPAN", "Spanish"),
    ("FREN", "French"),
    ("GERM", "German"),
    ("LAW", "Law"),
    ("CRIM", "Criminology"),
    ("LGST", "Legal Studies"),
    ("AGRI", "Agriculture"),
    ("ENVS", "Environmental Science"),
    ("FORS", "Forestry"),
]
ORGANIZATIONS = [
    "Mathematics",
    "Computing",
    "Physical Sciences",
    "Chemistry",
    "Life Sciences",
    "English",
    "History",
    "Philosophy",
    "Psychology",
    "Economics",
    "Business",
    "Political Science",
    "Social Sciences",
    "Education",
    "Health Sciences",
    "Engineering",
    "Fine Arts",
    "Languages",
    "Law",
    "Natural Resources",
]
TITLE_PATTERNS = [
    "Introduction to {s}",
    "Foundations of {s}",
    "{s} I",
    "{s} II",
    "Topics in {s}",
    "Methods in {s}",
    "Advanced {s}",
    "Seminar in {s}",
    "{s} Laboratory",
    "Research in {s}",
    "History of {s}",
    "Applied {s}",
    "Theory of {s}",
    "{s} for Non-Majors",
    "Quantitative {s}",
    "Contemporary {s}",
]
FIRST_NAMES = [
    "Ada",
    "Alan",
    "Grace",
    "Emmy",
    "Katherine",
    "Maria",
    "James",
    "Wei",
    "Priya",
    "Olusegun",
    "Ana",
    "Hiroshi",
    "Fatima",
    "Lars",
    "Chloe",
    "Mateo",
    "Aisha",
    "Dmitri",
    "Sofia",
    "Kwame",
    "Ingrid",
    "Raj",
    "Lucia",
    "Omar",
    "Hannah",
    "Tomas",
    "Mei",
    "Samuel",
    "Elena",
    "Noah",
    "Zara",
    "Pablo",
    "Yuki",
    "Amara",
    "Felix",
    "Leila",
    "Henrik",
    "Nadia",
    "Victor",
    "Rosa",
]
LAST_NAMES = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Noether",
    "Johnson",
    "Garcia",
    "Smith",
    "Zhang",
    "Patel",
    "Adeyemi",
    "Silva",
    "Tanaka",
    "Khan",
    "Nilsson",
    "Dubois",
    "Rossi",
    "Okafor",
    "Ivanov",
    "Muller",
    "Mensah",
    "Larsen",
    "Gupta",
    "Fernandez",
    "Haddad",
    "Cohen",
    "Novak",
    "Chen",
    "Owusu",
    "Popescu",
    "Kim",
    "Ali",
    "Moreno",
    "Sato",
    "Nwosu",
    "Weber",
    "Rahman",
    "Berg",
    "Petrov",
    "Lopez",
    "Santos",
]
PUBLISHERS = [
    "Pearson",
    "Cengage",
    "McGraw Hill",
    "Wiley",
    "Macmillan Learning",
    "Oxford University Press",
    "Cambridge University Press",
    "Springer",
    "W. W. Norton",
    "OpenStax",
    "Sage",
    "MIT Press",
]
SESSIONS = [("Regular Academic Session", 0.8), ("First Eight Weeks", 0.1), ("Second Eight Weeks", 0.1)]
SEASONS = [("Spring", "10", (1, 19), 115), ("Summer", "50", (6, 1), 66), ("Fall", "30", (8, 24), 116)]
# Share of the sections per term, oldest first: three older past terms, closed, open, upcoming.
TERM_WEIGHTS = [1.0, 1.0, 1.0, 1.0, 1.2, 0.8]
# Share of a term's sections that hold a placed order.
CLAIMED_SHARE = {"past": 0.95, "closed": 0.95, "open": 0.7, "upcoming": 0.0}
MAIN_CAMPUS_SHARE = 0.7
GRADUATE_FROM = 500  # course numbers from here up are graduate level


@dataclass
class _Term:
    id: int
    kind: str
    opens_at: datetime
    closes_at: datetime


@dataclass
class _Section:
    id: int
    course_id: int
    subject: str
    term: _Term
    level: CourseLevel
    organization_id: int
    campus_id: int
    instructors: list[int] = field(default_factory=list)


@dataclass
class _Grant:
    subject: str | None = None
    level: CourseLevel | None = None
    organization_id: int | None = None
    campus_id: int | None = None

    def covers(self, section: _Section) -> bool:
        """Same rule as orders.domain.rules.grant_covers, on the generator's plain rows."""
        return (
            (self.subject is None or self.subject == section.subject)
            and (self.level is None or self.level == section.level)
            and (self.organization_id is None or self.organization_id == section.organization_id)
            and (self.campus_id is None or self.campus_id == section.campus_id)
        )


def generate(
    *,
    sections: int,
    instructors: int,
    coordinators: int,
    orders: int,
    seed: int,
    now: datetime,
    students: int = 0,
    enrollments: int = 0,
) -> dict[str, int]:
    """Fill the empty schema with a deterministic institution of about this size; caller commits.

    Returns the number of rows written per table.
    """
    if db.session.scalar(select(func.count()).select_from(User)) or db.session.scalar(
        select(func.count()).select_from(Term)
    ):
        raise RuntimeError("seed-bulk needs an empty schema (use --reset)")
    if now.tzinfo is None:
        raise ValueError("now must be an aware UTC datetime")
    if min(sections, instructors, coordinators) < 1 or min(orders, students, enrollments) < 0:
        raise ValueError("sections, instructors and coordinators must be positive")
    if enrollments and not students:
        raise ValueError("enrollments need students")
    builder = _Builder(random.Random(seed), now)
    tables = builder.build(sections, instructors, coordinators, orders)
    if students:
        # A generator of its own, so adding students leaves the rest of the data as it was.
        tables += _Students(random.Random(seed * 7919 + 1), now, builder).build(students, enrollments, tables)
    writer = _Writer(db.session.connection())
    for model, rows in tables:
        writer.write(model.__table__, rows)
    writer.reset_sequences([model.__table__ for model, _ in tables])
    db.session.flush()
    upkeep.rebuild_everything(db.session())  # reach and the Progress counts, from the rows just written
    counts: dict[str, int] = {}
    for model, rows in tables:
        counts[model.__tablename__] = counts.get(model.__tablename__, 0) + len(rows)
    for model in (SectionReach, SectionCounts):
        counts[model.__tablename__] = db.session.scalar(select(func.count()).select_from(model)) or 0
    return counts


def analyze() -> None:
    """Refresh the planner's statistics after a bulk load (PostgreSQL; run after commit)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")


class _Builder:
    """Builds every table's rows as dicts, in foreign-key order."""

    def __init__(self, rng: random.Random, now: datetime):
        self.rng = rng
        self.now = now

    def build(
        self, n_sections: int, n_instructors: int, n_coordinators: int, n_orders: int
    ) -> list[tuple[type, list[dict]]]:
        tables: list[tuple[type, list[dict]]] = []
        tables.append(
            (
                Institution,
                [
                    dict(
                        id=1,
                        name="Bulk State University",
                        timezone="America/Chicago",
                        contact_email="orders-admin@bulk.edu",
                    )
                ],
            )
        )
        tables.append((Campus, [dict(id=1, code="MAIN", name="Main"), dict(id=2, code="NORTH", name="North")]))
        tables.append(
            (
                Organization,
                [
                    dict(id=i + 1, code=f"ORG{i + 1:02d}", name=f"Department of {name}")
                    for i, name in enumerate(ORGANIZATIONS)
                ],
            )
        )
        tables.append((AcademicSession, [dict(id=i + 1, name=name) for i, (name, _) in enumerate(SESSIONS)]))
        terms, term_rows, period_rows = self._terms()
        self.terms = terms
        tables += [(Term, term_rows), (OrderingPeriod, period_rows)]
        courses = self._courses(n_sections)
        tables.append((Course, courses))
        sections = self._sections(n_sections, terms, courses)
        self.sections = sections
        tables.append((Section, self.section_rows))
        users, admins, coordinator_grants, instructor_ids = self._users(n_instructors, n_coordinators)
        tables.append((User, users))
        tables.append((TeachingAssignment, self._teaching(sections, instructor_ids)))
        grant_rows = []
        for user_id, grants in coordinator_grants:
            for grant in grants:
                grant_rows.append(
                    dict(
                        id=len(grant_rows) + 1,
                        user_id=user_id,
                        subject=grant.subject,
                        level=grant.level,
                        organization_id=grant.organization_id,
                        campus_id=grant.campus_id,
                    )
                )
        tables.append((CoordinatorGrant, grant_rows))
        catalog = self._catalog(max(60, n_sections // 10))
        tables.append((CatalogItem, catalog))
        names = {row["id"]: row["name"] for row in users}
        sort_names = {row["id"]: row["sort_name"] for row in users}
        order_tables = self._orders(n_orders, sections, admins, coordinator_grants, catalog, names, sort_names)
        tables += order_tables
        return tables

    # --- calendar and catalog of courses ------------------------------------------------------------

    def _terms(self):
        """Six consecutive terms around `now`: the first starting two weeks out or later is open."""
        calendar = []
        for year in range(self.now.year - 3, self.now.year + 3):
            for name, code, (month, day), length in SEASONS:
                start = date(year, month, day)
                calendar.append((start, start + timedelta(days=length), f"{name} {year}", f"{year}{code}"))
        calendar.sort()
        open_index = next(i for i, entry in enumerate(calendar) if entry[0] >= (self.now + timedelta(days=14)).date())
        chosen = calendar[open_index - 4 : open_index + 2]
        kinds = ["past", "past", "past", "closed", "open", "upcoming"]
        terms, term_rows, period_rows = [], [], []
        for i, ((starts, ends, name, code), kind) in enumerate(zip(chosen, kinds)):
            if kind == "open":
                opens, closes = self.now - timedelta(days=30), self.now + timedelta(days=30)
            elif kind == "upcoming":
                opens, closes = self.now + timedelta(days=60), self.now + timedelta(days=120)
            elif kind == "closed":
                opens, closes = self.now - timedelta(days=70), self.now - timedelta(days=10)
            else:
                start_moment = datetime(starts.year, starts.month, starts.day, 6, tzinfo=timezone.utc)
                opens, closes = start_moment - timedelta(days=75), start_moment - timedelta(days=15)
            terms.append(_Term(i + 1, kind, opens, closes))
            choice = {
                "open": (self.now - timedelta(days=5), self.now + timedelta(days=20)),
                "closed": (self.now - timedelta(days=100), self.now - timedelta(days=60)),
            }.get(kind, (None, None))
            term_rows.append(
                dict(
                    id=i + 1,
                    code=code,
                    name=name,
                    starts_on=starts,
                    ends_on=ends,
                    choice_opens_at=choice[0],
                    choice_closes_at=choice[1],
                )
            )
            period_rows.append(dict(id=i + 1, term_id=i + 1, opens_at=opens, closes_at=closes))
        return terms, term_rows, period_rows

    def _courses(self, n_sections: int) -> list[dict]:
        """Enough courses for two to three sections per course per term, spread over the subjects."""
        per_subject = max(2, min(60, round(n_sections / len(TERM_WEIGHTS) / 3 / len(SUBJECTS))))
        rows = []
        for subject_index, (subject, subject_name) in enumerate(SUBJECTS):
            numbers = self.rng.sample(range(100, 700), per_subject)
            for number in sorted(numbers):
                pattern = self.rng.choice(TITLE_PATTERNS)
                rows.append(
                    dict(
                        id=len(rows) + 1,
                        subject=subject,
                        number=str(number),
                        title=pattern.format(s=subject_name),
                        _org=subject_index // 3 + 1,
                    )
                )
        return rows

    def _sections(self, n_sections: int, terms: list[_Term], courses: list[dict]) -> list[_Section]:
        """Sections per term in TERM_WEIGHTS proportions; each course offering has 1-4 sections."""
        total_weight = sum(TERM_WEIGHTS)
        targets = [round(n_sections * w / total_weight) for w in TERM_WEIGHTS]
        targets[-1] = n_sections - sum(targets[:-1])
        self.section_rows: list[dict] = []
        sections: list[_Section] = []
        labels: dict[tuple[int, int], int] = {}
        for term, target in zip(terms, targets):
            made = 0
            while made < target:
                course = self.rng.choice(courses)
                count = min(target - made, self.rng.choices([1, 2, 3, 4], [50, 25, 15, 10])[0])
                level = CourseLevel.GRADUATE if int(course["number"]) >= GRADUATE_FROM else CourseLevel.UNDERGRADUATE
                for _ in range(count):
                    key = (course["id"], term.id)
                    labels[key] = labels.get(key, 0) + 1
                    section = _Section(
                        id=len(sections) + 1,
                        course_id=course["id"],
                        subject=course["subject"],
                        term=term,
                        level=level,
                        organization_id=course["_org"],
                        campus_id=1 if self.rng.random() < MAIN_CAMPUS_SHARE else 2,
                    )
                    sections.append(section)
                    self.section_rows.append(
                        dict(
                            id=section.id,
                            course_id=section.course_id,
                            term_id=term.id,
                            session_id=self.rng.choices([1, 2, 3], [w for _, w in SESSIONS])[0],
                            campus_id=section.campus_id,
                            organization_id=section.organization_id,
                            level=level,
                            label=f"{labels[key]:03d}",
                            sis_id=f"S{section.id:06d}",  # the public lookup builds its URLs from it
                        )
                    )
                made += count
        for course in courses:
            del course["_org"]
        return sections

    # --- people -------------------------------------------------------------------------------------

    def _person(self, number: int, suffix: str) -> tuple[str, str]:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        return f"{first} {last}", f"{first}.{last}.{suffix}{number:04d}@bulk.edu".lower()

    def _users(self, n_instructors: int, n_coordinators: int):
        """Admins, the large coordinator, other coordinators, then instructors (with a home organization)."""
        users: list[dict] = []

        def add(name: str, email: str, admin: bool = False) -> int:
            users.append(
                dict(
                    id=len(users) + 1,
                    name=name,
                    sort_name=User.sort_key_for(name),
                    email=email.lower(),
                    password_hash=BULK_PASSWORD_HASH,
                    active=True,
                    is_program_admin=admin,
                )
            )
            return len(users)

        admins = [
            add("Katherine Admin", ADMIN_EMAIL, True),
            add("Mary Admin", "admin2@bulk.edu", True),
            add("Dorothy Admin", "admin3@bulk.edu", True),
        ]
        coordinator_grants: list[tuple[int, list[_Grant]]] = [
            (
                add("Lena Large-Coordinator", LARGE_COORDINATOR_EMAIL),
                [_Grant(campus_id=1), _Grant(level=CourseLevel.GRADUATE, campus_id=2)],
            )
        ]
        n_orgs = len(ORGANIZATIONS)
        for number in range(1, n_coordinators):
            user_id = add(*self._person(number, "c"))
            kind = self.rng.choices(["subject", "subject_level", "org", "campus", "combo"], [45, 20, 15, 5, 15])[0]
            if kind == "subject":
                grants = [_Grant(subject=s) for s, _ in self.rng.sample(SUBJECTS, self.rng.choice([1, 1, 2]))]
            elif kind == "subject_level":
                grants = [_Grant(subject=self.rng.choice(SUBJECTS)[0], level=self.rng.choice(list(CourseLevel)))]
            elif kind == "org":
                grants = [_Grant(organization_id=self.rng.randint(1, n_orgs))]
            elif kind == "campus":
                grants = [_Grant(campus_id=2)]
            else:
                grants = [
                    self.rng.choice(
                        [
                            _Grant(
                                organization_id=self.rng.randint(1, n_orgs), level=self.rng.choice(list(CourseLevel))
                            ),
                            _Grant(subject=self.rng.choice(SUBJECTS)[0], campus_id=self.rng.randint(1, 2)),
                            _Grant(organization_id=self.rng.randint(1, n_orgs), campus_id=2),
                        ]
                    ),
                    _Grant(subject=self.rng.choice(SUBJECTS)[0]),
                ]
            coordinator_grants.append((user_id, grants))
        instructor_ids = []
        self.home_org: dict[int, int] = {}
        for number in range(1, n_instructors + 1):
            user_id = add(*self._person(number, ""))
            self.home_org[user_id] = (number - 1) % n_orgs + 1
            instructor_ids.append(user_id)
        return users, admins, coordinator_grants, instructor_ids

    def _teaching(self, sections: list[_Section], instructor_ids: list[int]) -> list[dict]:
        """Most sections one instructor from the course's organization, 10% two, 3% none yet."""
        by_org: dict[int, list[int]] = {}
        for user_id in instructor_ids:
            by_org.setdefault(self.home_org[user_id], []).append(user_id)
        rows = []
        for section in sections:
            pool = by_org.get(section.organization_id) or instructor_ids
            roll = self.rng.random()
            count = 0 if roll < 0.03 else (2 if roll < 0.13 and len(pool) > 1 else 1)
            section.instructors = self.rng.sample(pool, count)
            rows.extend(dict(user_id=user_id, section_id=section.id) for user_id in section.instructors)
        return rows

    def _catalog(self, count: int) -> list[dict]:
        """Catalog items with valid ISBN-13s, each tied to a subject so orders pick fitting titles."""
        rows, seen = [], set()
        for i in range(count):
            subject, subject_name = SUBJECTS[i % len(SUBJECTS)]
            while True:
                first12 = self.rng.choice(["978", "979"]) + f"{self.rng.randrange(10**9):09d}"
                code = first12 + isbn.check_digit(first12)
                if code not in seen:
                    seen.add(code)
                    break
            authors = ", ".join(
                f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
                for _ in range(self.rng.choice([1, 1, 2, 3]))
            )
            delivery = Delivery.ETEXT if self.rng.random() < 0.8 else Delivery.COURSEWARE
            title = self.rng.choice(TITLE_PATTERNS).format(s=subject_name)
            if delivery is Delivery.COURSEWARE:
                title = f"{self.rng.choice(['MyLab', 'WebAssign', 'Connect', 'zyBooks', 'Achieve'])} for {title}"
            price = Decimal(self.rng.randint(9, 199)) + self.rng.choice(
                [Decimal("0.99"), Decimal("0.00"), Decimal("0.50")]
            )
            rows.append(
                dict(
                    id=i + 1,
                    title=title,
                    authors=authors,
                    isbn13=code,
                    publisher=self.rng.choice(PUBLISHERS),
                    edition=_ordinal(self.rng.randint(1, 12)),
                    delivery=delivery,
                    student_price=price,
                    _subject=subject,
                )
            )
        return rows

    # --- orders -------------------------------------------------------------------------------------

    def _orders(self, n_orders, sections, admins, coordinator_grants, catalog, names, sort_names):
        """Placed orders claiming sections (one per section), the rest canceled; numbered by time placed."""
        rng = self.rng
        offerings: dict[tuple[int, int], list[_Section]] = {}
        for section in sections:
            if section.term.kind != "upcoming":
                offerings.setdefault((section.term.id, section.course_id), []).append(section)
        offering_keys = list(offerings)
        planned: list[tuple[list[_Section], bool]] = []  # (sections, placed?)
        for key in offering_keys:
            claimed = [s for s in offerings[key] if rng.random() < CLAIMED_SHARE[s.term.kind]]
            while claimed:
                size = min(len(claimed), rng.choices([1, 2, 3], [75, 15, 10])[0])
                planned.append((claimed[:size], True))
                claimed = claimed[size:]
        rng.shuffle(planned)
        placed_count = min(len(planned), round(n_orders * 0.8))  # keep some canceled orders at small sizes
        planned = planned[:placed_count]
        for _ in range(n_orders - placed_count):
            group = offerings[rng.choice(offering_keys)]
            planned.append((rng.sample(group, min(len(group), rng.choices([1, 2, 3], [75, 15, 10])[0])), False))

        by_subject: dict[str, list[tuple[int, list[_Grant]]]] = {}
        for user_id, grants in coordinator_grants:
            for subject, _ in SUBJECTS:
                if any(g.subject in (None, subject) for g in grants):
                    by_subject.setdefault(subject, []).append((user_id, grants))
        items_by_subject: dict[str, list[dict]] = {}
        for item in catalog:
            items_by_subject.setdefault(item.pop("_subject"), []).append(item)

        drafts = []
        for order_sections, placed in planned:
            term = order_sections[0].term
            instructors = sorted({u for s in order_sections for u in s.instructors}, key=lambda u: (sort_names[u], u))
            placer = self._placer(order_sections, instructors, admins, by_subject)
            latest = min(term.closes_at, self.now)
            placed_at = term.opens_at + (latest - term.opens_at) * rng.random() * (0.9 if not placed else 1.0)
            placed_at = placed_at.replace(microsecond=0)
            canceled = None
            if not placed:
                canceler = placer if rng.random() < 0.7 else rng.choice(admins)
                canceled_at = (placed_at + (latest - placed_at) * rng.random()).replace(microsecond=0)
                canceled = (canceler, max(canceled_at, placed_at + timedelta(seconds=1)))
            subject = order_sections[0].subject
            pool = items_by_subject.get(subject) or catalog
            items = rng.sample(pool, min(len(pool), rng.choices([1, 2, 3], [60, 30, 10])[0]))
            drafts.append((placed_at, order_sections, instructors, placer, canceled, items))
        drafts.sort(key=lambda d: (d[0], d[1][0].id))

        order_rows, section_rows, line_rows, event_rows = [], [], [], []
        for index, (placed_at, order_sections, instructors, placer, canceled, items) in enumerate(drafts):
            order_id = index + 1
            first = order_sections[0]
            order_rows.append(
                dict(
                    id=order_id,
                    number=FIRST_ORDER_NUMBER + index,
                    term_id=first.term.id,
                    course_id=first.course_id,
                    status=OrderStatus.CANCELED if canceled else OrderStatus.PLACED,
                    owner_id=placer,
                    created_at=placed_at - timedelta(minutes=rng.randint(2, 90)),
                    placed_by_id=placer,
                    placed_at=placed_at,
                    canceled_by_id=canceled[0] if canceled else None,
                    canceled_at=canceled[1] if canceled else None,
                    version=2 if canceled else 1,
                )
            )
            section_rows.extend(
                dict(order_id=order_id, section_id=s.id, claimed=canceled is None) for s in order_sections
            )
            line_rows.extend(
                dict(
                    order_id=order_id,
                    catalog_item_id=item["id"],
                    position=position,
                    student_price=item["student_price"],
                )
                for position, item in enumerate(items)
            )
            actors = [(EventKind.PLACED, placer, placed_at)] + ([(EventKind.CANCELED, *canceled)] if canceled else [])
            for kind, actor, moment in actors:
                behalf = [] if actor in instructors else [{"id": u, "name": names[u]} for u in instructors]
                event_rows.append(
                    dict(
                        id=len(event_rows) + 1,
                        order_id=order_id,
                        kind=kind,
                        actor_id=actor,
                        on_behalf_of=behalf,
                        occurred_at=moment,
                        request_id=REQUEST_ID,
                        details={},
                    )
                )
        last = FIRST_ORDER_NUMBER + len(drafts) - 1 if drafts else FIRST_ORDER_NUMBER - 1
        counter = [dict(id=1, last_number=last)] if drafts else []
        return [
            (Order, order_rows),
            (OrderSection, section_rows),
            (OrderLine, line_rows),
            (OrderEvent, event_rows),
            (OrderNumberCounter, counter),
        ]

    def _placer(self, order_sections, instructors, admins, by_subject) -> int:
        """Mostly an instructor of record; else a coordinator covering every section; else an admin."""
        roll = self.rng.random()
        if instructors and roll < 0.7:
            return instructors[0]
        if roll < 0.9:
            candidates = by_subject.get(order_sections[0].subject, [])
            for _ in range(min(5, len(candidates))):
                user_id, grants = self.rng.choice(candidates)
                if all(any(g.covers(s) for g in grants) for s in order_sections):
                    return user_id
        return self.rng.choice(admins)


class _Students:
    """Students, their enrollments in the open and the closed term, and their opt-outs (with choice events)."""

    def __init__(self, rng: random.Random, now: datetime, builder: _Builder):
        self.rng, self.now, self.builder = rng, now, builder

    def build(self, n_students: int, n_enrollments: int, tables) -> list[tuple[type, list[dict]]]:
        rng, now = self.rng, self.now
        rows_of = {model: rows for model, rows in tables}
        users = rows_of[User]  # the staff
        lines_of: dict[int, list[int]] = {}  # order id -> catalog item ids
        for line in rows_of[OrderLine]:
            lines_of.setdefault(line["order_id"], []).append(line["catalog_item_id"])
        items_of = {
            link["section_id"]: lines_of.get(link["order_id"], []) for link in rows_of[OrderSection] if link["claimed"]
        }
        by_kind = {kind: [s for s in self.builder.sections if s.term.kind == kind] for kind in ("open", "closed")}
        ordered_open = [s for s in by_kind["open"] if items_of.get(s.id)]
        window_opens = {t.kind: now - timedelta(days=5 if t.kind == "open" else 100) for t in self.builder.terms}

        student_rows, enrollment_rows, choice_rows, event_rows = [], [], [], []
        first_id = len(users) + 1
        per_student, extra = divmod(n_enrollments, n_students)
        for n in range(n_students):
            user_id = first_id + n
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            student_rows.append(
                dict(
                    id=user_id,
                    name=name,
                    sort_name=User.sort_key_for(name),
                    email=f"student{n + 1:05d}@bulk.edu",
                    sis_id=f"S{n + 1:05d}",
                    password_hash=BULK_PASSWORD_HASH,
                    active=True,
                    is_program_admin=False,
                )
            )
            count = per_student + (1 if n < extra else 0)
            if n == 0:  # the benchmark's student: a known shape
                chosen = rng.sample(ordered_open, min(STUDENT_ENROLLMENTS, len(ordered_open)))
                count = len(chosen)
            else:
                kind = "open" if rng.random() < OPEN_TERM_STUDENT_SHARE or not by_kind["closed"] else "closed"
                pool = by_kind[kind] or by_kind["open"]
                chosen = rng.sample(pool, min(count, len(pool))) if pool else []
            for section in chosen:
                opens = window_opens[section.term.kind]
                dropped = n != 0 and rng.random() < DROPPED_SHARE
                enrolled_at = (opens - timedelta(days=rng.randint(1, 40))).replace(microsecond=0)
                enrollment_rows.append(
                    dict(
                        id=len(enrollment_rows) + 1,
                        user_id=user_id,
                        section_id=section.id,
                        state=EnrollmentState.DROPPED if dropped else EnrollmentState.ENROLLED,
                        enrolled_at=enrolled_at,
                        dropped_at=(opens + timedelta(hours=rng.randint(1, 96))).replace(microsecond=0)
                        if dropped
                        else None,
                    )
                )
                for item_id in items_of.get(section.id, []):
                    if n == 0 or rng.random() >= OPTED_OUT_SHARE:
                        continue
                    decided_at = (opens + timedelta(minutes=rng.randint(10, 4 * 24 * 60))).replace(microsecond=0)
                    choice_rows.append(
                        dict(
                            id=len(choice_rows) + 1,
                            user_id=user_id,
                            section_id=section.id,
                            catalog_item_id=item_id,
                            choice=ChoiceValue.OPTED_OUT,
                            decided_at=decided_at,
                            decided_by_id=user_id,
                            version=1,
                        )
                    )
                    event_rows.append(
                        dict(
                            id=len(event_rows) + 1,
                            user_id=user_id,
                            section_id=section.id,
                            catalog_item_id=item_id,
                            previous=None,
                            choice=ChoiceValue.OPTED_OUT,
                            actor_id=user_id,
                            occurred_at=decided_at,
                            request_id=REQUEST_ID,
                        )
                    )
        # Written after the staff (ids continue after theirs); the students' rows also carry a SIS id.
        return [
            (User, student_rows),
            (Enrollment, enrollment_rows),
            (StudentChoice, choice_rows),
            (ChoiceEvent, event_rows),
        ]


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class _Writer:
    """Writes row dicts: COPY on PostgreSQL, Core executemany in batches elsewhere."""

    def __init__(self, connection):
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"

    def write(self, table: Table, rows: list[dict]) -> None:
        if not rows:
            return
        if not self.postgres:
            for start in range(0, len(rows), BATCH_SIZE):
                self.connection.execute(table.insert(), rows[start : start + BATCH_SIZE])
            return
        columns = [c.name for c in table.columns if c.name in rows[0]]
        raw = self.connection.connection.driver_connection
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([_copy_value(row[c]) for c in columns])

    def reset_sequences(self, tables: list[Table]) -> None:
        """Explicit ids bypass PostgreSQL's sequences; move each past the largest id."""
        if not self.postgres:
            return
        for table in tables:
            if "id" in table.columns and table.columns["id"].primary_key and len(table.primary_key.columns) == 1:
                self.connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"
                    )
                )


def _copy_value(value):
    """A Python value as the column stores it (what the model's column types would bind)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value
