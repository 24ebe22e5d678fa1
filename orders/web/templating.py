"""What templates may call, registered in one place: the predicates the routes enforce and display helpers.

None of them runs a query of its own: what a page needs from the database its view computes.
"""
from __future__ import annotations

import re

from flask import Flask
from markupsafe import Markup, escape

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def mailto_links(text: str) -> Markup:
    """Escape the text, then turn each email address in it into a mailto link."""
    escaped = str(escape(text))
    return Markup(_EMAIL.sub(lambda m: f'<a href="mailto:{m.group(0)}">{m.group(0)}</a>', escaped))


def register(app: Flask) -> None:
    """Template globals and filters."""
    from orders import clock
    from orders.domain.formats.money import money
    from orders.domain.institution import local_date
    from orders.domain.rules import can_administer, can_cancel, can_edit, is_staff, is_student
    from orders.web import compression, framing
    from orders.web.forms import EmptyForm
    from orders.web.markup import dedent_html

    app.jinja_env.globals.update(
        can_administer=can_administer,
        is_staff=is_staff,
        is_student=is_student,
        can_cancel=can_cancel,
        can_edit=can_edit,
        now_utc=clock.now,
        EmptyForm=EmptyForm,
        money=money,
        static_url=compression.static_url,
        lms_course=framing.lms_course,
    )
    app.jinja_env.filters["localdate"] = local_date
    app.jinja_env.filters["mailto_links"] = mailto_links
    app.jinja_env.filters["dedent_html"] = dedent_html
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
