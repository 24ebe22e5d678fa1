"""htmx helpers: one endpoint answers a full page or a fragment; every HX-* header is set here."""
from __future__ import annotations

from flask import Response, redirect, render_template, request


def is_htmx() -> bool:
    """True for requests htmx made (and not for its history-restore requests, which want a full page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def render_page_or_fragment(page_template: str, fragment_template: str, **context) -> str:
    """The fragment template for htmx, else the full page (which includes the same fragment)."""
    return render_template(fragment_template if is_htmx() else page_template, **context)


def redirect_to(url: str):
    """303 for a plain form; for htmx, tell the browser to load the page (banners are flashed)."""
    if is_htmx():
        return "", 204, {"HX-Redirect": url}
    return redirect(url, code=303)


def unauthorized_redirect(url: str):
    """Signed out: htmx gets a 401 telling the browser where to sign in; a plain request is redirected."""
    if is_htmx():
        return "", 401, {"HX-Redirect": url}
    return redirect(url)


def with_pushed_url(body: str, url: str) -> tuple[str, dict]:
    """A swapped-in fragment plus the URL history should show (the one a direct visit would use)."""
    return body, {"HX-Push-Url": url}


def add_vary(response: Response) -> Response:
    """Caches must keep full pages and fragments apart."""
    response.vary.add("HX-Request")
    return response


def retarget(body: str, selector: str, swap: str = "innerHTML") -> tuple[str, dict]:
    """A fragment that belongs somewhere else than the form's hx-target (a prompt re-shown with its error)."""
    return body, {"HX-Retarget": selector, "HX-Reswap": swap}
