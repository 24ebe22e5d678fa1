"""Display helpers templates call: money, and email addresses as links."""
from __future__ import annotations

import re
from decimal import Decimal

from markupsafe import Markup, escape

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def mailto_links(text: str) -> Markup:
    """Escape the text, then turn each email address in it into a mailto link."""
    escaped = str(escape(text))
    return Markup(_EMAIL.sub(lambda m: f'<a href="mailto:{m.group(0)}">{m.group(0)}</a>', escaped))


def money(amount: Decimal | str) -> str:
    """US dollars with cents, from a Decimal or its exact string (email snapshots), never a float."""
    return f"${Decimal(amount).quantize(Decimal('0.01')):,}"
