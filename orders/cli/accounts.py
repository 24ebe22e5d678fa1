"""`flask --app app create-admin --email ... --name ...`: the first Program Administrator of a new deployment."""
from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from flask import Flask
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from orders import clock
from orders.domain.accounts.users import admin_account_problem, set_up_program_admin
from orders.domain.institution import InstitutionFields, update_institution
from orders.domain.models import Institution
from orders.extensions import db


def _timezone_problem(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"“{name[:64]}” is not an IANA timezone name; use one like America/Chicago."
    return None


def register(app: Flask) -> None:
    """Attach create-admin to the app."""

    @app.cli.command("create-admin")
    @click.option("--email", required=True, help="The person's email: their sign-in name.")
    @click.option("--name", required=True, help="Their name, as the app shows it.")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, envvar="ORDERS_ADMIN_PASSWORD",
                  help="Asked for when not given (never put it on the command line); or ORDERS_ADMIN_PASSWORD.")
    @click.option("--institution", "institution_name", default="", help="First run only: the institution's name.")
    @click.option("--timezone", default="", help="First run only: its IANA timezone, e.g. America/Chicago.")
    @click.option("--contact-email", default="", help="First run only: the address people write to (default: --email).")
    def create_admin(
        email: str, name: str, password: str, institution_name: str, timezone: str, contact_email: str
    ) -> None:
        """Make a Program Administrator who signs in with a password: a new account, or the account with this
        email (e.g. one the SIS import made) given the flag and the password. The first run also sets up the
        institution (--institution, --timezone). Audited; change the rest in Administration."""
        problem = admin_account_problem(email.strip().lower(), name, password)
        existing = db.session.scalars(select(Institution).limit(1)).first()
        if problem is None and existing is None:
            if not institution_name.strip() or not timezone.strip():
                problem = (
                    "No institution is set up yet: give --institution NAME and --timezone ZONE (e.g. America/Chicago)."
                )
            else:
                problem = _timezone_problem(timezone.strip())
        if problem:
            raise click.ClickException(f"{problem} Nothing was changed.")
        now = clock.utcnow()
        if existing is None:
            fields = InstitutionFields(
                name=" ".join(institution_name.split()),
                timezone=timezone.strip(),
                contact_email=(contact_email or email).strip().lower(),
                reminders_enabled=False,
            )
            update_institution(None, fields, actor=None, now=now)
        done = set_up_program_admin(email, name, generate_password_hash(password), now=now)
        db.session.commit()
        verb = "Created" if done.created else "Made"
        click.echo(
            f"{verb} {done.user.name} <{done.user.email}> a Program Administrator; they sign in with this password."
        )
