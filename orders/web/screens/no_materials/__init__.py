""""No materials needed": a Courses row answered as done without an order (docs/spec.md §1–3)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("no_materials", __name__, url_prefix="/no-materials")

# Imported for their routes, which they register on bp.
from orders.web.screens.no_materials import views  # noqa: E402

__all__ = ["bp", "views"]
