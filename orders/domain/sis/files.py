"""The nine CSV files of a SIS dump: their columns, and a strict reader.

Every field is double-quoted, the string `null` is a missing value, the first row names the columns in
the order below, the text is UTF-8. Anything else is refused with the file, the line and the reason.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from orders.domain.formats.text import clean_line
from orders.domain.models import CourseLevel, EnrollmentState


@dataclass(frozen=True)
class Column:
    name: str
    max_length: int | None = None
    required: bool = True
    kind: str = "text"  # text | date | level | email | status


_ID = 64
FILES: dict[str, tuple[Column, ...]] = {
    "terms.csv": (Column("sis_id", _ID), Column("code", 16), Column("name", 100), Column("start_date", kind="date"),
                  Column("end_date", kind="date")),
    "sessions.csv": (Column("sis_id", _ID), Column("name", 100)),
    "campuses.csv": (Column("sis_id", _ID), Column("code", 32), Column("name", 200)),
    "organizations.csv": (Column("sis_id", _ID), Column("code", 32), Column("name", 200)),
    "courses.csv": (Column("sis_id", _ID), Column("subject", 16), Column("number", 16), Column("title", 200)),
    "sections.csv": (Column("sis_id", _ID), Column("course_sis_id", _ID), Column("term_sis_id", _ID),
                     Column("session_sis_id", _ID), Column("campus_sis_id", _ID), Column("organization_sis_id", _ID),
                     Column("level", kind="level"), Column("label", 16)),
    "users.csv": (Column("sis_id", _ID), Column("name", 200), Column("email", 254, kind="email"),
                  Column("network_id", 254, required=False)),
    "teaching_assignments.csv": (Column("user_sis_id", _ID), Column("section_sis_id", _ID)),
    "enrollments.csv": (Column("user_sis_id", _ID), Column("section_sis_id", _ID), Column("status", kind="status")),
}
# A dump without enrollments.csv carries no enrollment data: enrollments are left as they are
# (orders.domain.sis.importer).
OPTIONAL_FILES = frozenset({"enrollments.csv"})
LEVELS = {level.value.lower(): level for level in CourseLevel}
STATUSES = {state.value: state for state in EnrollmentState}
NULL = "null"
MAX_PROBLEMS = 50

# One double-quoted field: quotes inside are doubled; newlines inside are allowed (RFC 4180).
_FIELD = re.compile(r'"([^"]*(?:""[^"]*)*)"')
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def describe_files() -> str:
    """The files and their columns, for --help and the README."""
    return "\n".join(
        f"  {name:26} {', '.join(c.name for c in columns)}" + (" (optional)" if name in OPTIONAL_FILES else "")
        for name, columns in FILES.items()
    )


class SISFileError(Exception):
    """The dump is refused; each problem names the file, the line and the reason."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class _Problems:
    def __init__(self):
        self.items: list[str] = []

    def add(self, file: str, line: int | None, reason: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(f"{file} line {line}: {reason}" if line else f"{file}: {reason}")

    def __bool__(self) -> bool:
        return bool(self.items)


def _records(text: str, file: str, problems: _Problems):
    """Yield (line number, fields) per record; stop at the first malformed one."""
    pos, line, end = 0, 1, len(text)
    while pos < end:
        start_line, fields = line, list[str]()
        while True:
            match = _FIELD.match(text, pos)
            if match is None:
                if text[pos] in "\r\n":
                    problems.add(file, line, "empty line")
                elif text[pos] == '"':
                    problems.add(file, line, f"malformed quoting: field {len(fields) + 1} has no closing quote")
                else:
                    problems.add(file, line, f"malformed quoting: field {len(fields) + 1} is not double-quoted")
                return
            raw = match.group(1)
            line += raw.count("\n")
            fields.append(raw.replace('""', '"'))
            pos = match.end()
            if pos >= end:
                break
            char = text[pos]
            if char == ",":
                pos += 1
                if pos >= end:
                    problems.add(file, line, "malformed quoting: the line ends after a comma")
                    return
                continue
            if char == "\n" or text.startswith("\r\n", pos):
                pos += 1 if char == "\n" else 2
                line += 1
                break
            problems.add(
                file, line, f"malformed quoting: unexpected {char!r} after the closing quote of field {len(fields)}"
            )
            return
        yield start_line, fields


def _convert(value: str, column: Column):
    """(converted value, None) or (None, reason) for one field."""
    if value == NULL or value == "":
        if column.required:
            return None, f"{column.name} is missing"
        return None, None
    if "\x00" in value:
        return None, f"{column.name} contains a NUL character"
    if column.max_length and len(value) > column.max_length:
        return None, f"{column.name} is longer than {column.max_length} characters"
    if column.kind == "date":
        if not _DATE.match(value):
            return None, f"{column.name} {value[:20]!r} is not a date like 2027-01-19"
        try:
            return date.fromisoformat(value), None
        except ValueError:
            return None, f"{column.name} {value[:20]!r} is not a real date"
    if column.kind == "level":
        level = LEVELS.get(value.strip().lower())
        if level is None:
            return None, f"level {value[:30]!r} must be Undergraduate or Graduate"
        return level, None
    if column.kind == "status":
        status = STATUSES.get(value.strip().lower())
        if status is None:
            return None, f"status {value[:30]!r} must be enrolled or dropped"
        return status, None
    if column.kind == "email":
        value = value.strip().lower()
        if not _EMAIL.match(value):
            return None, f"email {value[:60]!r} is not an email address"
        return value, None
    value = clean_line(value)  # line breaks and controls out of names and titles; invisible-only text is missing
    if not value and column.required:
        return None, f"{column.name} is missing"
    return value or None, None


def read_file(directory: Path, name: str, problems: _Problems) -> list[tuple[int, tuple]] | None:
    """Rows of one file as (line number, converted values in column order); None for an absent optional file."""
    columns = FILES[name]
    path = directory / name
    if not path.is_file() and name in OPTIONAL_FILES:
        return None
    if not path.is_file():
        problems.add(name, None, "file missing from the dump")
        return []
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        problems.add(name, data[: error.start].count(b"\n") + 1, "not UTF-8 text")
        return []
    records = _records(text, name, problems)
    header = next(records, None)
    if header is None:
        if not problems.items or not problems.items[-1].startswith(name):
            problems.add(name, 1, "empty file: the first line must name the columns")
        return []
    expected = [c.name for c in columns]
    names = header[1]
    if names != expected:
        missing = [c for c in expected if c not in names]
        unknown = [c for c in names if c not in expected]
        if missing:
            reason = "missing column " + ", ".join(missing)
        elif unknown:
            reason = "unexpected column " + ", ".join(unknown)
        else:
            reason = "columns in the wrong order"
        problems.add(name, 1, f"{reason} (expected {', '.join(expected)})")
        return []
    rows = []
    for line, fields in records:
        if len(fields) != len(columns):
            problems.add(name, line, f"expected {len(columns)} fields, found {len(fields)}")
            continue
        values, bad = [], False
        for value, column in zip(fields, columns):
            converted, reason = _convert(value, column)
            if reason:
                problems.add(name, line, reason)
                bad = True
                break
            values.append(converted)
        if not bad:
            rows.append((line, tuple(values)))
    return rows


def read_dump(directory: Path) -> dict[str, list[tuple[int, tuple]] | None]:
    """Every file's rows (None for an absent optional file), or SISFileError listing the problems of every file."""
    problems = _Problems()
    dump = {name: read_file(directory, name, problems) for name in FILES}
    if problems:
        raise SISFileError(problems.items)
    return dump


def write_file(directory: Path, name: str, rows) -> int:
    """Write one file of a dump in the SIS's format (for examples and benchmarks); returns the row count."""
    columns = FILES[name]
    count = 0
    with open(directory / name, "w", encoding="utf-8", newline="") as out:
        out.write(",".join(f'"{c.name}"' for c in columns) + "\n")
        for row in rows:
            out.write(",".join('"null"' if v is None else '"' + _text(v).replace('"', '""') + '"' for v in row) + "\n")
            count += 1
    return count


def _text(value) -> str:
    """A value as the SIS writes it (an enum by its value)."""
    return str(value.value) if isinstance(value, EnrollmentState) else str(value)
