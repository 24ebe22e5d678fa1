"""What every back-office view shares: load or 404, the institution's timezone, the refusal banner."""
from __future__ import annotations

from flask import abort, flash, redirect
from sqlalchemy import select

from orders.domain.models import Institution
from orders.extensions import db


def load_or_404(model, ident: int, what: str):
    """The row the URL names, or a 404 that says what was missing (the int converter bounds the id)."""
    found = db.session.get(model, ident)
    if found is None:
        abort(404, f"There is no {what} with that number.")
    return found


def institution_row() -> Institution | None:
    return db.session.scalars(select(Institution).limit(1)).first()


def timezone_name() -> str:
    inst = institution_row()
    return inst.timezone if inst else "UTC"


def refuse(message: str, target: str):
    """A rule said no: nothing was saved; say why on the page the admin came from."""
    flash(message, "error")
    return redirect(target, code=303)
