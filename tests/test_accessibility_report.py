"""docs/accessibility.md is an Accessibility Conformance Report in the VPAT 2.5 shape (issue 37): every WCAG 2.1
Level A and AA success criterion, by number and name, in the table of its level, with a conformance level and a
remark; every file it names as evidence exists."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORT = (ROOT / "docs" / "accessibility.md").read_text()
LEVELS = {"Supports", "Partially Supports", "Does Not Support", "Not Applicable"}

# WCAG 2.1: the 30 Level A and 20 Level AA success criteria (https://www.w3.org/TR/WCAG21/).
LEVEL_A = {
    "1.1.1": "Non-text Content",
    "1.2.1": "Audio-only and Video-only (Prerecorded)",
    "1.2.2": "Captions (Prerecorded)",
    "1.2.3": "Audio Description or Media Alternative (Prerecorded)",
    "1.3.1": "Info and Relationships",
    "1.3.2": "Meaningful Sequence",
    "1.3.3": "Sensory Characteristics",
    "1.4.1": "Use of Color",
    "1.4.2": "Audio Control",
    "2.1.1": "Keyboard",
    "2.1.2": "No Keyboard Trap",
    "2.1.4": "Character Key Shortcuts",
    "2.2.1": "Timing Adjustable",
    "2.2.2": "Pause, Stop, Hide",
    "2.3.1": "Three Flashes or Below Threshold",
    "2.4.1": "Bypass Blocks",
    "2.4.2": "Page Titled",
    "2.4.3": "Focus Order",
    "2.4.4": "Link Purpose (In Context)",
    "2.5.1": "Pointer Gestures",
    "2.5.2": "Pointer Cancellation",
    "2.5.3": "Label in Name",
    "2.5.4": "Motion Actuation",
    "3.1.1": "Language of Page",
    "3.2.1": "On Focus",
    "3.2.2": "On Input",
    "3.3.1": "Error Identification",
    "3.3.2": "Labels or Instructions",
    "4.1.1": "Parsing",
    "4.1.2": "Name, Role, Value",
}
LEVEL_AA = {
    "1.2.4": "Captions (Live)",
    "1.2.5": "Audio Description (Prerecorded)",
    "1.3.4": "Orientation",
    "1.3.5": "Identify Input Purpose",
    "1.4.3": "Contrast (Minimum)",
    "1.4.4": "Resize Text",
    "1.4.5": "Images of Text",
    "1.4.10": "Reflow",
    "1.4.11": "Non-text Contrast",
    "1.4.12": "Text Spacing",
    "1.4.13": "Content on Hover or Focus",
    "2.4.5": "Multiple Ways",
    "2.4.6": "Headings and Labels",
    "2.4.7": "Focus Visible",
    "3.1.2": "Language of Parts",
    "3.2.3": "Consistent Navigation",
    "3.2.4": "Consistent Identification",
    "3.3.3": "Error Suggestion",
    "3.3.4": "Error Prevention (Legal, Financial, Data)",
    "4.1.3": "Status Messages",
}
ROW = re.compile(r"^\| (\d\.\d\.\d+) (.+) \(Level (AA?)\) \| ([^|]+) \| (.+) \|$", re.M)


def table(title: str) -> dict[str, tuple[str, str, str, str]]:
    """number -> (name, level in the row, conformance, remarks) of the rows under `### title`."""
    part = REPORT.split(f"### {title}\n", 1)[1].split("\n### ", 1)[0]
    rows = {}
    for number, name, level, conformance, remarks in ROW.findall(part):
        assert number not in rows, f"{number} is listed twice"
        rows[number] = (name, level, conformance.strip(), remarks.strip())
    return rows


def test_the_report_has_the_vpat_sections():
    for heading in (
        "Name of Product/Version",
        "Report Date",
        "Product Description",
        "Contact Information",
        "Notes",
        "Evaluation Methods Used",
        "Applicable Standards/Guidelines",
        "Terms",
        "WCAG 2.1 Report",
    ):
        assert f"\n## {heading}\n" in REPORT, heading
    assert re.search(r"## Report Date\n\n\d{4}-\d\d-\d\d\n", REPORT)


def test_every_level_a_and_aa_criterion_is_listed_with_a_level_and_a_remark():
    for title, expected, level in (
        ("Table 1: Success Criteria, Level A", LEVEL_A, "A"),
        ("Table 2: Success Criteria, Level AA", LEVEL_AA, "AA"),
    ):
        rows = table(title)
        assert set(rows) == set(expected), (title, set(expected) ^ set(rows))
        for number, (name, row_level, conformance, remarks) in rows.items():
            assert name == expected[number], (number, name)
            assert row_level == level, number
            assert conformance in LEVELS, (number, conformance)
            assert len(remarks) > 15, (number, remarks)
    assert len(LEVEL_A) == 30 and len(LEVEL_AA) == 20


def test_partial_support_says_what_does_not_work():
    rows = {**table("Table 1: Success Criteria, Level A"), **table("Table 2: Success Criteria, Level AA")}
    partial = {n for n, row in rows.items() if row[2] in ("Partially Supports", "Does Not Support")}
    assert partial, "no known limitation at all is not a credible report"
    for number in partial:
        assert len(rows[number][3]) > 120, number


def test_every_file_named_as_evidence_exists():
    named = set(re.findall(r"`((?:tests|templates|static|orders|docs)/[^`*]+?)`", REPORT))
    assert {"tests/e2e/test_reflow.py", "tests/e2e/test_text_spacing.py"} <= named
    for path in named:
        assert (ROOT / path).exists(), path
