"""Forms shared across blueprints."""
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange
from wtforms.widgets import HiddenInput

MAX_VERSION = 2**31 - 1


class EmptyForm(FlaskForm):
    """A button-only POST: just the CSRF token."""


class VersionedConfirmForm(FlaskForm):
    """A confirmed change (cancel, place, submit changes): CSRF plus the order version the user saw."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=1, max=MAX_VERSION)])
