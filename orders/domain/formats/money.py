"""Money in words: US dollars with cents, exact."""
from __future__ import annotations

from decimal import Decimal


def money(amount: Decimal | str) -> str:
    """US dollars with cents, from a Decimal or its exact string (email snapshots), never a float."""
    return f"${Decimal(amount).quantize(Decimal('0.01')):,}"


def plain_price(amount: Decimal | None) -> str:
    """A plain decimal with two places (89.99, 110.00): no currency sign, no thousands separator (files)."""
    if amount is None:
        return ""
    return f"{Decimal(amount).quantize(Decimal('0.01')):f}"
