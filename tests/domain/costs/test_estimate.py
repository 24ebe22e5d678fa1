"""The estimated required cost and its labels (docs/spec.md §10; orders/domain/costs/estimate.py): required and
recommended lines x zero-cost items x other required costs x the low-cost threshold, and what is not known yet."""
from __future__ import annotations

from decimal import Decimal

import pytest

from orders.domain.costs.estimate import ZERO, CostLabel, CostLine, Disclosure, estimate, label_for
from orders.domain.models import Requirement

REQ, REC = Requirement.REQUIRED, Requirement.RECOMMENDED
ZTC, LOW = CostLabel.ZERO_TEXTBOOK_COST, CostLabel.LOW_COST
D = Decimal


def line(requirement: Requirement, price: str | None, zero_cost: bool = False) -> CostLine:
    return CostLine(requirement, None if price is None else D(price), zero_cost)


# (lines, other costs, threshold) -> (required, recommended, label)
CASES = [
    pytest.param(
        [line(REQ, "89.99")], [], D("40.00"), D("89.99"), ZERO, None, id="one required line above the threshold"
    ),
    pytest.param([line(REQ, "29.99")], [], D("40.00"), D("29.99"), ZERO, LOW, id="below the threshold: low cost"),
    pytest.param([line(REQ, "40.00")], [], D("40.00"), D("40.00"), ZERO, LOW, id="exactly the threshold: low cost"),
    pytest.param([line(REQ, "40.01")], [], D("40.00"), D("40.01"), ZERO, None, id="a cent above: no label"),
    pytest.param([line(REQ, "29.99")], [], None, D("29.99"), ZERO, None, id="no threshold: never low cost"),
    pytest.param(
        [line(REQ, "0.00", zero_cost=True)], [], D("40.00"), ZERO, ZERO, ZTC, id="an OER text: zero textbook cost"
    ),
    pytest.param(
        [line(REQ, "19.95", zero_cost=True)], [], None, ZERO, ZERO, ZTC, id="zero cost whatever price the line had"
    ),
    pytest.param(
        [line(REQ, "0.00", zero_cost=True)],
        [D("15.00")],
        D("40.00"),
        D("15.00"),
        ZERO,
        LOW,
        id="OER plus a calculator: the calculator counts, low cost",
    ),
    pytest.param(
        [line(REQ, "0.00", zero_cost=True)],
        [D("15.00")],
        None,
        D("15.00"),
        ZERO,
        None,
        id="OER plus a calculator, no threshold: no label",
    ),
    pytest.param([line(REQ, "89.99")], [D("15.00")], D("40.00"), D("104.99"), ZERO, None, id="a text and a calculator"),
    pytest.param(
        [line(REQ, "25.00")], [D("15.00")], D("40.00"), D("40.00"), ZERO, LOW, id="other costs reach the threshold"
    ),
    pytest.param(
        [line(REQ, "25.00")], [D("15.01")], D("40.00"), D("40.01"), ZERO, None, id="other costs pass the threshold"
    ),
    pytest.param(
        [line(REQ, "25.00")],
        [D("10.00"), D("5.00")],
        D("40.00"),
        D("40.00"),
        ZERO,
        LOW,
        id="several other costs add up",
    ),
    pytest.param(
        [line(REC, "58.00")], [], D("40.00"), ZERO, D("58.00"), ZTC, id="only a recommended line: zero required"
    ),
    pytest.param(
        [line(REQ, "92.25"), line(REC, "58.00")],
        [],
        D("40.00"),
        D("92.25"),
        D("58.00"),
        None,
        id="required and recommended apart",
    ),
    pytest.param(
        [line(REQ, "30.00"), line(REC, "58.00")],
        [],
        D("40.00"),
        D("30.00"),
        D("58.00"),
        LOW,
        id="a costly recommended line never spoils low cost",
    ),
    pytest.param([line(REC, "0.00", zero_cost=True)], [], D("40.00"), ZERO, ZERO, ZTC, id="a free recommended line"),
    pytest.param(
        [line(REC, "58.00")], [D("0.00")], D("40.00"), ZERO, D("58.00"), ZTC, id="a zero other cost is still zero"
    ),
    pytest.param(
        [line(REQ, "0.01")], [], D("0.00"), D("0.01"), ZERO, None, id="threshold zero: above zero is never low"
    ),
    pytest.param(
        [line(REQ, "0.00", zero_cost=True)], [], D("0.00"), ZERO, ZERO, ZTC, id="threshold zero: zero is ZTC, not low"
    ),
    pytest.param(
        [line(REQ, "0.10"), line(REQ, "0.20")],
        [],
        D("0.30"),
        D("0.30"),
        ZERO,
        LOW,
        id="exact decimals: 0.1 + 0.2 = 0.3",
    ),
    pytest.param(
        [line(REQ, "9999.99"), line(REQ, "9999.99")],
        [D("10000.00")],
        D("40.00"),
        D("29999.98"),
        ZERO,
        None,
        id="large sums stay exact",
    ),
]


@pytest.mark.parametrize("lines,others,threshold,required,recommended,label", CASES)
def test_estimate_and_label(lines, others, threshold, required, recommended, label):
    found = estimate(Disclosure.ORDERED, lines, others, threshold)
    assert (found.required, found.recommended, found.label) == (required, recommended, label)
    assert isinstance(found.required, Decimal) and isinstance(found.recommended, Decimal)
    assert found.known and not found.pending
    assert found.other == sum(others, ZERO)
    assert found.required == required and str(found.required) == str(
        required.quantize(D("0.01"))
    )  # never a float, never rounded


@pytest.mark.parametrize("threshold", [None, D("40.00")])
def test_no_materials_needed_is_zero_textbook_cost(threshold):
    found = estimate(Disclosure.NO_MATERIALS, [], [], threshold)
    assert (found.required, found.recommended, found.label) == (ZERO, ZERO, ZTC)


def test_a_section_without_order_or_answer_is_not_known():
    found = estimate(Disclosure.NOT_YET, [line(REQ, "10.00")], [D("5.00")], D("40.00"))
    assert (found.required, found.recommended, found.label, found.known) == (None, None, None, False)


def test_a_required_title_to_be_determined_leaves_the_estimate_unknown_but_not_the_recommended_sum():
    found = estimate(
        Disclosure.ORDERED, [line(REQ, "10.00"), line(REQ, None), line(REC, "5.00")], [D("1.00")], D("40.00")
    )
    assert (found.required, found.recommended, found.label, found.pending) == (None, D("5.00"), None, True)


def test_a_recommended_title_to_be_determined_changes_nothing():
    found = estimate(Disclosure.ORDERED, [line(REQ, "10.00"), line(REC, None)], [], D("40.00"))
    assert (found.required, found.recommended, found.label) == (D("10.00"), ZERO, LOW)


def test_a_placed_order_that_counts_no_line_tells_nothing_yet():
    found = estimate(Disclosure.ORDERED, [], [D("15.00")], D("40.00"))
    assert (found.required, found.label, found.known) == (None, None, False)


@pytest.mark.parametrize(
    "amount,threshold,label",
    [
        (ZERO, None, ZTC),
        (ZERO, D("40"), ZTC),
        (D("0.01"), D("40"), LOW),
        (D("40"), D("40"), LOW),
        (D("40.01"), D("40"), None),
        (D("39.99"), None, None),
    ],
)
def test_label_for(amount, threshold, label):
    assert label_for(amount, threshold) is label
