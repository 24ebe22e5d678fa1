"""Approve and Return to placer on the order summary (docs/spec.md §8): an order awaiting approval, or a change to a
placed order awaiting approval. Each behind a server-rendered confirmation: an inline prompt with htmx, a page of
its own without JavaScript; then one POST, whose repeats and races are answered calmly."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from orders import clock
from orders.domain.models import Order, OrderStatus
from orders.domain.review import deciding
from orders.domain.review.changes import awaiting_change
from orders.domain.review.rules import decide_route_decision
from orders.web.changes import run_change
from orders.web.forms import VersionedConfirmForm, VersionField
from orders.web.guards import actor, order_guard
from orders.web.htmx import is_htmx, render_page_or_fragment, retarget
from orders.web.parsing import parse_id
from orders.web.screens.orders import bp
from orders.web.screens.orders.views import back_context, summary_context


class DecisionForm(VersionedConfirmForm):
    """Approve: CSRF, the order's version the approver saw, and the change decided (none: the order itself)."""

    change = VersionField()  # a pending edit's id, parsed like every id; absent for an order


class ReturnForm(DecisionForm):
    """Return to placer: the reason is required (text with nothing visible in it is empty)."""

    reason = TextAreaField(
        "Reason for the placer",
        validators=[
            DataRequired(deciding.REASON_REQUIRED),
            Length(max=deciding.MAX_REASON, message="Keep the reason under 2,000 characters."),
        ],
    )


def _back() -> str | None:
    return request.args.get("back") or None


def _summary(order: Order, status: int = 200):
    """htmx: the summary swapped in with its banner; plain POST: 303 to the summary."""
    if is_htmx():
        return render_template("orders/_summary.html", **summary_context(order)), status
    return redirect(url_for("orders.summary", number=order.number, back=_back()), code=303)


def _change_in(source) -> int | None:
    """The change a request names (?change= or the form's field), or None for the order itself."""
    return parse_id(source.get("change"))


def _prompt(order: Order, kind: str, form: DecisionForm, *, status: int = 200, error: str = ""):
    """The confirmation: approve, or return with its reason (again with the field's message after a refusal)."""
    change = awaiting_change(order) if form.change.data is not None else None
    context = dict(order=order, kind=kind, form=form, change=change, error=error, **back_context())
    if is_htmx() and request.method == "POST":  # a refused reason: the prompt again, where it was (not the summary)
        body, headers = retarget(render_template("orders/_review_prompt.html", **context), "#cancel-prompt")
        return body, status, headers
    return render_page_or_fragment("orders/confirm_review.html", "orders/_review_prompt.html", **context), status


def _nothing_waits(order: Order, change_id: int | None):
    """A prompt for something decided or withdrawn meanwhile: the summary, with who decided and when."""
    flash(deciding.decided_notice(order, change_id), "notice")
    return redirect(url_for("orders.summary", number=order.number, back=_back()), code=303)


def _still_waits(order: Order, change_id: int | None) -> bool:
    if change_id is None:
        return order.status is OrderStatus.AWAITING_APPROVAL
    change = awaiting_change(order)
    return change is not None and change.pending.id == change_id


@bp.route("/orders/<int:number>/approve")
@order_guard(decide_route_decision)
def confirm_approve(order: Order):
    """Ask before approving: an inline prompt for htmx, its own page without JavaScript."""
    change_id = _change_in(request.args)
    if not _still_waits(order, change_id):
        return _nothing_waits(order, change_id)
    return _prompt(order, "approve", DecisionForm(version=order.version, change=change_id))


@bp.route("/orders/<int:number>/return")
@order_guard(decide_route_decision)
def confirm_return(order: Order):
    """Ask for the reason before returning: an inline prompt for htmx, its own page without JavaScript."""
    change_id = _change_in(request.args)
    if not _still_waits(order, change_id):
        return _nothing_waits(order, change_id)
    return _prompt(order, "return", ReturnForm(version=order.version, change=change_id))


def _answer(order: Order, outcome) -> object:
    if not outcome.ok:  # a stale version: nothing was decided
        flash(outcome.message, "notice")
        return _summary(order, status=outcome.refusal.status)
    done = outcome.value
    flash(done.message, "status" if done.changed else "notice")
    return _summary(order)


@bp.route("/orders/<int:number>/approve", methods=["POST"])
@order_guard(decide_route_decision)
def approve(order: Order):
    """Approve once: the order is placed (or the change applied); repeats and races get who decided and when."""
    form = DecisionForm()
    if not form.validate_on_submit():
        flash("Your confirmation could not be checked. Please try again.", "error")
        return _summary(order, status=400)
    change_id, version = form.change.data, form.seen_version()
    if change_id is None:
        outcome = run_change(
            lambda: deciding.approve_order(
                order, actor=actor(), now=clock.now(), request_id=g.request_id, expected_version=version
            )
        )
    else:
        outcome = run_change(
            lambda: deciding.approve_change(
                order,
                change_id,
                actor=actor(),
                now=clock.now(),
                request_id=g.request_id,
                expected_version=version,
            )
        )
    return _answer(order, outcome)


@bp.route("/orders/<int:number>/return", methods=["POST"])
@order_guard(decide_route_decision)
def return_to_placer(order: Order):
    """Return once, with the reason: the order goes back to its placer (or the change is dropped)."""
    form = ReturnForm()
    if not form.validate_on_submit():
        if form.version.errors or form.change.errors or "csrf_token" in form.errors:
            flash("Your confirmation could not be checked. Please try again.", "error")
            return _summary(order, status=400)
        if not _still_waits(order, form.change.data):
            return _nothing_waits(order, form.change.data)
        return _prompt(order, "return", form, status=422, error=form.reason.errors[0])
    change_id, version = form.change.data, form.seen_version()

    def decide():
        if change_id is None:
            return deciding.return_order(
                order,
                form.reason.data,
                actor=actor(),
                now=clock.now(),
                request_id=g.request_id,
                expected_version=version,
            )
        return deciding.return_change(
            order, change_id, form.reason.data, actor=actor(), now=clock.now(), request_id=g.request_id
        )

    outcome = run_change(decide)
    if not outcome.ok and outcome.message == deciding.REASON_REQUIRED:
        return _prompt(order, "return", form, status=422, error=outcome.message)
    return _answer(order, outcome)
