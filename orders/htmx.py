"""htmx helpers: one endpoint answers a full page or a fragment."""
from __future__ import annotations

from flask import Response, render_template, request


def is_htmx() -> bool:
    """True for requests htmx made (and not for its history-restore requests, which want a full page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def render_page_or_fragment(page_template: str, fragment_template: str, **context) -> str:
    """The fragment template for htmx, else the full page (which includes the same fragment)."""
    return render_template(fragment_template if is_htmx() else page_template, **context)


def add_vary(response: Response) -> Response:
    """Caches must keep full pages and fragments apart."""
    response.vary.add("HX-Request")
    return response
