"""Request a title the catalog lacks while ordering: it joins the draft as a content request."""
from __future__ import annotations

from flask import flash, redirect, url_for

from orders import clock
from orders.domain.models import Order
from orders.domain.ordering import content_requests as services
from orders.domain.rules import draft_owner_decision
from orders.web.changes import run_change
from orders.web.guards import actor, draft_guard
from orders.web.screens.ordering import bp
from orders.web.title_request import request_a_title


@bp.route("/drafts/<int:draft_id>/request-title", methods=["GET", "POST"])
@draft_guard(draft_owner_decision)
def request_title(draft: Order):
    """Request a title the catalog lacks; it joins the draft as "Content request — Submitted"."""
    return request_a_title(
        lambda wanted: services.add_to_draft(draft, wanted, actor=actor(), now=clock.now()),
        added="Requested “{title}”. It is on this order as a content request (Submitted).",
        action=url_for("ordering.request_title", draft_id=draft.id),
        back=url_for("ordering.materials", draft_id=draft.id),
        add_url=url_for("ordering.add_item", draft_id=draft.id),
        heading=f"Request a title for {draft.course.code}, {draft.term.name}",
    )


@bp.route("/drafts/<int:draft_id>/requests/<int:request_id>/remove", methods=["POST"])
@draft_guard(draft_owner_decision)
def remove_request(draft: Order, request_id: int):
    """Take a content request off the draft."""
    removed = run_change(lambda: services.remove_from_draft(draft, request_id, clock.now())).result()
    flash(f"Removed the request for “{removed.title}”." if removed else "That request was not on this order.", "status")
    return redirect(url_for("ordering.materials", draft_id=draft.id), code=303)
