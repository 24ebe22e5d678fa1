"""Approvals: what awaits the signed-in approver (orders, and changes to placed orders), oldest first, with filters
in the URL; each row opens the order summary, where Approve and Return to placer are."""
from __future__ import annotations

from flask import request, url_for

from orders import clock
from orders.domain.lookups import all_terms
from orders.web.guards import actor, approver_only
from orders.web.htmx import is_htmx, render_page_or_fragment
from orders.web.screens.approvals import bp
from orders.web.screens.approvals.queries import ROYALTY_CHOICES, ApprovalsFilter, organizations, waiting_page


@bp.route("/approvals")
@approver_only
def index():
    """The orders and changes awaiting the user's decision, filtered by term, organization and royalty."""
    filters = ApprovalsFilter.from_args(request.args)
    page = waiting_page(actor(), filters, clock.now())
    fragment = is_htmx()
    body = render_page_or_fragment(
        "approvals/index.html",
        "approvals/_results.html",
        filters=filters,
        page=page,
        terms=[] if fragment else all_terms(),
        organizations=[] if fragment else organizations(),
        royalty_choices=ROYALTY_CHOICES,
    )
    if fragment:
        return body, {"HX-Push-Url": url_for("approvals.index", **filters.query_args())}
    return body
