"""The Program Administrators' back office (docs/spec.md §3 "Back office"): every URL under /admin.

One blueprint, a module per area, each module's routes named after it:

| URL                        | module           |
|----------------------------|------------------|
| /admin/                    | overview         |
| /admin/periods             | periods          |
| /admin/users               | users (grants)   |
| /admin/catalog             | catalog          |
| /admin/institution         | institution      |
| /admin/branding            | branding (logo, accent colour) |
| /admin/imports             | imports          |
| /admin/audit               | audit            |
| /admin/student-choice      | student_choice   |
| /admin/student-choice/costs, .../terms/<id>/registration | costs (cost disclosure) |
| /admin/students            | students         |
| /admin/billing             | billing          |
| /admin/feed                | feed             |
| /admin/reminders           | reminders        |
| /admin/mail                | mail             |
| /admin/lms                 | lti              |
| /admin/organizations       | organizations    |
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Imported for their routes, which they register on bp.
from orders.web.screens.admin import (  # noqa: E402
    audit,
    billing,
    branding,
    catalog,
    costs,
    feed,
    imports,
    institution,
    lti,
    mail,
    organizations,
    overview,
    periods,
    reminders,
    student_choice,
    students,
    users,
)

__all__ = [
    "bp",
    "audit",
    "billing",
    "branding",
    "catalog",
    "costs",
    "feed",
    "imports",
    "institution",
    "lti",
    "mail",
    "organizations",
    "overview",
    "periods",
    "reminders",
    "student_choice",
    "students",
    "users",
]
