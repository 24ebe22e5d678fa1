"""Content requests: titles the catalog lacks, requested on orders and researched by staff."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("requests", __name__)

# Imported for their routes, which they register on bp.
from orders.web.screens.requests import views  # noqa: E402

__all__ = ["bp", "views"]
