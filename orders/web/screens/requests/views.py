"""Content requests: request a title on a draft or an edit, the list, one request's page, staff updates."""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, lazyload

from orders import clock
from orders.domain.formats.isbn import search_digits, to_isbn13
from orders.domain.formats.like import ESCAPE, anywhere
from orders.domain.institution import local_time
from orders.domain.lookups import all_terms
from orders.domain.models import (
    CatalogItem,
    ContentRequest,
    ContentRequestComment,
    ContentRequestStatus,
    Course,
    Delivery,
    EventKind,
    Order,
    OrderEvent,
    OrderStatus,
    Term,
)
from orders.domain.ordering import content_requests as services
from orders.domain.reach_table import viewable_orders
from orders.domain.refusals import PermissionDenied, Refused, StaleOrder
from orders.domain.rules import view_request_decision
from orders.extensions import db
from orders.web.changes import run_change
from orders.web.filters import QueryFilter, arg, choice, page, text
from orders.web.forms import CommentForm, RequestStatusForm
from orders.web.guards import actor, request_guard, staff_only
from orders.web.paging import Page, offset_of, page_count
from orders.web.screens.requests import bp

PAGE_SIZE = 50


# --- The list and one request ----------------------------------------------------------------------


@dataclass(frozen=True)
class RequestFilter(QueryFilter):
    """The list's filters; they round-trip through the query string."""

    status: str = arg(choice({s.value for s in ContentRequestStatus}), "")
    term: str = arg(text(16), "")
    q: str = arg(text(100), "")
    sort: str = arg(choice({"changed", "age"}), "changed")
    page: int = arg(page(), 1)


def _requests_query(filters: RequestFilter):
    """Requests on orders the user may view (drafts: only their own), filtered; one SQL statement."""
    query = (
        select(ContentRequest)
        .join(Order, Order.id == ContentRequest.order_id)
        .join(Course, Course.id == Order.course_id)
        .join(Term, Term.id == Order.term_id)
        .where(
            viewable_orders(actor()),
            or_(
                Order.status.in_(
                    [OrderStatus.PLACED, OrderStatus.CANCELED, OrderStatus.AWAITING_APPROVAL, OrderStatus.RETURNED]
                ),
                Order.owner_id == actor().id,
            ),
            Order.status != OrderStatus.DISCARDED,
        )
    )
    if filters.status:
        query = query.where(ContentRequest.status == ContentRequestStatus(filters.status))
    if filters.term:
        query = query.where(Term.code == filters.term)
    if filters.q:
        needle = anywhere(filters.q)
        query = query.where(
            or_(
                func.lower(ContentRequest.title).like(needle, escape=ESCAPE),
                ContentRequest.isbn13.like(needle, escape=ESCAPE),
                ContentRequest.isbn13 == (search_digits(filters.q) or ""),  # an ISBN-10 as its ISBN-13
                func.lower(Course.subject + " " + Course.number).like(needle, escape=ESCAPE),
                func.lower(Course.title).like(needle, escape=ESCAPE),
            )
        )
    return query


@bp.route("/requests")
@staff_only
def index():
    """Content requests on orders the user may view, with Status, Term and text filters."""
    filters = RequestFilter.from_args(request.args)
    base = _requests_query(filters)
    total = db.session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    page = min(filters.page, page_count(total, PAGE_SIZE))
    order_by = (
        (ContentRequest.updated_at.desc(), ContentRequest.id.desc())
        if filters.sort == "changed"
        else (ContentRequest.created_at, ContentRequest.id)
    )
    rows = list(
        db.session.scalars(
            base.options(
                contains_eager(ContentRequest.order).contains_eager(Order.course),
                contains_eager(ContentRequest.order).contains_eager(Order.term),
                # The list shows the order's number, course and term only: not its sections and lines,
                # which the Order mapper would otherwise fetch with three more queries per page.
                contains_eager(ContentRequest.order).options(
                    lazyload(Order.order_sections), lazyload(Order.lines), lazyload(Order.content_requests)
                ),
            )
            .order_by(*order_by)
            .limit(PAGE_SIZE)
            .offset(offset_of(page, PAGE_SIZE))
        )
    )
    terms = all_terms()
    return render_template(
        "requests/index.html",
        page=Page(rows, page, total, PAGE_SIZE),
        filters=filters,
        terms=terms,
        statuses=list(ContentRequestStatus),
    )


def _status_history(content_request: ContentRequest) -> list[dict]:
    """Who moved the request to which status, and when: its submission, then each status change."""
    events = db.session.scalars(
        select(OrderEvent)
        .where(OrderEvent.order_id == content_request.order_id, OrderEvent.kind == EventKind.CONTENT_REQUEST_STATUS)
        .order_by(OrderEvent.id)
    )
    history = [
        {
            "status": ContentRequestStatus.SUBMITTED,
            "who": content_request.requested_by.name,
            "at": content_request.created_at,
        }
    ]
    for event in events:
        details = event.details or {}
        if details.get("request_id") == content_request.id and details.get("to_status"):
            history.append(
                {
                    "status": ContentRequestStatus(details["to_status"]),
                    "who": event.actor.name if event.actor else "—",
                    "at": event.occurred_at,
                    "item": (details.get("fulfilled_by") or {}).get("title"),
                }
            )
    return history


