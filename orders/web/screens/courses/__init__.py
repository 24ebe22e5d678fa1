"""The Courses screen, home after sign-in."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("courses", __name__)

# Imported for their routes, which they register on bp.
from orders.web.screens.courses import views  # noqa: E402

__all__ = ["bp", "views"]
