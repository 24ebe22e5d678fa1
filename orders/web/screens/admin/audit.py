"""The audit log: every back-office change and import, newest first."""
from __future__ import annotations

from flask import render_template, request

from orders.web.guards import admin_only
from orders.web.screens.admin import audit_words, bp, queries
from orders.web.screens.admin.base import timezone_name


@bp.route("/audit")
@admin_only
def audit():
    """Every back-office change and import, newest first; read-only."""
    filters = queries.AuditFilter.from_args(request.args)
    kinds, actors = queries.audit_choices()
    return render_template(
        "admin/audit.html",
        filters=filters,
        page=queries.audit_page(filters),
        kinds=kinds,
        actors=actors,
        tz=timezone_name(),
        kind_label=audit_words.kind_label,
        changes=audit_words.changes,
    )
