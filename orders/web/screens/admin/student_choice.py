"""The back office's Student choice page: per term the choice window; the program mode, consent text,
at-risk threshold and "Publish course materials". Every change is audited (only the changed fields)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.exceptions import NotFound
from wtforms import BooleanField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in 3.3; stubs are 3.2
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from orders import clock
from orders.domain.institution import institution
from orders.domain.lookups import all_terms
from orders.domain.models import ProgramMode, Term
from orders.domain.students.choices import window_state
from orders.domain.students.settings import ChoiceSettings, save_settings, save_window
from orders.extensions import db
from orders.web.changes import run_change
from orders.web.forms import Form
from orders.web.guards import actor, admin_only
from orders.web.localtime import LocalTimeError, parse_local, to_input
from orders.web.screens.admin import bp


class ChoiceSettingsForm(Form):
    program_mode = RadioField(
        "Program mode", choices=[SelectChoice(m.value, m.label) for m in ProgramMode],
        validators=[InputRequired("Choose the program mode.")],
    )
    consent_text = TextAreaField(
        "Consent text (shown on every confirmation)", validators=[Optional(), Length(max=5000)]
    )
    at_risk_threshold_percent = IntegerField(
        "At-risk threshold (%)",
        validators=[
            InputRequired("Enter a whole number from 0 to 100."),
            NumberRange(min=0, max=100, message="Enter a whole number from 0 to 100."),
        ],
    )
    publish_course_materials = BooleanField("Publish course materials")


class WindowForm(Form):
    """Wall-clock times in the institution's timezone; both empty = no window (students cannot choose yet)."""

    opens = StringField("Choices open", validators=[Optional(), Length(max=40)])
    closes = StringField("Choices close", validators=[Optional(), Length(max=40)])


@bp.route("/student-choice", methods=["GET", "POST"])
@admin_only
def student_choice():
    """The program mode, consent text, at-risk threshold and publishing; the terms' choice windows."""
    inst = institution()
    form = (
        ChoiceSettingsForm()
        if request.method == "POST"
        else ChoiceSettingsForm(
            program_mode=inst.program_mode.value,
            consent_text=inst.consent_text,
            at_risk_threshold_percent=inst.at_risk_threshold_percent,
            publish_course_materials=inst.publish_course_materials,
        )
    )
    status, error = 200, None
    if request.method == "POST":
        if form.validate_on_submit():
            threshold = form.at_risk_threshold_percent.data
            assert threshold is not None  # InputRequired: a validated form has one
            values = ChoiceSettings(
                program_mode=ProgramMode(form.program_mode.data),
                consent_text=(form.consent_text.data or "").strip(),
                at_risk_threshold_percent=threshold,
                publish_course_materials=bool(form.publish_course_materials.data),
            )
            entry = run_change(lambda: save_settings(inst, values, actor=actor(), now=clock.now())).result()
            flash("Student choice settings saved." if entry else "Student choice settings unchanged.", "status")
            return redirect(url_for("admin.student_choice"), code=303)
        if form.at_risk_threshold_percent.errors:  # wtforms' "Not a valid integer value" says less
            form.at_risk_threshold_percent.errors = ["Enter a whole number from 0 to 100."]
        status, error = 422, "Nothing was saved: correct the errors below."
    now = clock.now()
    terms = all_terms()
    return render_template(
        "admin/student_choice.html",
        form=form,
        error=error,
        terms=terms,
        tz=inst.timezone,
        institution=inst,
        states={t.id: window_state(t, now).value for t in terms},
    ), status


@bp.route("/student-choice/terms/<int:term_id>", methods=["GET", "POST"])
@admin_only
def edit_choice_window(term_id: int):
    """Set a term's choice window in the institution's timezone; invalid values save nothing."""
    term = db.session.get(Term, term_id)
    if term is None:
        raise NotFound("There is no term with that number.")
    tz = institution().timezone
    form = WindowForm()
    if request.method == "GET":
        form.opens.data, form.closes.data = to_input(term.choice_opens_at, tz), to_input(term.choice_closes_at, tz)
        return render_template("admin/choice_window.html", term=term, form=form, tz=tz, error=None)
    error = "Nothing was saved: correct the errors below."
    if form.validate_on_submit():
        values = {}
        for name in ("opens", "closes"):
            try:
                values[name] = parse_local(form[name].data, tz) if (form[name].data or "").strip() else None
            except LocalTimeError as problem:
                form[name].errors = [str(problem)]
        if not form.opens.errors and not form.closes.errors:
            outcome = run_change(
                lambda: save_window(term, values["opens"], values["closes"], actor=actor(), now=clock.now())
            )
            if not outcome.ok:
                error = f"Nothing was saved: {outcome.message}"
            else:
                entry = outcome.value
                flash(
                    f"{term.name} choice window saved." if entry else f"{term.name} choice window unchanged.", "status"
                )
                return redirect(url_for("admin.student_choice"), code=303)
    return render_template("admin/choice_window.html", term=term, form=form, tz=tz, error=error), 422
