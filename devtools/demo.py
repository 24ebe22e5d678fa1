"""The demo data set of docs/spec.md §5, relative to the moment it is loaded."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from devtools.demo_logo import demo_logo_png
from orders.domain.branding import read_logo
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
    OrderingPolicy,
    OrderLine,
    OrderNumberCounter,
    OrderSection,
    OrderStatus,
    Organization,
    OtherCost,
    ProgramMode,
    Requirement,
    Section,
    StudentChoice,
    TeachingAssignment,
    Term,
    User,
)
from orders.extensions import db

DEMO_PASSWORD = "orders-demo"
DEMO_ACCENT = "#00573f"  # white text on it: 8.6:1


def greeting() -> str:
    """Whom to sign in as: seed-demo prints it, and so does every `make run` (the demo table is README's)."""
    return (
        f"Sign in with password {DEMO_PASSWORD} as staff: ada@demo.edu and alan@demo.edu (instructors), emmy@demo.edu "
        "(instructor, MATH coordinator and approver), grace@demo.edu (CS coordinator), katherine@demo.edu (Program "
        "Administrator), sophie@demo.edu (instructor whose order awaits approval); "
        "or as a student: mary@demo.edu, sofia@demo.edu, student01@demo.edu … student40@demo.edu."
    )


# title, authors, first 12 ISBN digits (check digit computed), publisher, edition, delivery, price
CATALOG = [
    (
        "Calculus: Early Transcendentals",
        "James Stewart, Daniel Clegg, Saleem Watson",
        "978035769354",
        "Cengage",
        "9th",
        Delivery.ETEXT,
        "89.99",
    ),
    (
        "Thomas' Calculus",
        "Joel Hass, Christopher Heil, Maurice Weir",
        "978013443902",
        "Pearson",
        "14th",
        Delivery.ETEXT,
        "74.99",
    ),
    ("WebAssign for Calculus", "Cengage WebAssign", "978035770198", "Cengage", "9th", Delivery.COURSEWARE, "110.00"),
    (
        "Calculus: Single Variable",
        "Deborah Hughes-Hallett, Andrew Gleason",
        "978111937434",
        "Wiley",
        "8th",
        Delivery.ETEXT,
        "65.50",
    ),
    ("Abstract Algebra", "David S. Dummit, Richard M. Foote", "978047143334", "Wiley", "3rd", Delivery.ETEXT, "79.95"),
    ("A Book of Abstract Algebra", "Charles C. Pinter", "978048647417", "Dover", "2nd", Delivery.ETEXT, "19.95"),
    (
        "Contemporary Abstract Algebra",
        "Joseph A. Gallian",
        "978036776679",
        "CRC Press",
        "10th",
        Delivery.ETEXT,
        "84.00",
    ),
    (
        "Introduction to the Theory of Computation",
        "Michael Sipser",
        "978133599032",
        "Cengage",
        "3rd",
        Delivery.ETEXT,
        "92.25",
    ),
    (
        "Automata, Computability and Complexity",
        "Elaine Rich",
        "978013228806",
        "Pearson",
        "1st",
        Delivery.ETEXT,
        "58.00",
    ),
    ("Python Crash Course", "Eric Matthes", "978171850270", "No Starch Press", "3rd", Delivery.ETEXT, "29.99"),
    ("Think Python", "Allen B. Downey", "978109815543", "O'Reilly Media", "3rd", Delivery.ETEXT, "34.99"),
    ("zyBooks Programming in Python 3", "zyBooks", "979888706023", "Wiley", "1st", Delivery.COURSEWARE, "77.00"),
    (
        "Structure and Interpretation of Computer Programs",
        "Harold Abelson, Gerald Jay Sussman",
        "978026254323",
        "MIT Press",
        "2nd",
        Delivery.ETEXT,
        "45.00",
    ),
    ("Linear Algebra Done Right", "Sheldon Axler", "978303141025", "Springer", "4th", Delivery.ETEXT, "39.99"),
    ("Think Python (2nd edition)", "Allen B. Downey", "978149193936", "O'Reilly Media", "2nd", Delivery.ETEXT, "31.99"),
    ("Calculus Volume 1", "Gilbert Strang, Edwin Herman", "978193816802", "OpenStax", "1st", Delivery.ETEXT, "0.00"),
]
# Superseded by its 3rd edition: on no order, and no longer orderable.
INACTIVE_TITLES = {"Think Python (2nd edition)"}
# An open educational resource: never billed, no student choice.
ZERO_COST_TITLES = {"Calculus Volume 1"}
# Copyright year and the publisher's list price, for the public course materials lookup.
PUBLICATION = {
    "Calculus: Early Transcendentals": (2020, "254.95"),
    "Introduction to the Theory of Computation": (2012, "199.95"),
    "Automata, Computability and Complexity": (2007, "186.65"),
    "Thomas' Calculus": (2017, "221.32"),
    "Python Crash Course": (2023, "49.99"),
    "Calculus Volume 1": (2016, None),
}
CONSENT_TEXT = (
    "Your course materials are delivered digitally on the first day of class at a reduced price and charged to "
    "your student account. You may opt out of any of them until the deadline; if you opt out, you will not be "
    "charged and you lose access to them."
)
# Students beside Mary and Sofia, so the counts and rates mean something (docs/spec.md §5).
STUDENT_FIRST = [
    "Hypatia",
    "Carl",
    "Leonhard",
    "Sophie",
    "Srinivasa",
    "Maryam",
    "Kurt",
    "Julia",
    "Pierre",
    "Marie",
    "Niels",
    "Lise",
    "Henri",
    "Dorothy",
    "Alonzo",
    "Barbara",
    "John",
    "Shafi",
    "Edsger",
    "Frances",
]
STUDENT_LAST = [
    "Alexandria",
    "Gauss",
    "Euler",
    "Germain",
    "Ramanujan",
    "Mirzakhani",
    "Godel",
    "Robinson",
    "Fermat",
    "Curie",
    "Bohr",
    "Meitner",
    "Poincare",
    "Vaughan",
    "Church",
    "Liskov",
    "Nash",
    "Goldwasser",
    "Dijkstra",
    "Allen",
]


# Sophie Germain's order for MATH 110, awaiting approval (docs/spec.md §5): title, authors, first 12 ISBN digits,
# publisher, edition, price.
REVIEW_ITEM = ("College Algebra", "Robert F. Blitzer", "978013546925", "Pearson", "7th", "84.99")

# Order #1002's second item is recommended, not required (docs/spec.md §5).
RECOMMENDED_TITLES = {"Automata, Computability and Complexity"}
# Costs (docs/spec.md §5, §10): the calculus text's homework platform is where the graded work happens, with the
# publisher's student-data terms; order #1001 also needs a graphing calculator; "Low cost" is at most $40.00.
COURSEWARE_TITLE = "Calculus: Early Transcendentals"
DATA_TERMS_URL = "https://www.example.com/publisher/student-data-terms"
OTHER_COST = ("Graphing calculator", Decimal("15.00"))
LOW_COST_THRESHOLD = Decimal("40.00")
LOW_COST_CRITERIA_URL = "https://www.example.edu/course-materials/low-cost"
COVERAGE_TARGET_PERCENT = 55


def _catalog() -> list[CatalogItem]:
    items = []
    for title, authors, first12, publisher, edition, delivery, price in CATALOG:
        code = first12 + isbn.check_digit(first12)
        assert isbn.is_valid(code), code
        items.append(
            CatalogItem(
                title=title,
                authors=authors,
                isbn13=code,
                publisher=publisher,
                edition=edition,
                delivery=delivery,
                student_price=Decimal(price),
                copyright_year=PUBLICATION.get(title, (None, None))[0],
                list_price=Decimal(PUBLICATION[title][1]) if PUBLICATION.get(title, (None, None))[1] else None,
                zero_cost=title in ZERO_COST_TITLES,
                active=title not in INACTIVE_TITLES,
            )
        )
    return items


def _user(name: str, email: str, password_hash: str, sis_id: str, **flags) -> User:
    return User(
        name=name,
        sort_name=User.sort_key_for(name),
        email=email,
        network_id=email,
        sis_id=sis_id,
        password_hash=password_hash,
        active=True,
        **flags,
    )


def load_demo(now: datetime, *, password_hash: str | None = None) -> None:
    """Insert the demo set (the schema must be empty); sends no email. Caller commits."""
    password_hash = password_hash or generate_password_hash(DEMO_PASSWORD)
    logo = read_logo(demo_logo_png())
    db.session.add(
        Institution(
            name="Demo State University",
            timezone="America/Chicago",
            contact_email="orders-admin@demo.edu",
            reminders_enabled=False,
            program_mode=ProgramMode.OPT_OUT,
            consent_text=CONSENT_TEXT,
            at_risk_threshold_percent=20,
            publish_course_materials=True,
            # Its identity (docs/design.md, "Branding"): a green accent and a gold badge, as Administration > Branding
            # sets them.
            accent_colour=DEMO_ACCENT,
            logo_data=logo.data,
            logo_content_type=logo.content_type,
            logo_digest=logo.digest,
            logo_width=logo.width,
            logo_height=logo.height,
        )
    )
    # SIS ids match examples/sis-demo/, so importing that dump right after seed-demo changes nothing.
    main = Campus(sis_id="MAIN", code="MAIN", name="Main")
    math = Organization(sis_id="MATH", code="MATH", name="Department of Mathematics")
    cs = Organization(sis_id="CS", code="CS", name="Department of Computer Science")
    regular = AcademicSession(sis_id="REG", name="Regular Academic Session")
    eight_weeks = AcademicSession(sis_id="8W1", name="First Eight Weeks")

    spring = Term(
        sis_id="202710", code="202710", name="Spring 2027", starts_on=date(2027, 1, 19), ends_on=date(2027, 5, 14)
    )
    fall = Term(
        sis_id="202630", code="202630", name="Fall 2026", starts_on=date(2026, 8, 24), ends_on=date(2026, 12, 18)
    )
    summer = Term(
        sis_id="202750", code="202750", name="Summer 2027", starts_on=date(2027, 6, 1), ends_on=date(2027, 8, 6)
    )
    spring.choice_opens_at, spring.choice_closes_at = now - timedelta(days=5), now + timedelta(days=20)
    fall.choice_opens_at, fall.choice_closes_at = now - timedelta(days=100), now - timedelta(days=60)
    spring.period = OrderingPeriod(
        opens_at=now - timedelta(days=30), soft_close_at=now + timedelta(days=23), closes_at=now + timedelta(days=30)
    )
    fall.period = OrderingPeriod(opens_at=now - timedelta(days=70), closes_at=now - timedelta(days=10))
    summer.period = OrderingPeriod(opens_at=now + timedelta(days=60), closes_at=now + timedelta(days=120))

    math221 = Course(sis_id="MATH-221", subject="MATH", number="221", title="Calculus I")
    math340 = Course(sis_id="MATH-340", subject="MATH", number="340", title="Abstract Algebra")
    cs150 = Course(sis_id="CS-150", subject="CS", number="150", title="Introduction to Programming")
    cs310 = Course(sis_id="CS-310", subject="CS", number="310", title="Theory of Computation")

    def section(course, term, label, org, session=regular, level=CourseLevel.UNDERGRADUATE):
        return Section(
            course=course,
            term=term,
            label=label,
            session=session,
            campus=main,
            organization=org,
            level=level,
            sis_id=f"{term.code}-{course.subject}-{course.number}-{label}",
        )

    m221_s27_001 = section(math221, spring, "001", math)
    m221_s27_002 = section(math221, spring, "002", math)
    m221_s27_003 = section(math221, spring, "003", math)  # assigned after order #1001 was placed
    m221_f26_001 = section(math221, fall, "001", math)
    cs150_f26_001 = section(cs150, fall, "001", cs, session=eight_weeks)
    m340_s27_001 = section(math340, spring, "001", math)
    cs150_s27_001 = section(cs150, spring, "001", cs, session=eight_weeks)
    cs150_s27_002 = section(cs150, spring, "002", cs, session=eight_weeks)
    cs310_s27_001 = section(cs310, spring, "001", cs)
    m221_su27_001 = section(math221, summer, "001", math)
    sections = [
        m221_s27_001,
        m221_s27_002,
        m221_s27_003,
        m221_f26_001,
        cs150_f26_001,
        m340_s27_001,
        cs150_s27_001,
        cs150_s27_002,
        cs310_s27_001,
        m221_su27_001,
    ]

    ada = _user("Ada Lovelace", "ada@demo.edu", password_hash, "900001")
    alan = _user("Alan Turing", "alan@demo.edu", password_hash, "900002")
    emmy = _user("Emmy Noether", "emmy@demo.edu", password_hash, "900003")
    grace = _user("Grace Hopper", "grace@demo.edu", password_hash, "900004")
    katherine = _user("Katherine Johnson", "katherine@demo.edu", password_hash, "900005", is_program_admin=True)
    users = [ada, alan, emmy, grace, katherine]
    catalog = _catalog()
    db.session.add_all([main, math, cs, regular, eight_weeks, spring, fall, summer, *sections, *users, *catalog])
    db.session.flush()

    teaching = [
        (ada, m221_s27_001),
        (ada, m221_s27_002),
        (ada, m221_s27_003),
        (ada, cs150_s27_001),
        (ada, m221_f26_001),
        (ada, cs150_f26_001),
        (alan, cs310_s27_001),
        (alan, cs150_s27_002),
        (emmy, m340_s27_001),
    ]
    db.session.add_all(TeachingAssignment(user_id=u.id, section_id=s.id) for u, s in teaching)
    db.session.add_all(
        [CoordinatorGrant(user_id=emmy.id, subject="MATH"), CoordinatorGrant(user_id=grace.id, subject="CS")]
    )

    by_title = {item.title: item for item in catalog}
    demo_orders = [
        (ada, [m221_s27_001, m221_s27_002], ["Calculus: Early Transcendentals"], now - timedelta(days=12), []),
        (
            grace,
            [cs310_s27_001],
            ["Introduction to the Theory of Computation", "Automata, Computability and Complexity"],
            now - timedelta(days=6),
            [alan],
        ),  # noqa: E501
        (ada, [m221_f26_001], ["Thomas' Calculus"], now - timedelta(days=40), []),
        (ada, [cs150_f26_001], ["Python Crash Course"], now - timedelta(days=45), []),
    ]
    number = 1000
    for placer, order_sections, titles, placed_at, for_whom in demo_orders:
        number += 1
        first = order_sections[0]
        order = Order(
            number=number,
            term_id=first.term_id,
            course_id=first.course_id,
            status=OrderStatus.PLACED,
            owner_id=placer.id,
            created_at=placed_at - timedelta(minutes=20),
            placed_by_id=placer.id,
            placed_at=placed_at,
            submitted_at=placed_at,
            last_changed_at=placed_at,
            version=1,
        )
        db.session.add(order)
        db.session.flush()
        db.session.add_all(OrderSection(order_id=order.id, section_id=s.id, claimed=True) for s in order_sections)
        db.session.add_all(
            OrderLine(
                order_id=order.id,
                catalog_item_id=by_title[t].id,
                position=i,
                student_price=by_title[t].student_price,
                requirement=Requirement.RECOMMENDED if t in RECOMMENDED_TITLES else Requirement.REQUIRED,
            )
            for i, t in enumerate(titles)
        )
        db.session.add(
            OrderEvent(
                order_id=order.id,
                kind=EventKind.PLACED,
                actor_id=placer.id,
                occurred_at=placed_at,
                request_id="seed-demo",
                on_behalf_of=[{"id": u.id, "name": u.name} for u in for_whom],
                details={},
            )
        )
    number = _load_review(now, password_hash, spring, math, main, regular, emmy, number)
    db.session.add(OrderNumberCounter(id=1, last_number=number))
    db.session.flush()
    _load_costs(now, by_title, spring=spring, summer=summer)
    _load_students(
        now,
        password_hash,
        by_title,
        spring_sections=[
            m221_s27_001,
            m221_s27_002,
            m221_s27_003,
            m340_s27_001,
            cs150_s27_001,
            cs150_s27_002,
            cs310_s27_001,
        ],
        mary_in=[m221_s27_001, cs310_s27_001],
        sofia_in=[m221_s27_002, cs150_s27_001],
        sofia_dropped=[cs310_s27_001],
    )


def _load_costs(now, by_title, *, spring, summer) -> None:
    """The costs of docs/spec.md §10: a courseware title with data terms, #1001's calculator, the low-cost threshold
    and its criteria, the coverage target; Spring 2027's registration opened 10 days ago, Summer 2027's opens in 40."""
    item = by_title[COURSEWARE_TITLE]
    item.courseware_for_graded_work, item.data_terms_url = True, DATA_TERMS_URL
    order = db.session.query(Order).filter_by(number=1001).one()
    db.session.add(OtherCost(order_id=order.id, description=OTHER_COST[0], amount=OTHER_COST[1], position=0))
    institution = db.session.query(Institution).one()
    institution.low_cost_threshold, institution.low_cost_criteria_url = LOW_COST_THRESHOLD, LOW_COST_CRITERIA_URL
    institution.coverage_target_percent = COVERAGE_TARGET_PERCENT
    spring.registration_opens_at = now - timedelta(days=10)
    summer.registration_opens_at = now + timedelta(days=40)
    db.session.flush()


def _load_review(now, password_hash, spring, math, main, regular, emmy, number: int) -> int:
    """Review (docs/spec.md §5, §8): Mathematics orders under `approval` (#1001 and #1003 were placed before and stay
    placed), Emmy's MATH grant may approve, and Sophie Germain's order for MATH 110 001 awaits approval (submitted 4
    days ago, so the approvers' daily digest lists it). Computer Science stays `open`. Returns the last order number."""
    math.ordering_policy = OrderingPolicy.APPROVAL
    for grant in db.session.scalars(select(CoordinatorGrant).where(CoordinatorGrant.user_id == emmy.id)):
        grant.may_approve = True
    sophie = _user("Sophie Germain", "sophie@demo.edu", password_hash, "900006")
    math110 = Course(sis_id="MATH-110", subject="MATH", number="110", title="College Algebra")
    m110_s27_001 = Section(
        course=math110,
        term=spring,
        label="001",
        session=regular,
        campus=main,
        organization=math,
        level=CourseLevel.UNDERGRADUATE,
        sis_id=f"{spring.code}-MATH-110-001",
    )
    first12 = REVIEW_ITEM[2]
    algebra = CatalogItem(
        title=REVIEW_ITEM[0],
        authors=REVIEW_ITEM[1],
        isbn13=first12 + isbn.check_digit(first12),
        publisher=REVIEW_ITEM[3],
        edition=REVIEW_ITEM[4],
        delivery=Delivery.ETEXT,
        student_price=Decimal(REVIEW_ITEM[5]),
        active=True,
    )
    db.session.add_all([sophie, math110, m110_s27_001, algebra])
    db.session.flush()
    db.session.add(TeachingAssignment(user_id=sophie.id, section_id=m110_s27_001.id))
    number += 1
    submitted_at = now - timedelta(days=4)
    order = Order(
        number=number,
        term_id=spring.id,
        course_id=math110.id,
        status=OrderStatus.AWAITING_APPROVAL,
        owner_id=sophie.id,
        created_at=submitted_at - timedelta(minutes=15),
        placed_by_id=sophie.id,
        placed_at=None,
        submitted_at=submitted_at,
        last_changed_at=submitted_at,
        version=1,
        royalty_answer=False,
        royalty_review=False,
    )
    db.session.add(order)
    db.session.flush()
    db.session.add(OrderSection(order_id=order.id, section_id=m110_s27_001.id, claimed=True))
    db.session.add(
        OrderLine(order_id=order.id, catalog_item_id=algebra.id, position=0, student_price=algebra.student_price)
    )
    db.session.add(
        OrderEvent(
            order_id=order.id,
            kind=EventKind.SUBMITTED_FOR_APPROVAL,
            actor_id=sophie.id,
            occurred_at=submitted_at,
            request_id="seed-demo",
            on_behalf_of=[],
            details={
                "royalty": {"authored": False, "lines": []},
                "resubmitted": False,
                "why": "The Department of Mathematics reviews every order before it counts.",
            },
        )
    )
    db.session.flush()
    return number


def _load_students(now, password_hash, by_title, *, spring_sections, mary_in, sofia_in, sofia_dropped) -> None:
    """Mary, Sofia and 40 more students in the Spring 2027 sections; a few opted out of #1001 and #1002."""
    enrolled_at = now - timedelta(days=20)
    mary = _user("Mary Somerville", "mary@demo.edu", password_hash, "910001")
    sofia = _user("Sofia Kovalevskaya", "sofia@demo.edu", password_hash, "910002")
    others = [
        _user(
            f"{STUDENT_FIRST[i % 20]} {STUDENT_LAST[(i * 7 + i // 20) % 20]}",
            f"student{i + 1:02d}@demo.edu",
            password_hash,
            f"{910003 + i}",
        )
        for i in range(40)
    ]
    db.session.add_all([mary, sofia, *others])
    db.session.flush()
    rows = [(mary, s, EnrollmentState.ENROLLED) for s in mary_in]
    rows += [(sofia, s, EnrollmentState.ENROLLED) for s in sofia_in]
    rows += [(sofia, s, EnrollmentState.DROPPED) for s in sofia_dropped]
    rows += [
        (student, spring_sections[i % len(spring_sections)], EnrollmentState.ENROLLED)
        for i, student in enumerate(others)
    ]
    db.session.add_all(
        Enrollment(
            user_id=u.id,
            section_id=s.id,
            state=state,
            enrolled_at=enrolled_at,
            dropped_at=now - timedelta(days=3) if state is EnrollmentState.DROPPED else None,
        )
        for u, s, state in rows
    )
    # Opt-outs: every fifth other student in a section on #1001 (MATH 221 001/002) or #1002 (CS 310 001).
    ordered_items = {
        spring_sections[0].id: ["Calculus: Early Transcendentals"],
        spring_sections[1].id: ["Calculus: Early Transcendentals"],
        spring_sections[6].id: ["Introduction to the Theory of Computation", "Automata, Computability and Complexity"],
    }
    decided_at = now - timedelta(days=2)
    opted = [(u, s) for u, s, _ in rows[len(mary_in) + len(sofia_in) + len(sofia_dropped) :] if s.id in ordered_items]
    for student, section in opted[::4]:
        item = by_title[ordered_items[section.id][-1]]
        db.session.add(
            StudentChoice(
                user_id=student.id,
                section_id=section.id,
                catalog_item_id=item.id,
                choice=ChoiceValue.OPTED_OUT,
                decided_at=decided_at,
                decided_by_id=student.id,
            )
        )
        db.session.add(
            ChoiceEvent(
                user_id=student.id,
                section_id=section.id,
                catalog_item_id=item.id,
                previous=None,
                choice=ChoiceValue.OPTED_OUT,
                actor_id=student.id,
                occurred_at=decided_at,
                request_id="seed-demo",
            )
        )
    db.session.flush()
