"""The "Request a title" page, shared by the ordering steps and the edit of a placed order."""
from __future__ import annotations

from typing import Callable

from flask import flash, redirect, render_template, request

from orders.domain.formats.isbn import to_isbn13
from orders.domain.ordering import content_requests as services
from orders.domain.ordering.content_requests import TitleRequest
from orders.web.changes import run_change
from orders.web.forms import EmptyForm, RequestTitleForm


def _title_request_from(form: RequestTitleForm) -> TitleRequest:
    """The validated form as a request (empty optional fields stored as none)."""
    title, isbn13 = form.title.data, form.isbn.data
    assert title is not None and isbn13 is not None  # both DataRequired: a validated form has them
    return TitleRequest(
        title=title.strip(), isbn13=isbn13, author=(form.author.data or "").strip() or None,
        edition=(form.edition.data or "").strip() or None, note=(form.note.data or "").strip() or None,
        requirement=form.requirement.data,
    )


def _prefill_from_search(form: RequestTitleForm) -> None:
    """A search with no match arrives with its words: an ISBN goes in the ISBN field, anything else in Title."""
    words = request.args.get("q", "").strip()[:300]
    if words and not form.is_submitted():
        if to_isbn13(words):
            form.isbn.data = words
        else:
            form.title.data = words


def _title_request_page(
    form: RequestTitleForm, *, action: str, back: str, add_url: str, heading: str, status: int = 200
):
    """The "Request a title" page; a catalog item with the ISBN is offered instead of a request."""
    in_catalog = services.active_item_with_isbn(form.isbn.data) if form.isbn.data and not form.isbn.errors else None
    page = render_template(
        "shared/request_title.html",
        form=form,
        action=action,
        back=back,
        add_url=add_url,
        heading=heading,
        in_catalog=in_catalog,
        add_form=EmptyForm(),
    )
    return page, status


def request_a_title(add: Callable[[TitleRequest], object], *, added: str, **page: str):
    """The "Request a title" page and its POST, for a draft or an edit: `add` puts the request on the order.

    `page` names the form's action, the page to go back to, the catalog Add URL (offered when the ISBN is
    already an active item) and the heading; `added` is the banner, with {title} for the request's title.
    """
    form = RequestTitleForm()
    _prefill_from_search(form)
    if not form.validate_on_submit():
        return _title_request_page(form, status=422 if form.is_submitted() else 200, **page)
    wanted = _title_request_from(form)
    if services.active_item_with_isbn(wanted.isbn13) is not None:
        return _title_request_page(form, status=409, **page)
    # another tab of the same user may change the same pending edit at once
    outcome = run_change(
        lambda: add(wanted), conflict="Your other tab changed this order at the same moment. Check it and try again."
    )
    if outcome.ok:
        flash(added.format(title=wanted.title), "status")
    else:
        flash(outcome.message, "error")
    return redirect(page["back"], code=303)
