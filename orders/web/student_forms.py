"""The choice forms: CSRF, the student the page was rendered for, and the choice version it showed."""
from __future__ import annotations

from wtforms import IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from orders.web.forms import MAX_VERSION, Form


class ChoiceForm(Form):
    """Opt out / Opt back in / Opt in / Withdraw, confirmed."""

    student = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=1, max=MAX_VERSION)])
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=0, max=MAX_VERSION)])


class AdminChoiceForm(ChoiceForm):
    """A Program Administrator's change on a student's behalf: the reason is required (the service says so)."""

    reason = TextAreaField(
        "Reason (required; the student sees it in their receipt)", validators=[Optional(), Length(max=1000)]
    )
