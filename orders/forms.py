"""Forms shared across blueprints."""
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired


class EmptyForm(FlaskForm):
    """A button-only POST: just the CSRF token."""


class ConfirmCancelForm(FlaskForm):
    """The cancel confirmation: CSRF plus the version the user saw."""

    version = HiddenField(validators=[DataRequired()])
