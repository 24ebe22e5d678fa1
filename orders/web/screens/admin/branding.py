"""The institution's logo and accent colour (docs/design.md, "Branding")."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from orders import clock
from orders.domain import branding
from orders.domain.institution import institution
from orders.domain.refusals import RuleBroken
from orders.web.changes import run_change
from orders.web.guards import actor, admin_only
from orders.web.screens.admin import bp
from orders.web.screens.admin.forms import BrandingForm


@bp.route("/branding", methods=["GET", "POST"])
@admin_only
def branding_settings():
    """Show the logo and accent colour; save a new colour, a new logo, or remove the logo."""
    inst = institution()
    form = BrandingForm(data={"accent_colour": inst.accent_colour or ""}) if request.method == "GET" else BrandingForm()
    if request.method == "POST" and form.validate_on_submit():
        accent = logo = None
        try:
            accent = branding.parse_accent(form.accent_colour.data)
        except RuleBroken as refused:
            form.accent_colour.errors = [refused.message]
        upload = form.logo.data
        if upload is not None and getattr(upload, "filename", None):
            try:
                logo = branding.read_logo(upload.read(branding.LOGO_MAX_BYTES + 1))
            except RuleBroken as refused:
                form.logo.errors = [refused.message]
        if not (form.accent_colour.errors or form.logo.errors):
            remove = bool(form.remove_logo.data)
            entry = run_change(lambda: branding.update_branding(
                inst, accent=accent, logo=logo, remove_logo=remove, actor=actor(), now=clock.now())).result()
            flash("Branding saved: every page and email shows it now." if entry else "Branding unchanged.", "status")
            return redirect(url_for("admin.branding_settings"), code=303)
    if request.method == "POST":
        return _page(form, inst, "Nothing was saved: correct the errors below."), 422
    return _page(form, inst, None)


def _page(form: BrandingForm, inst, error: str | None) -> str:
    return render_template("admin/branding.html", form=form, error=error, has_logo=bool(inst.logo_digest),
                           logo_words=branding.logo_words(inst), default_accent=branding.DEFAULT_ACCENT,
                           min_contrast=branding.MIN_CONTRAST, max_kb=branding.LOGO_MAX_BYTES // 1024,
                           max_side=branding.LOGO_MAX_SIDE)
