"""Money in words: US dollars with cents, exact."""
from __future__ import annotations

from decimal import Decimal

CENT = Decimal("0.01")
# The one wording of a material students pay nothing for, on every page, email and CSV written for people.
FREE = "Free"


def money(amount: Decimal | str) -> str:
    """US dollars with cents, from a Decimal or its exact string (email snapshots), never a float."""
    return f"${Decimal(amount).quantize(CENT):,}"


def plain(amount: Decimal | str) -> str:
    """Dollars with two decimals and no sign or separators, as the public CSV and JSON write them ("1200.50")."""
    return f"{Decimal(amount).quantize(CENT):f}"


def plain_price(amount: Decimal | None) -> str:
    """A price as files write it (89.99, 110.00), or empty for none: the feeds' price columns."""
    return "" if amount is None else plain(amount)


def price_words(amount: Decimal | str, *, zero_cost: bool = False) -> str:
    """A material's student price in words: FREE for a zero-cost (OER) item or a $0.00 price, else money().

    Totals stay money(): "$0.00" there is a sum, not a material. Files for machines (the order and billing
    feeds, the public JSON and CSV) keep their plain decimals.
    """
    return FREE if zero_cost or Decimal(amount) == 0 else money(amount)


