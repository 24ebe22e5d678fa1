"""Students: their Course materials, their choices, and the back office's view of them."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("students", __name__, url_prefix="/student")

# Imported for their routes, which they register on bp.
from orders.web.screens.students import views  # noqa: E402

__all__ = ["bp", "views"]
