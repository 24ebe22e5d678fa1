"""The last SIS import's report."""
from __future__ import annotations

from flask import render_template

from orders.web.guards import admin_only
from orders.web.screens.admin import bp, queries
from orders.web.screens.admin.base import timezone_name


@bp.route("/imports")
@admin_only
def imports():
    """The last SIS import's report."""
    return render_template("admin/imports.html", entry=queries.last_sis_import(), tz=timezone_name())