def _detail_context(content_request: ContentRequest, **forms) -> dict:
    comments = list(
        db.session.scalars(
            select(ContentRequestComment)
            .where(ContentRequestComment.request_id == content_request.id)
            .order_by(ContentRequestComment.id)
        )
    )
    status_form = forms.get("status_form") or RequestStatusForm(version=content_request.version)
    return dict(
        content_request=content_request,
        order=content_request.order,
        comments=comments,
        status_history=_status_history(content_request),
        local_time=local_time,
        comment_form=forms.get("comment_form") or CommentForm(),
        status_form=status_form,
        may_change_status=services.status_change_decision(actor(), content_request).allowed,
        may_comment=services.comment_decision(actor(), content_request).allowed,
        next_statuses=services.allowed_next(content_request),
    )


@bp.route("/requests/<int:request_id>")
@request_guard(view_request_decision)
def detail(content_request: ContentRequest):
    """One request: its details, its order, the comment thread, and the staff controls."""
    return render_template("requests/detail.html", **_detail_context(content_request))


@bp.route("/requests/<int:request_id>/comments", methods=["POST"])
@request_guard(view_request_decision)
def comment(content_request: ContentRequest):
    """Add a comment; the requester and the placer are emailed."""
    form = CommentForm()
    if not form.validate_on_submit():
        return render_template("requests/detail.html", **_detail_context(content_request, comment_form=form)), 422
    text = form.text.data
    assert text is not None  # DataRequired: a validated form has its text
    outcome = run_change(
        lambda: services.add_comment(content_request, text, actor=actor(), now=clock.now(), request_id=g.request_id)
    )
    flash("Your comment was added." if outcome.ok else outcome.message, "status" if outcome.ok else "error")
    return redirect(url_for("requests.detail", request_id=content_request.id), code=303)


def _fulfilling_item(form: RequestStatusForm, content_request: ContentRequest) -> CatalogItem | None:
    """The catalog item an approval names: an existing one by ISBN, or one created from the request."""
    if form.fulfil_with.data == "new":
        if not form.publisher.data or form.price.data is None or not form.delivery.data:
            raise Refused("To create the catalog item, give its publisher, delivery and student price.")
        return services.create_item_for(
            content_request,
            publisher=form.publisher.data.strip(),
            edition=(form.item_edition.data or content_request.edition or "").strip(),
            delivery=Delivery(form.delivery.data),
            price=form.price.data,
            actor=actor(),
            now=clock.now(),
        )
    code = to_isbn13(form.item_isbn.data or content_request.isbn13)
    item = db.session.scalars(select(CatalogItem).where(CatalogItem.isbn13 == code)).first() if code else None
    if item is None:
        raise Refused("No catalog item has that ISBN. Enter the ISBN of an item in the catalog, or create a new item.")
    if not item.active:  # an approved request is ordered as its item: an inactive one can no longer be
        raise Refused(f"{item.title} is no longer available to order. Choose a current item, or reactivate it first.")
    return item


@bp.route("/requests/<int:request_id>/status", methods=["POST"])
@request_guard(view_request_decision)
def change_status(content_request: ContentRequest):
    """A Program Administrator moves the request (Researching, Approved, Denied), optionally with a comment."""
    if not actor().is_program_admin:  # who, not the request's state: a 403, in the rule's words
        raise PermissionDenied(services.status_change_decision(actor(), content_request).reason)
    form = RequestStatusForm()
    if not form.validate_on_submit():
        decision = services.status_change_decision(actor(), content_request)
        if not decision:
            # The page has no status form to show the errors in: say why nothing can change.
            flash(decision.reason, "error")
            return redirect(url_for("requests.detail", request_id=content_request.id), code=303)
        return render_template("requests/detail.html", **_detail_context(content_request, status_form=form)), 422
    to = ContentRequestStatus(form.status.data)

    def move() -> None:
        item = _fulfilling_item(form, content_request) if to is ContentRequestStatus.APPROVED else None
        services.change_status(
            content_request,
            to,
            actor=actor(),
            now=clock.now(),
            request_id=g.request_id,
            expected_version=form.seen_version(),
            comment=form.comment.data or "",
            fulfilled_by=item,
        )

    outcome = run_change(move)
    if isinstance(outcome.refusal, StaleOrder):
        flash(outcome.message, "notice")
    elif not outcome.ok:
        flash(outcome.message, "error")
    else:
        flash(f"The request is now {to.label}.", "status")
    return redirect(url_for("requests.detail", request_id=content_request.id), code=303)
