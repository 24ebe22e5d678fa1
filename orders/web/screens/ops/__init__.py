"""Operator endpoints (health, readiness, metrics) and the back office's failed mail."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ops", __name__)

# Imported for their routes, which they register on bp.
from orders.web.screens.ops import views  # noqa: E402

__all__ = ["bp", "views"]
