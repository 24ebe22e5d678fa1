"""Placed orders: the summary, cancel, edit and added sections, and approve / return (review.py)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("orders", __name__)

# Imported for their routes, which they register on bp.
from orders.web.screens.orders import edit_costs, history, review, views  # noqa: E402

__all__ = ["bp", "views", "history", "edit_costs", "review"]
