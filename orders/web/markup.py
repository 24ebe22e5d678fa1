"""Lean row markup for the Courses list: the template's indentation is not sent."""
from __future__ import annotations

import re

from markupsafe import Markup

_INDENT = re.compile(r"\n[ \t]+")


def dedent_html(html: str) -> Markup:
    """Drop the spaces that start each line (HTML folds them anyway; the list has no <pre> or <textarea>)."""
    return Markup(_INDENT.sub("\n", html))
