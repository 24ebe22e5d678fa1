"""The ordering workflow: drafts, sections, materials, review, place, discard."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ordering", __name__, url_prefix="/ordering")

# Imported for their routes, which they register on bp.
from orders.web.screens.ordering import other_costs, title_requests, views  # noqa: E402

__all__ = ["bp", "views", "title_requests", "other_costs"]
