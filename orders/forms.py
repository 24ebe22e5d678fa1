"""Forms shared across blueprints."""
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Regexp


class EmptyForm(FlaskForm):
    """A button-only POST: just the CSRF token."""


class ConfirmCancelForm(FlaskForm):
    """The cancel confirmation: CSRF plus the version the user saw."""

    # ASCII digits that fit int4: '²' and 5,000-digit strings are refused by the form, not by int().
    version = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9]{1,10}$")])
