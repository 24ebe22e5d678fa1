"""Back-office forms (Flask-WTF: CSRF on every POST). Rules beyond "required" live in the services
and in orders.domain.catalog.fields, so the forms and the CSV import never disagree."""
from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in 3.3; stubs are 3.2
from wtforms.validators import DataRequired, Length, Optional, Regexp

from orders.domain.models import CourseLevel, Delivery, OrderingPolicy, PersonMatch
from orders.web.forms import Form

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class PeriodForm(Form):
    """Times are wall-clock times in the institution's timezone (datetime-local inputs)."""

    opens = StringField("Opens", validators=[DataRequired(message="Enter when ordering opens.")])
    soft_close = StringField("Soft close (optional)", validators=[Optional()])
    closes = StringField("Closes", validators=[DataRequired(message="Enter when ordering closes.")])


class GrantForm(Form):
    """A grant's scope (blank = any) and the term its preview counts sections in."""

    subject = SelectField("Subject", choices=[SelectChoice("", "Any subject")], default="")
    level = SelectField(
        "Course level",
        choices=[SelectChoice("", "Any level")] + [SelectChoice(lv.value, lv.value) for lv in CourseLevel],
        default="",
    )
    organization = SelectField("Organization", choices=[SelectChoice("", "Any organization")], default="")
    campus = SelectField("Campus", choices=[SelectChoice("", "Any campus")], default="")
    term = SelectField("Preview in term", choices=[], default="", validate_choice=False)  # resolved by the view
    may_approve = BooleanField("May approve orders for these sections")
    may_review_royalties = BooleanField("May review royalties (materials an instructor wrote or earns a royalty on)")

    def set_choices(self, options, terms) -> None:
        self.subject.choices = [SelectChoice("", "Any subject")] + [SelectChoice(s, s) for s in options.subjects]
        self.organization.choices = [SelectChoice("", "Any organization")] + [
            SelectChoice(str(o.id), o.name) for o in options.organizations
        ]
        self.campus.choices = [SelectChoice("", "Any campus")] + [
            SelectChoice(str(c.id), c.name) for c in options.campuses
        ]
        self.term.choices = [SelectChoice(str(t.id), t.name) for t in terms]


class GrantFlagsForm(Form):
    """An existing grant's approval flags (docs/spec.md §8)."""

    may_approve = BooleanField("May approve")
    may_review_royalties = BooleanField("May review royalties")


class PolicyForm(Form):
    """An organization's ordering policy (docs/spec.md §8)."""

    policy = SelectField(
        "Ordering policy",
        choices=[
            SelectChoice(OrderingPolicy.OPEN.value, "Open: “Place order” places it"),
            SelectChoice(OrderingPolicy.APPROVAL.value, "Approval: every order waits for an approver"),
            SelectChoice(
                OrderingPolicy.PRE_APPROVED_LIST.value,
                "Pre-approved list: placed at once when every item is on the list",
            ),
        ],
    )


class RoyaltyThresholdForm(Form):
    """When a royalty Yes goes to review (docs/spec.md §8): always, or above an estimated royalty per section."""

    review = SelectField(
        "Review a royalty Yes",
        choices=[
            SelectChoice("always", "Always"),
            SelectChoice("above", "Only above an estimated royalty per section"),
        ],
    )
    amount = StringField("Estimated royalty per section, US dollars", validators=[Length(max=100)])


class ItemForm(Form):
    """A catalog item; every value is checked by orders.domain.catalog.fields.parse_item."""

    title = StringField("Title", validators=[Length(max=1000)])
    authors = StringField("Authors", validators=[Length(max=1000)])
    isbn = StringField("ISBN-13", validators=[Length(max=100)])
    publisher = StringField("Publisher", validators=[Length(max=1000)])
    edition = StringField("Edition (optional)", validators=[Length(max=1000)])
    delivery = SelectField(
        "Delivery", choices=[SelectChoice(d.value, d.value) for d in Delivery], validate_choice=False
    )
    student_price = StringField("Student price (US dollars)", validators=[Length(max=100)])
    copyright_year = StringField("Copyright year (optional)", validators=[Length(max=100)])
    list_price = StringField("List price (US dollars, optional)", validators=[Length(max=100)])
    zero_cost = BooleanField("Zero cost (OER): free to students, never billed")
    courseware_for_graded_work = BooleanField(
        "Courseware needed for graded work (students lose their homework platform if they opt out)"
    )
    data_terms_url = StringField("Publisher's student-data terms (link, optional)", validators=[Length(max=1000)])


class CatalogImportForm(Form):
    file = FileField("CSV file", validators=[FileRequired(message="Choose a CSV file to import.")])


class InstitutionForm(Form):
    name = StringField(
        "Institution name", validators=[DataRequired(message="Enter the institution's name."), Length(max=200)]
    )
    timezone = StringField("Timezone", validators=[DataRequired(message="Enter a timezone."), Length(max=64)])
    contact_email = EmailField(
        "Program Administrators' contact email",
        validators=[
            DataRequired(message="Enter the contact email."),
            Length(max=254),
            Regexp(EMAIL, message="Enter an email address like orders@university.edu."),
        ],
    )
    reminders_enabled = BooleanField("Send reminder emails")


class BrandingForm(Form):
    """The institution's accent colour and logo; checked by orders.domain.branding (parse_accent, read_logo)."""

    accent_colour = StringField("Accent colour (optional)", validators=[Length(max=20)])
    logo = FileField("Logo (optional)")
    remove_logo = BooleanField("Remove the logo")


class ConnectionForm(Form):
    """An LMS connection (docs/spec.md §9); the URLs and ids are checked by orders.domain.lti.connections."""

    issuer = StringField("Issuer", validators=[DataRequired(message="Enter the platform's issuer."), Length(max=300)])
    client_id = StringField(
        "Client id", validators=[DataRequired(message="Enter the client id the LMS gave the tool."), Length(max=200)]
    )
    deployment_ids = TextAreaField(
        "Deployment ids (one per line)", validators=[DataRequired(message="Enter a deployment id.")]
    )
    auth_url = StringField(
        "OIDC authorization URL", validators=[DataRequired(message="Enter the authorization URL."), Length(max=500)]
    )
    token_url = StringField(
        "Access token URL", validators=[DataRequired(message="Enter the access token URL."), Length(max=500)]
    )
    jwks_url = StringField("Key set URL", validators=[DataRequired(message="Enter the key set URL."), Length(max=500)])
    match = SelectField(
        "Match people by",
        choices=[
            SelectChoice(PersonMatch.EMAIL.value, "Email (the launch's email is the account's email)"),
            SelectChoice(
                PersonMatch.SIS_ID.value, "SIS id (the launch's LIS person sourcedid is the account's SIS id)"
            ),
        ],
        default=PersonMatch.EMAIL.value,
    )
    lms_url = StringField("LMS address (optional)", validators=[Optional(), Length(max=300)])
