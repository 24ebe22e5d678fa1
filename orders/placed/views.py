"""Placed orders: the summary and the cancel flow."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from orders import clock
from orders.extensions import db
from orders.forms import VersionedConfirmForm
from orders.htmx import is_htmx, render_page_or_fragment
from orders.institution import institution, local_time
from orders.models import Order, OrderStatus
from orders.permissions import cancel_decision, edit_decision, order_guard, require_cancel, require_view
from orders.placed.canceling import already_canceled_notice, cancel_order
from orders.queries import order_events
from orders.refusals import StaleOrder

bp = Blueprint("orders", __name__, url_prefix="/orders")


def summary_context(order: Order, **extra) -> dict:
    """What the summary page and its htmx fragment render from."""
    now = clock.now()
    return dict(
        order=order,
        events=order_events(order),
        decision=cancel_decision(current_user, order, now),
        edit=edit_decision(current_user, order, now),
        institution=institution(),
        local_time=local_time,
        back_query=request.args.get("back", ""),
        **extra,
    )


def _back() -> str | None:
    return request.args.get("back") or None


@bp.route("/<int:number>")
@order_guard(require_view)
def summary(order: Order):
    """The order summary: sections, materials, who placed it, history, and Cancel/Edit when allowed."""
    return render_page_or_fragment("orders/summary.html", "orders/_summary.html", **summary_context(order))


@bp.route("/<int:number>/cancel")
@order_guard(require_cancel)
def confirm_cancel(order: Order):
    """Ask for confirmation: an inline prompt for htmx, its own page without JavaScript."""
    if order.status is OrderStatus.CANCELED:
        flash(already_canceled_notice(order), "notice")
        return redirect(url_for("orders.summary", number=order.number, back=_back()), code=303)
    return render_page_or_fragment(
        "orders/confirm_cancel.html",
        "orders/_confirm_cancel.html",
        order=order,
        form=VersionedConfirmForm(version=order.version),
        back_query=request.args.get("back", ""),
    )


@bp.route("/<int:number>/cancel", methods=["POST"])
@order_guard(require_cancel)
def cancel(order: Order):
    """Cancel the order once; repeats and races get the canceled order with a calm notice."""
    form = VersionedConfirmForm()
    if not form.validate_on_submit():
        flash("Your confirmation could not be checked. Please try again.", "error")
        return _after_cancel(order, status=400)
    try:
        outcome = cancel_order(
            order, actor=current_user, now=clock.now(), request_id=g.request_id, expected_version=form.version.data
        )
    except StaleOrder:
        db.session.rollback()
        flash("This order changed while you were looking at it. Review it and cancel again if you still want to.", "notice")
        return _after_cancel(order, status=409)
    notice = f"Order #{order.number} was canceled." if outcome.changed else already_canceled_notice(order)
    db.session.commit()
    flash(notice, "status" if outcome.changed else "notice")
    return _after_cancel(order)


def _after_cancel(order: Order, status: int = 200):
    """htmx: the summary swapped in with its banner; plain POST: 303 to the summary."""
    if is_htmx():
        return render_template("orders/_summary.html", **summary_context(order)), status
    return redirect(url_for("orders.summary", number=order.number, back=_back()), code=303)
