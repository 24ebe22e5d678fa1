"""Progress: a live dashboard of who has ordered, with "Remind now" (docs/spec.md §3 "Progress")."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("progress", __name__, url_prefix="/progress")

# Imported for their routes, which they register on bp.
from orders.web.screens.progress import coverage, views  # noqa: E402

__all__ = ["bp", "views", "coverage"]
