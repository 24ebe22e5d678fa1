"""Cost disclosure in the back office (docs/spec.md §10), beside Student choice: the low-cost threshold and its
criteria, the coverage target, and each term's registration opening. Every change is audited (only what changed)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.exceptions import NotFound
from wtforms import IntegerField, StringField
from wtforms.validators import Length, Optional

from orders import clock
from orders.domain.costs.settings import parse_settings, save_registration_opens, save_settings
from orders.domain.institution import institution
from orders.domain.models import Term
from orders.extensions import db
from orders.web.changes import run_change
from orders.web.forms import Form
from orders.web.guards import actor, admin_only
from orders.web.localtime import LocalTimeError, parse_local, to_input
from orders.web.screens.admin import bp

SAVED_NOTHING = "Nothing was saved: correct the errors below."


class CostSettingsForm(Form):
    low_cost_threshold = StringField("Low-cost threshold (US dollars, optional)", validators=[Length(max=100)])
    low_cost_criteria_url = StringField("Link to the criteria of the “Low cost” label", validators=[Length(max=1000)])
    coverage_target_percent = IntegerField("Coverage target (%)", validators=[Optional()])


class RegistrationForm(Form):
    """A wall-clock time in the institution's timezone; empty = not set."""

    opens = StringField("Registration opens", validators=[Optional(), Length(max=40)])


@bp.route("/student-choice/costs", methods=["GET", "POST"])
@admin_only
def cost_settings():
    """The low-cost threshold and criteria, and the share of sections whose cost should be disclosed."""
    inst = institution()
    if request.method == "GET":
        form = CostSettingsForm(
            low_cost_threshold="" if inst.low_cost_threshold is None else str(inst.low_cost_threshold),
            low_cost_criteria_url=inst.low_cost_criteria_url or "",
            coverage_target_percent=inst.coverage_target_percent,
        )
        return render_template("admin/cost_settings.html", form=form, error=None)
    form = CostSettingsForm()
    if form.validate_on_submit():
        values, errors = parse_settings(
            form.low_cost_threshold.data, form.low_cost_criteria_url.data, form.coverage_target_percent.data
        )
        for name, message in errors.items():
            form[name].errors = [message]
        if values is not None:
            entry = run_change(lambda: save_settings(inst, values, actor=actor(), now=clock.now())).result()
            flash("Cost disclosure settings saved." if entry else "Cost disclosure settings unchanged.", "status")
            return redirect(url_for("admin.student_choice") + "#cost-disclosure", code=303)
    if form.coverage_target_percent.errors:  # wtforms' "Not a valid integer value" says less
        form.coverage_target_percent.errors = ["Enter a whole number from 0 to 100."]
    return render_template("admin/cost_settings.html", form=form, error=SAVED_NOTHING), 422


@bp.route("/student-choice/terms/<int:term_id>/registration", methods=["GET", "POST"])
@admin_only
def edit_registration_opens(term_id: int):
    """When the term's registration opens: Progress measures cost disclosure as of then."""
    term = db.session.get(Term, term_id)
    if term is None:
        raise NotFound("There is no term with that number.")
    tz = institution().timezone
    form = RegistrationForm()
    if request.method == "GET":
        form.opens.data = to_input(term.registration_opens_at, tz)
        return render_template("admin/registration_opens.html", term=term, form=form, tz=tz, error=None)
    if form.validate_on_submit():
        text = (form.opens.data or "").strip()
        try:
            opens_at = parse_local(text, tz) if text else None
        except LocalTimeError as problem:
            form.opens.errors = [str(problem)]
        else:
            entry = run_change(lambda: save_registration_opens(term, opens_at, actor=actor(), now=clock.now())).result()
            flash(
                f"{term.name} registration opening saved." if entry else f"{term.name} registration opening unchanged.",
                "status",
            )
            return redirect(url_for("admin.student_choice") + "#cost-disclosure", code=303)
    return render_template("admin/registration_opens.html", term=term, form=form, tz=tz, error=SAVED_NOTHING), 422
