"""Sign in and sign out."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import undefer
from werkzeug.security import check_password_hash
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length

from orders.extensions import db
from orders.forms import EmptyForm
from orders.models import User
from orders.permissions import public, signed_in

bp = Blueprint("auth", __name__)

# A real hash of a random password: checking it costs the same as checking a real user's,
# so response times do not reveal which emails have accounts.
_DUMMY_HASH = "scrypt:32768:8:1$Lq0zX5vQmS3yJk8e$" + "0" * 128


class SignInForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Sign in")


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in; anything else goes home."""
    if not target:
        return url_for("courses.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("courses.index")
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    """Show the sign-in form; on a correct pair, sign in and go where the user was headed."""
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        user = db.session.scalars(
            select(User).where(func.lower(User.email) == form.email.data.strip().lower()).options(undefer(User.password_hash))
        ).first()
        password_ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, form.password.data)
        if user is not None and password_ok and user.active:
            login_user(user)
            return redirect(safe_next(request.args.get("next")), code=303)
        error = "That email and password do not match an active account."
    elif request.method == "POST":
        error = "Enter your email and password."
    status = 401 if error else 200
    return render_template("auth/sign_in.html", form=form, error=error), status


@bp.route("/sign-out", methods=["POST"])
@signed_in
def sign_out():
    """End the session (a POST with CSRF, since it changes state)."""
    form = EmptyForm()
    if form.validate_on_submit():
        logout_user()
        flash("You are signed out.", "status")
    return redirect(url_for("auth.sign_in"), code=303)
