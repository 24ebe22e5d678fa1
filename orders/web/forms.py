"""Forms shared across blueprints."""
from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in 3.3; stubs are 3.2
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from orders.domain.formats import isbn, text
from orders.domain.models import ContentRequestStatus, Delivery, Requirement
from orders.web.parsing import parse_version

MAX_VERSION = 2**31 - 1


def _cleaned(clean):
    """A WTForms filter: the submitted text through `clean` (None, for a field not sent, stays None)."""
    return lambda value: clean(value) if isinstance(value, str) else value


_LINE, _TEXT = _cleaned(text.clean_line), _cleaned(text.clean_text)


class Form(FlaskForm):
    """The base of every form in the app.

    Every text field's value is normalised before any validator runs (orders/domain/formats/text.py): a
    one-line field loses its line breaks and control characters, a text area keeps its lines, and text
    with nothing visible (a zero-width space) is empty, so DataRequired and the services' own "required"
    checks refuse it. Passwords are taken as typed. The CSRF token renders without an id, since a page
    may hold many forms.
    """

    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            kind = unbound_field.field_class
            if issubclass(kind, StringField) and not issubclass(kind, PasswordField):
                clean = _TEXT if issubclass(kind, TextAreaField) else _LINE
                options = dict(options, filters=(clean, *unbound_field.kwargs.get("filters", ())))
            return super().bind_field(form, unbound_field, options)

        def render_field(self, field, render_kw):
            if field.type == "CSRFTokenField":
                render_kw = dict(render_kw, id=False)
            return super().render_field(field, render_kw)


class EmptyForm(Form):
    """A button-only POST: just the CSRF token."""


class VersionField(IntegerField):
    """A hidden order version, parsed by orders.web.parsing like every id: int() would take '١٢', '+5' and ' 5'."""

    widget = HiddenInput()

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = parse_version(valuelist[0])
        if self.data is None:
            raise ValueError(self.gettext("Not a valid integer value."))


class VersionedConfirmForm(Form):
    """A confirmed change (cancel, place, submit changes): CSRF plus the order version the user saw."""

    version = VersionField(validators=[InputRequired(), NumberRange(min=1, max=MAX_VERSION)])

    def seen_version(self) -> int:
        """The version the user saw; call it once the form has validated."""
        version = self.version.data
        assert version is not None  # InputRequired: a validated form has one
        return version


def _valid_isbn(form, field) -> None:
    normalised = isbn.to_isbn13(field.data or "")
    if normalised is None:
        raise ValidationError("Enter a valid ISBN-10 or ISBN-13 (hyphens and spaces are fine); check the last digit.")
    field.data = normalised


class RequestTitleForm(Form):
    """Request a title the catalog lacks: title and ISBN required, the rest optional."""

    title = StringField("Title", validators=[DataRequired("Enter the title."), Length(max=300)])
    isbn = StringField("ISBN", validators=[DataRequired("Enter the ISBN."), Length(max=40), _valid_isbn])
    author = StringField("Author", validators=[Optional(), Length(max=300)])
    edition = StringField("Edition", validators=[Optional(), Length(max=50)])
    note = TextAreaField(
        "Note", validators=[Optional(), Length(max=2000, message="Keep the note under 2,000 characters.")]
    )
    requirement = SelectField(
        "Required or recommended",
        choices=[SelectChoice(r.value, r.label) for r in Requirement],
        default=Requirement.REQUIRED.value,
    )


class CommentForm(Form):
    """A comment on a content request's thread."""

    text = TextAreaField(
        "Comment",
        validators=[
            DataRequired("Write a comment first."),
            Length(max=2000, message="Keep the comment under 2,000 characters."),
        ],
    )


def _finite(form, field) -> None:
    """NaN and Infinity parse as decimals, but no price is either (and sNaN breaks NumberRange)."""
    if field.data is not None and not field.data.is_finite():
        field.data = None
        raise StopValidation("Enter the price as a number, like 24.99.")


STAFF_STATUS_CHOICES = [
    SelectChoice(s.value, s.label)
    for s in (ContentRequestStatus.RESEARCHING, ContentRequestStatus.APPROVED, ContentRequestStatus.DENIED)
]


class RequestStatusForm(Form):
    """A Program Administrator moves a request, optionally with a comment; approving names the fulfilling item."""

    version = VersionField(validators=[InputRequired(), NumberRange(min=1, max=MAX_VERSION)])
    status = RadioField(
        "New status", choices=STAFF_STATUS_CHOICES, validators=[InputRequired("Choose the new status.")]
    )
    comment = TextAreaField(
        "Comment (optional)",
        validators=[Optional(), Length(max=2000, message="Keep the comment under 2,000 characters.")],
    )
    fulfil_with = RadioField(
        "Fulfil with",
        choices=[
            SelectChoice("existing", "An item already in the catalog"),
            SelectChoice("new", "A new catalog item made from this request"),
        ],
        default="existing",
        validators=[Optional()],
    )
    item_isbn = StringField("ISBN of the catalog item", validators=[Optional(), Length(max=40)])
    publisher = StringField("Publisher", validators=[Optional(), Length(max=200)])
    item_edition = StringField("Edition", validators=[Optional(), Length(max=50)])
    delivery = SelectField(
        "Delivery", choices=[SelectChoice(d.value, d.value) for d in Delivery], validators=[Optional()]
    )
    price = DecimalField(
        "Student price (USD)", places=2, validators=[Optional(), _finite, NumberRange(min=0, max=100000)]
    )

    def seen_version(self) -> int:
        """The version the user saw; call it once the form has validated."""
        version = self.version.data
        assert version is not None  # InputRequired: a validated form has one
        return version
