"""A deterministic SIS dump of institution size, for the benchmark and the import's tests.

`write_sample_dump(directory, sections=20000, users=2200, assignments=21000, students=30000, enrollments=120000)`
writes the nine files in the SIS format (students are users of their own, ~5% of enrollments dropped).
`variant` > 0 changes a few hundred rows (new, renamed, dropped), as a nightly dump would.
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from orders.domain.sis.files import write_file

SUBJECTS = ["MATH", "STAT", "CS", "INFO", "PHYS", "CHEM", "BIOL", "ENGL", "HIST", "PHIL", "PSYC", "ECON", "MGMT",
            "POLS", "SOC", "EDUC", "NURS", "ECE", "MUS", "SPAN"]
FIRST = ["Ada", "Alan", "Grace", "Emmy", "Maria", "James", "Wei", "Priya", "Ana", "Hiroshi", "Fatima", "Lars"]
LAST = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Noether",
    "Garcia",
    "Smith",
    "Zhang",
    "Patel",
    "Silva",
    "Tanaka",
    "Khan",
    "Berg",
]


def write_sample_dump(
    directory: Path,
    *,
    sections: int = 20000,
    users: int = 2200,
    assignments: int = 21000,
    students: int = 30000,
    enrollments: int = 120000,
    seed: int = 1,
    variant: int = 0,
) -> dict[str, int]:
    """Write the dump; returns rows per file."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    terms = []
    for i, (season, code, month) in enumerate(
        [
            (s, c, m)
            for year in (2025, 2026)
            for s, c, m in (("Spring", "10", 1), ("Summer", "50", 6), ("Fall", "30", 8))
        ]
    ):
        year = 2025 + i // 3
        start = date(year, month, 15)
        terms.append(
            (
                f"{year}{code}",
                f"{year}{code}",
                f"{season} {year}",
                start.isoformat(),
                (start + timedelta(days=110)).isoformat(),
            )
        )
    counts["terms.csv"] = write_file(directory, "terms.csv", terms)
    counts["sessions.csv"] = write_file(
        directory,
        "sessions.csv",
        [("REG", "Regular Academic Session"), ("8W1", "First Eight Weeks"), ("8W2", "Second Eight Weeks")],
    )
    counts["campuses.csv"] = write_file(
        directory, "campuses.csv", [("MAIN", "MAIN", "Main"), ("NORTH", "NORTH", "North")]
    )
    counts["organizations.csv"] = write_file(
        directory, "organizations.csv", [(s, s, f"Department of {s.title()}") for s in SUBJECTS]
    )
    per_subject = max(1, sections // len(terms) // len(SUBJECTS) // 2)
    courses = [
        (f"{s}-{100 + n * 3}", s, str(100 + n * 3), f"{s.title()} Course {100 + n * 3}")
        for s in SUBJECTS
        for n in range(per_subject)
    ]
    if variant:
        courses = [
            (c[0], c[1], c[2], c[3] + (" (revised)" if i % 50 == variant % 50 else "")) for i, c in enumerate(courses)
        ]
    counts["courses.csv"] = write_file(directory, "courses.csv", courses)

    section_rows = []
    labels: dict[tuple[str, str], int] = {}
    while len(section_rows) < sections:
        term = terms[len(section_rows) * len(terms) // sections][0]
        course = courses[rng.randrange(len(courses))]
        labels[(course[0], term)] = labels.get((course[0], term), 0) + 1
        label = f"{labels[(course[0], term)]:03d}"
        level = "Graduate" if int(course[2]) >= 500 else "Undergraduate"
        section_rows.append(
            (
                f"{term}-{course[0]}-{label}",
                course[0],
                term,
                rng.choice(["REG", "REG", "REG", "8W1", "8W2"]),
                "MAIN" if rng.random() < 0.7 else "NORTH",
                course[1],
                level,
                label,
            )
        )
    people = []
    for n in range(users):
        name = f"{FIRST[n % len(FIRST)]} {LAST[(n // len(FIRST)) % len(LAST)]} {n}"
        email = f"person{n}@sis.example.edu"
        people.append((str(1_000_000 + n), name, email, email if n % 10 else None))
    pairs: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    while len(pairs) < min(assignments, len(section_rows) * len(people)):
        index = len(pairs) if len(pairs) < len(section_rows) else rng.randrange(len(section_rows))
        pair = (people[rng.randrange(len(people))][0], section_rows[index][0])
        if pair not in seen:
            seen.add(pair)
            pairs.append(pair)
    all_section_ids = [row[0] for row in section_rows]  # enrollments are drawn from these, whatever the variant
    if variant:  # a nightly change: a few sections dropped, a few moved to the other campus
        dropped = set(rng.sample(range(len(section_rows)), min(200, len(section_rows) // 10)))
        kept_ids = {row[0] for i, row in enumerate(section_rows) if i not in dropped}
        section_rows = [
            row if i % 97 else row[:4] + ("NORTH" if row[4] == "MAIN" else "MAIN",) + row[5:]
            for i, row in enumerate(section_rows)
            if i not in dropped
        ]
        pairs = [pair for pair in pairs if pair[1] in kept_ids]
    learners = [
        (
            str(2_000_000 + n),
            f"{FIRST[(n * 5) % len(FIRST)]} {LAST[n % len(LAST)]} S{n}",
            f"student{n}@sis.example.edu",
            f"student{n}@sis.example.edu",
        )
        for n in range(students)
    ]
    picks = random.Random(seed * 31 + 7)  # its own generator, so a variant keeps the same enrollments
    enrolled: list[tuple[str, str, str]] = []
    taken: set[tuple[str, str]] = set()
    target = min(enrollments, students * len(all_section_ids))
    while students and len(enrolled) < target:
        pair = (learners[len(enrolled) % students][0], all_section_ids[picks.randrange(len(all_section_ids))])
        if pair in taken:
            continue
        taken.add(pair)
        enrolled.append((*pair, "dropped" if picks.random() < 0.05 else "enrolled"))
    kept_sections = {row[0] for row in section_rows}
    enrolled = [row for row in enrolled if row[1] in kept_sections]
    if variant and enrolled:  # a nightly change: some students drop, some enrollments leave the dump
        enrolled = [
            (u, s, "dropped" if i % 211 == variant % 211 else status)
            for i, (u, s, status) in enumerate(enrolled)
            if i % 307 != variant % 307
        ]
    counts["users.csv"] = write_file(directory, "users.csv", people + learners)
    counts["sections.csv"] = write_file(directory, "sections.csv", section_rows)
    counts["teaching_assignments.csv"] = write_file(directory, "teaching_assignments.csv", pairs)
    counts["enrollments.csv"] = write_file(directory, "enrollments.csv", enrolled)
    return counts
