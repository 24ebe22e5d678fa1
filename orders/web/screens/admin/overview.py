"""The back office's table of contents at /admin."""
from __future__ import annotations

from flask import render_template

from orders.web.guards import admin_only
from orders.web.screens.admin import bp


@bp.route("/")
@admin_only
def index():
    """The back office's table of contents."""
    return render_template("admin/index.html")
