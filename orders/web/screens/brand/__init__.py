"""The institution's identity as files (docs/design.md, "Branding"): its accent stylesheet and logo, public, cached."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("brand", __name__, url_prefix="/brand")

# Imported for their routes, which they register on bp.
from orders.web.screens.brand import views  # noqa: E402

__all__ = ["bp", "views"]
