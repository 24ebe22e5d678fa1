"""Ordering periods per term: opens, soft close, closes, in the institution's timezone."""
from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, render_template, request, url_for

from orders import clock
from orders.domain.lookups import all_terms
from orders.domain.models import Term
from orders.domain.periods import PERIOD_STATE_WORDS, period_state, save_period
from orders.web.changes import run_change
from orders.web.guards import actor, admin_only
from orders.web.localtime import LocalTimeError, parse_local, to_input
from orders.web.screens.admin import bp
from orders.web.screens.admin.base import load_or_404, timezone_name
from orders.web.screens.admin.forms import PeriodForm


@bp.route("/periods")
@admin_only
def periods():
    """Every term with its ordering period, in the institution's timezone."""
    now = clock.now()
    terms = all_terms()
    return render_template(
        "admin/periods.html",
        terms=terms,
        states={t.id: PERIOD_STATE_WORDS[period_state(t, now)] for t in terms},
        tz=timezone_name(),
    )


@bp.route("/periods/<int:term_id>", methods=["GET", "POST"])
@admin_only
def edit_period(term_id: int):
    """Set a term's opens / soft close / closes; invalid values save nothing."""
    term = load_or_404(Term, term_id, "term")
    tz = timezone_name()
    form = PeriodForm()
    if request.method == "GET":
        period = term.period
        if period is not None:
            form.opens.data = to_input(period.opens_at, tz)
            form.soft_close.data = to_input(period.soft_close_at, tz)
            form.closes.data = to_input(period.closes_at, tz)
        return render_template("admin/period_form.html", term=term, form=form, tz=tz, error=None)
    error = None
    if form.validate_on_submit():
        values: dict[str, datetime | None] = {}
        for name in ("opens", "soft_close", "closes"):
            field = form[name]
            if not field.data:
                values[name] = None
                continue
            try:
                values[name] = parse_local(field.data, tz)
            except LocalTimeError as problem:
                field.errors = [str(problem)]
        if not any(form[name].errors for name in ("opens", "soft_close", "closes")):
            opens_at, soft_close_at, closes_at = values["opens"], values["soft_close"], values["closes"]
            assert opens_at is not None and closes_at is not None  # both DataRequired, and they parsed
            outcome = run_change(
                lambda: save_period(term, opens_at, soft_close_at, closes_at, actor=actor(), now=clock.now())
            )
            if not outcome.ok:
                error = f"Nothing was saved: {outcome.message}"
            else:
                entry = outcome.value
                flash(
                    f"{term.name} ordering period saved." if entry else f"{term.name} ordering period unchanged.",
                    "status",
                )
                return redirect(url_for("admin.periods"), code=303)
    return render_template(
        "admin/period_form.html",
        term=term,
        form=form,
        tz=tz,
        error=error or "Nothing was saved: correct the errors below.",
    ), 422
