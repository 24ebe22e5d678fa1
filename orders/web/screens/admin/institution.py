"""The institution's name, timezone, contact email and reminders."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from orders import clock
from orders.domain.institution import InstitutionFields, update_institution
from orders.web.changes import run_change
from orders.web.guards import actor, admin_only
from orders.web.localtime import is_timezone
from orders.web.screens.admin import bp
from orders.web.screens.admin.base import institution_row
from orders.web.screens.admin.forms import InstitutionForm


@bp.route("/institution", methods=["GET", "POST"])
@admin_only
def institution():
    """Name, timezone, contact email and reminders."""
    inst = institution_row()
    form = InstitutionForm(obj=inst) if request.method == "GET" else InstitutionForm()
    if request.method == "POST":
        if form.validate_on_submit():
            raw_name, raw_tz, email = form.name.data, form.timezone.data, form.contact_email.data
            assert raw_name is not None and raw_tz is not None and email is not None  # all three DataRequired
            name = " ".join(raw_name.split())
            tz = raw_tz.strip()
            if not name:
                form.name.errors = ["Enter the institution's name."]
            elif not is_timezone(tz):
                form.timezone.errors = [f"“{tz[:64]}” is not an IANA timezone name; use one like America/Chicago."]
            else:
                fields = InstitutionFields(
                    name=name,
                    timezone=tz,
                    contact_email=email.strip().lower(),
                    reminders_enabled=bool(form.reminders_enabled.data),
                )
                entry = run_change(lambda: update_institution(inst, fields, actor=actor(), now=clock.now())).result()
                flash("Institution settings saved." if entry else "Institution settings unchanged.", "status")
                return redirect(url_for("admin.institution"), code=303)
        return render_template(
            "admin/institution.html", form=form, error="Nothing was saved: correct the errors below."
        ), 422
    return render_template("admin/institution.html", form=form, error=None)
