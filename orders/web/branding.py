"""What the layout shows of the institution (docs/design.md, "Branding"): its name, logo and accent stylesheet."""
from __future__ import annotations

from dataclasses import dataclass

from flask import g, url_for
from sqlalchemy.exc import SQLAlchemyError

from orders.domain import branding
from orders.domain.institution import institution

HEADER_LOGO = (40, 200)  # the logo's box in the header: at most 40 px high and 200 px wide (CSS keeps it so)


@dataclass(frozen=True)
class Brand:
    """The institution as the layout shows it: the stylesheet and logo URLs carry digests, so they cache for a year."""

    name: str
    stylesheet_url: str | None  # None: no accent set, app.css's defaults apply
    logo_url: str | None
    logo_width: int | None
    logo_height: int | None


# The product alone: for pages the database cannot serve (a 503, an error before any institution exists).
UNBRANDED = Brand(name="", stylesheet_url=None, logo_url=None, logo_width=None, logo_height=None)


def brand() -> Brand:
    """The institution's brand for this request (the institution row is read once per request anyway).

    The header is on every page, error pages too: when the institution cannot be read, the product's own.
    """
    found = g.get("brand")
    if found is None:
        try:
            inst = institution()
        except (SQLAlchemyError, RuntimeError):
            g.brand = UNBRANDED
            return UNBRANDED
        box = branding.logo_box(inst, *HEADER_LOGO)
        sheet = url_for("brand.stylesheet", version=branding.stylesheet_version(inst)) if inst.accent_colour else None
        found = g.brand = Brand(
            name=inst.name,
            stylesheet_url=sheet,
            logo_url=url_for("brand.logo", digest=inst.logo_digest[:16]) if inst.logo_digest else None,
            logo_width=box[0] if box else None,
            logo_height=box[1] if box else None,
        )
    return found
