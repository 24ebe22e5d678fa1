"""A student's materials in words (docs/spec.md §3): the states, the buttons' labels and the deadline line."""
from __future__ import annotations

from orders.domain.formats.money import money
from orders.domain.institution import local_date, local_time
from orders.domain.models import ProgramMode, Term
from orders.domain.students.choices import LineChoice
from orders.domain.students.materials import MaterialLine, SectionMaterials
from orders.domain.windows import WindowState


def access_ends(term: Term) -> str:
    """When an opted-out student loses access: when choices become final (else the term's first day)."""
    if term.choice_closes_at is not None:
        return local_date(term.choice_closes_at)
    return f"{term.starts_on:%b} {term.starts_on.day}, {term.starts_on.year}"


def line_words(mode: ProgramMode, section: SectionMaterials, line: MaterialLine) -> str:
    """A line's state as the student reads it (in opt-out mode, opting back in is simply "Included")."""
    if section.removed:
        return "Not charged — the registrar removed this section"
    if section.dropped:
        return "Not charged — you dropped this section"
    choice = line.choice
    if choice is LineChoice.ZERO_COST:
        return "Free (no charge)"
    if choice is LineChoice.INCLUDED or (choice is LineChoice.OPTED_IN and mode is ProgramMode.OPT_OUT):
        return f"Included — {money(line.price)} will be charged to your student account"
    if choice is LineChoice.OPTED_IN:
        return f"Opted in — {money(line.price)} will be charged to your student account"
    if choice is LineChoice.OPTED_OUT:
        return f"You opted out — you will not be charged and lose access on {access_ends(section.section.term)}"
    return "Not opted in — you will not be charged"


def toggle_label(mode: ProgramMode, line: MaterialLine) -> str:
    """The one button beside a billable line: Opt out / Opt back in, or Opt in / Withdraw."""
    if mode is ProgramMode.OPT_OUT:
        return "Opt back in" if line.choice is LineChoice.OPTED_OUT else "Opt out"
    return "Withdraw" if line.choice is LineChoice.OPTED_IN else "Opt in"


def window_words(term: Term, window: WindowState) -> str:
    """The deadline line at the top of the page."""
    opens, closes = term.choice_opens_at, term.choice_closes_at
    if opens is None or closes is None:  # the window is NOT_SET
        return f"Choices for {term.name} are not open yet"
    if window is WindowState.OPEN:
        return f"Choose by {local_time(closes)}"
    if window is WindowState.CLOSED:
        return f"Choices closed on {local_time(closes)}"
    if window is WindowState.UPCOMING:
        return f"Choices open on {local_time(opens)}"
    return f"Choices for {term.name} are not open yet"


def mode_words(mode: ProgramMode) -> str:
    """What the program mode means for the student."""
    if mode is ProgramMode.OPT_OUT:
        return ("Your course materials are included and charged to your student account, unless you opt out of "
                "them before the deadline.")
    return "You are charged only for the course materials you opt in to before the deadline."


def after_words(mode: ProgramMode, line: MaterialLine) -> str:
    """What confirming the toggle will do, for the confirmation prompt."""
    label = toggle_label(mode, line)
    if label in ("Opt out", "Withdraw"):
        return f"You will not be charged {money(line.price)} for {line.title}, and you will lose access to it."
    return f"{money(line.price)} for {line.title} will be charged to your student account, and you keep access to it."
