"""The ordering workflow (placeholder until the ordering issue lands)."""
from __future__ import annotations

from flask import Blueprint, render_template

from orders.permissions import signed_in

bp = Blueprint("ordering", __name__, url_prefix="/ordering")


@bp.route("/start")
@signed_in
def start():
    """Say that placing orders arrives soon."""
    return render_template("ordering/coming_soon.html")
