"""Approvals (docs/spec.md §8): the orders and changes awaiting the signed-in approver, oldest first."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("approvals", __name__)

# Imported for their routes, which they register on bp.
from orders.web.screens.approvals import views  # noqa: E402

__all__ = ["bp", "views"]
