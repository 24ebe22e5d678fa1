"""An other required cost as typed and a web address as stored (orders/domain/costs/fields.py,
orders/domain/formats/weburl.py): what is accepted exactly, what is refused and why; nothing is rounded."""
from __future__ import annotations

from decimal import Decimal

import pytest

from orders.domain.costs.fields import CostFields, check_cost, parse_amount, parse_cost, parse_description
from orders.domain.formats.weburl import parse_web_url
from orders.domain.refusals import RuleBroken


@pytest.mark.parametrize(
    "raw,amount",
    [
        ("15", "15.00"),
        ("15.5", "15.50"),
        ("15.", "15.00"),
        ("$15.00", "15.00"),
        (" $ 1,200.50 ", "1200.50"),
        ("0", "0.00"),
        ("10000", "10000.00"),
        ("10,000.00", "10000.00"),
        ("0.01", "0.01"),
        ("007.10", "7.10"),
    ],
)
def test_amounts_accepted_exactly(raw, amount):
    found, problem = parse_amount(raw)
    assert problem is None and found == Decimal(amount) and str(found) == amount


@pytest.mark.parametrize(
    "raw", ["-0.01", "10000.001", "10000.01", "1.234", "abc", "1e2", "1,00", "12,3456", "١٥", "+5", "$", ".5"]
)
def test_amounts_refused(raw):
    found, problem = parse_amount(raw)
    assert found is None and problem


def test_descriptions_are_one_visible_line_of_at_most_200_characters():
    assert parse_description("  Graphing\ncalculator\t(TI-84) ") == ("Graphing calculator (TI-84)", None)
    assert parse_description("\u200b \u2060")[0] is None
    assert parse_description("x" * 200)[0] == "x" * 200 and parse_description("x" * 201)[0] is None


def test_both_fields_are_checked_at_once():
    cost, errors = parse_cost("", "-1")
    assert cost is None and set(errors) == {"description", "amount"}
    assert parse_cost("Lab fee", "12.5") == (CostFields("Lab fee", Decimal("12.50")), {})


def test_a_service_handed_a_bad_cost_refuses_it():
    check_cost(CostFields("Lab fee", Decimal("12.50")))
    for bad in (
        CostFields("Lab fee", Decimal("12.505")),
        CostFields("Lab fee", Decimal("-1")),
        CostFields(" ", Decimal("1")),
        CostFields("Lab fee", Decimal("10000.01")),
    ):
        with pytest.raises(RuleBroken):
            check_cost(bad)


@pytest.mark.parametrize(
    "raw,kept",
    [
        ("https://www.example.com/terms", True),
        ("http://example.edu/a?b=c#d", True),
        ("HTTPS://EXAMPLE.COM", True),
        ("javascript:alert(1)", False),
        ("ftp://x.edu", False),
        ("mailto:a@b.edu", False),
        ("https:example.com", False),
        ("https://a b.edu", False),
        ("https://x.edu/" + "a" * 500, False),
        ("data:text/html,x", False),
        ("file:///etc/passwd", False),
    ],
)
def test_web_addresses(raw, kept):
    url, problem = parse_web_url(raw, "Link")
    assert (url == raw and problem is None) if kept else (url is None and problem)


def test_an_empty_web_address_is_none_not_a_refusal():
    assert parse_web_url("   ", "Link") == (None, None)
