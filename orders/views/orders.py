"""Order summary and the cancel flow."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from orders import clock
from orders.extensions import db
from orders.forms import ConfirmCancelForm
from orders.htmx import is_htmx, render_page_or_fragment
from orders.mail import institution, local_time
from orders.models import Order, OrderStatus
from orders.permissions import cancel_decision, order_guard, require_cancel, require_view
from orders.queries import order_events
from orders.services import StaleOrder, cancel_order

bp = Blueprint("orders", __name__, url_prefix="/orders")


def _summary_context(order: Order, **extra) -> dict:
    """What the summary page and its htmx fragment render from."""
    now = clock.utcnow()
    inst = institution()
    return dict(
        order=order,
        events=order_events(order),
        decision=cancel_decision(current_user, order, now),
        institution=inst,
        local_time=lambda moment: local_time(moment, inst),
        back_query=request.args.get("back", ""),
        **extra,
    )


def _already_canceled_notice(order: Order) -> str:
    """The calm notice for a repeated or late confirmation."""
    inst = institution()
    who = order.canceled_by.name if order.canceled_by else "another user"
    return f"This order was already canceled by {who} on {local_time(order.canceled_at, inst)}."


@bp.route("/<int:number>")
@order_guard(require_view)
def summary(order: Order):
    """The order summary: sections, materials, who placed it, history, and Cancel Order when allowed."""
    return render_page_or_fragment("orders/summary.html", "orders/_summary.html", **_summary_context(order))


@bp.route("/<int:number>/cancel")
@order_guard(require_cancel)
def confirm_cancel(order: Order):
    """Ask for confirmation: an inline prompt for htmx, its own page without JavaScript."""
    if order.status is OrderStatus.CANCELED:
        flash(_already_canceled_notice(order), "notice")
        return redirect(url_for("orders.summary", number=order.number, back=request.args.get("back") or None), code=303)
    form = ConfirmCancelForm(version=str(order.version))
    return render_page_or_fragment(
        "orders/confirm_cancel.html",
        "orders/_confirm_cancel.html",
        order=order,
        form=form,
        back_query=request.args.get("back", ""),
    )


@bp.route("/<int:number>/cancel", methods=["POST"])
@order_guard(require_cancel)
def cancel(order: Order):
    """Cancel the order once; repeats and races get the canceled order with a calm notice."""
    form = ConfirmCancelForm()
    back = request.args.get("back") or None
    if not form.validate_on_submit():
        flash("Your confirmation could not be checked. Please try again.", "error")
        return _after_cancel(order, back, status=400)
    version = int(form.version.data) if form.version.data.isdigit() else -1
    try:
        outcome = cancel_order(
            order, actor=current_user, now=clock.utcnow(), request_id=g.request_id, expected_version=version
        )
    except StaleOrder:
        db.session.rollback()
        flash("This order changed while you were looking at it. Review it and cancel again if you still want to.", "notice")
        return _after_cancel(order, back, status=409)
    notice = f"Order #{order.number} was canceled." if outcome.changed else _already_canceled_notice(order)
    db.session.commit()
    flash(notice, "status" if outcome.changed else "notice")
    return _after_cancel(order, back)


def _after_cancel(order: Order, back: str | None, status: int = 200):
    """htmx: the summary swapped in with its banner; plain POST: 303 to the summary."""
    if is_htmx():
        return render_template("orders/_summary.html", **_summary_context(order)), status
    return redirect(url_for("orders.summary", number=order.number, back=back), code=303)
