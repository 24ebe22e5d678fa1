"""Money in words: US dollars with cents, exact."""
from __future__ import annotations

from decimal import Decimal

CENT = Decimal("0.01")


def money(amount: Decimal | str) -> str:
    """US dollars with cents, from a Decimal or its exact string (email snapshots), never a float."""
    return f"${Decimal(amount).quantize(CENT):,}"


def plain(amount: Decimal | str) -> str:
    """Dollars with two decimals and no sign or separators, as the public CSV and JSON write them ("1200.50")."""
    return f"{Decimal(amount).quantize(CENT):f}"


def plain_price(amount: Decimal | None) -> str:
    """A price as files write it (89.99, 110.00), or empty for none: the feeds' price columns."""
    return "" if amount is None else plain(amount)
