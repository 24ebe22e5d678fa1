"""The LMS screen (docs/spec.md §9): LTI 1.3 login, launch, key set, Canvas JSON, Dynamic Registration and the
launched course's pages, at /lti."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("lti", __name__, url_prefix="/lti")

# Imported for their routes, which they register on bp.
from orders.web.screens.lti import views  # noqa: E402

__all__ = ["bp", "views"]
