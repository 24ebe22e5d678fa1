"""Back office: Program Administrators download a term's student billing feed (the same rows as export-billing)."""
from __future__ import annotations

import re

from flask import Response, render_template, request, stream_with_context
from sqlalchemy import select

from orders import clock
from orders.domain.billing.export import file_name
from orders.domain.billing.rows import stream_billing
from orders.domain.institution import institution
from orders.domain.lookups import all_terms
from orders.domain.models import Term
from orders.domain.students.choices import window_state
from orders.domain.windows import WindowState
from orders.extensions import db
from orders.web.guards import admin_only
from orders.web.screens.admin import bp

TERM_CODE = re.compile(r"[A-Za-z0-9_-]{1,16}\Z")  # anything else names no term (and never reaches SQL)


def _default_term_code(terms: list[Term], now) -> str | None:
    """The term whose choice window is open, else the newest one with a window, else the newest."""
    for term in terms:
        if window_state(term, now) is WindowState.OPEN:
            return term.code
    with_window = [term for term in terms if term.choice_opens_at is not None]
    return (with_window or terms)[0].code if terms else None


def _page(status: int = 200, *, error: str | None = None, chosen: str | None = None):
    now = clock.now()
    terms = all_terms()
    return render_template(
        "admin/billing.html", terms=terms, chosen=chosen or _default_term_code(terms, now), error=error,
        mode=institution().program_mode, window_state=window_state, now=now, WindowState=WindowState,
    ), status


@bp.get("/billing/")
@admin_only
def billing():
    """The term select and the Download button."""
    return _page()


@bp.get("/billing/download")
@admin_only
def billing_download():
    """Stream the chosen term's billing feed as CSV."""
    code = request.args.get("term", "")
    term = db.session.scalars(select(Term).where(Term.code == code)).first() if TERM_CODE.match(code) else None
    if term is None:
        return _page(404, error="Choose a term from the list: that term does not exist.")
    now = clock.now()
    # Read on a connection of the generator's own: the request's session ends before the body is sent.
    body = stream_billing(db.engine, term, institution().program_mode, now)
    return Response(
        stream_with_context(body),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{file_name(term, now)}"', "Cache-Control": "no-store"},
    )
