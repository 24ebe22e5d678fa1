"""Sign in and sign out."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auth", __name__)

# Imported for their routes, which they register on bp.
from orders.web.screens.auth import views  # noqa: E402

__all__ = ["bp", "views"]
