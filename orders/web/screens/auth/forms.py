"""The local sign-in form."""
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length

from orders.web.forms import Form


class SignInForm(Form):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Sign in")
