"""/brand/accent-<version>.css and /brand/logo-<digest>: the same for everyone, no session, cached.

Their URLs carry a digest of what they serve (orders.web.branding builds them), so a current URL is cached for a
year; an old one (a page or an email from before a change) answers what is current, cached for five minutes.
"""
from __future__ import annotations

from flask import Response, abort, render_template, request

from orders.domain import branding
from orders.domain.institution import institution
from orders.extensions import db
from orders.web.guards import public
from orders.web.screens.brand import bp
from orders.web.sessionless import mark_sessionless

bp.before_request(mark_sessionless)
ONE_YEAR = 31_536_000
SHORT = 300


def _cached(response: Response, current: bool) -> Response:
    cache = f"public, max-age={ONE_YEAR}, immutable" if current else f"public, max-age={SHORT}"
    response.headers["Cache-Control"] = cache
    return response


@bp.get("/accent-<version>.css")
@public
def stylesheet(version: str):
    """The accent colour's tokens, over the defaults in static/css/app.css."""
    inst = institution()
    accent = branding.accent_of(inst)
    body = render_template("brand/accent.css", accent=accent, accent_dark=branding.darker(accent))
    return _cached(Response(body, mimetype="text/css"), version == branding.stylesheet_version(inst))


@bp.get("/logo-<digest>")
@public
def logo(digest: str):
    """The institution's logo, as uploaded (a PNG or JPEG checked by orders.domain.branding.read_logo)."""
    inst = institution()
    if not inst.logo_digest:
        abort(404, "This institution has no logo.")
    data = db.session.scalar(db.select(type(inst).logo_data).where(type(inst).id == inst.id))
    if data is None:
        abort(404, "This institution has no logo.")
    response = Response(data, mimetype=inst.logo_content_type)
    response.set_etag(inst.logo_digest[:16])
    response.make_conditional(request)  # in place: a 304 when the client has it
    return _cached(response, digest == inst.logo_digest[:16])
