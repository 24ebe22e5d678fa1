"""Route guards: every view declares one; tests/web/test_route_guards.py walks app.url_map to prove it.

A guard loads what the URL names, asks the domain's Decision about it and refuses with its reason
(PermissionDenied, answered by the one handler in orders.web.errors): the same predicate the templates ask.
"""
from __future__ import annotations

from datetime import datetime
from functools import wraps
from typing import Any, Callable, TypeVar

from flask import g, url_for
from flask_login import current_user

from orders import clock
from orders.domain.models import ContentRequest, Order, User
from orders.domain.refusals import DraftClosed, PermissionDenied
from orders.domain.review.rules import approvals_decision
from orders.domain.rules import (
    Decision,
    admin_decision,
    is_staff,
    launch_owner_decision,
    progress_decision,
    staff_decision,
    student_decision,
)
from orders.extensions import login_manager
from orders.web.htmx import redirect_to
from orders.web.loaders import get_draft_or_404, get_launch_or_404, get_order_or_404, get_request_or_404

GUARD_ATTRIBUTE = "route_guard"
ACTOR = "actor"  # g.actor: the unwrapped signed-in user


def actor() -> User:
    """The signed-in user as the plain User row, unwrapped from Flask-Login's proxy once per request by the
    guard: what views hand the domain (which may keep it in ORM state, e.g. an order's canceled_by)."""
    found = g.get(ACTOR)
    if found is None:
        found = g.setdefault(ACTOR, current_user._get_current_object())
    return found


def _let_in() -> User | None:
    """The signed-in user, unwrapped and kept for the request; None for a visitor who must sign in."""
    if not current_user.is_authenticated:
        return None
    return actor()


def require(decision: Decision) -> None:
    """Refuse with the decision's reason (403) when it says no."""
    if not decision:
        raise PermissionDenied(decision.reason)


def public(view: Callable) -> Callable:
    """Declare a route open to everyone (sign-in page, health check)."""
    setattr(view, GUARD_ATTRIBUTE, "public")
    return view


def _user_guard(name: str, decide: Callable[[User], Decision] | None) -> Callable[[Callable], Callable]:
    """Require a signed-in user (others go to the sign-in page; htmx: 401 + HX-Redirect) whom `decide` allows."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            user = _let_in()
            if user is None:
                return login_manager.unauthorized()
            if decide is not None:
                require(decide(user))
            return view(*args, **kwargs)

        setattr(guarded, GUARD_ATTRIBUTE, name)
        return guarded

    decorate.__doc__ = f"Require a signed-in user{f' whom {decide.__name__} allows' if decide else ''}."
    return decorate


signed_in = _user_guard("signed_in", None)
staff_only = _user_guard("staff_only", staff_decision)
student_only = _user_guard("student_only", student_decision)
admin_only = _user_guard("admin_only", admin_decision)
progress_only = _user_guard("progress_only", progress_decision)
approver_only = _user_guard("approver_only", approvals_decision)


def staff_home(view: Callable) -> Callable:
    """The home page ("/", where sign-in lands): staff see it; a pure student is sent to their Course
    materials, the one screen they have (a single sign-on arrival at "/" lands there too)."""

    @wraps(view)
    def guarded(*args, **kwargs):
        user = _let_in()
        if user is None:
            return login_manager.unauthorized()
        if not is_staff(user):
            return redirect_to(url_for("students.materials"))
        return view(*args, **kwargs)

    setattr(guarded, GUARD_ATTRIBUTE, "staff_home")
    return guarded


Loaded = TypeVar("Loaded")


def _loading_guard(
    kind: str,
    parameter: str,
    load: Callable[[Any], Loaded],  # the URL's value: an int id, or a launch's string id
    check: Callable[[User, Loaded, datetime], Decision],
    then: Callable[[Loaded], None] | None = None,
) -> Callable[[Callable], Callable]:
    """Require a signed-in staff user, load the object the URL names (404 if unknown) and require `check` on it.

    The view receives the loaded object instead of the id.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            user = _let_in()
            if user is None:
                return login_manager.unauthorized()
            require(staff_decision(user))  # orders, drafts and requests are staff screens
            loaded = load(kwargs.pop(parameter))
            require(check(user, loaded, clock.now()))
            if then is not None:
                then(loaded)
            return view(loaded, *args, **kwargs)

        setattr(guarded, GUARD_ATTRIBUTE, f"{kind}:{check.__name__}")
        return guarded

    return decorate


def order_guard(check: Callable[[User, Order, datetime], Decision]) -> Callable[[Callable], Callable]:
    """Guard a route on the order named by `number`; the view receives the order."""
    return _loading_guard("order", "number", get_order_or_404, check)


def request_guard(check: Callable[[User, ContentRequest, datetime], Decision]) -> Callable[[Callable], Callable]:
    """Guard a route on the content request named by `request_id`; the view receives it."""
    return _loading_guard("content_request", "request_id", get_request_or_404, check)


def _still_a_draft(draft: Order) -> None:
    if not draft.status.workable:  # a draft, or an order returned to its placer (docs/spec.md §8)
        raise DraftClosed(draft)  # placed, submitted or discarded meanwhile (a double submit): answered calmly


def draft_guard(check: Callable[[User, Order, datetime], Decision]) -> Callable[[Callable], Callable]:
    """Guard a route on the draft named by `draft_id`; the view receives it while it is still a draft.

    One placed or discarded since is answered calmly (a double submit is not an error).
    """
    return _loading_guard("draft", "draft_id", get_draft_or_404, check, then=_still_a_draft)


def launch_guard(view: Callable) -> Callable:
    """Guard a launched LMS course's page on the launch named by `launch_id`: signed-in staff, their own launch.

    The view receives the launch.
    """
    return _loading_guard("lti_launch", "launch_id", get_launch_or_404, launch_owner_decision)(view)
