"""Public course materials (docs/spec.md §3): each section's materials for anyone, no sign-in, cacheable."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("materials", __name__, url_prefix="/course-materials")

# Imported for their routes, which they register on bp.
from orders.web.screens.materials import views  # noqa: E402

__all__ = ["bp", "views"]
