"""One package per screen = one blueprint = one URL space = one template folder.

A screen holds its views, read queries and forms, and never imports another screen. From a URL alone
a newcomer finds its package: the first segment of the path (before any ".csv") names it here.
tests/web/test_url_spaces.py walks app.url_map and fails when a rule lives outside its owner.
"""
from __future__ import annotations

import importlib

from flask import Blueprint

# First path segment -> the screen package that owns it (its blueprint has the package's name).
URL_SPACES: dict[str, str] = {
    "": "courses",  # "/" is the Courses screen, home after sign-in
    "instructors": "courses",  # the Instructor type-ahead's matches
    "sign-in": "auth",
    "sign-out": "auth",
    "login": "auth",
    "orders": "orders",  # history, CSV, reorder, and each order: summary, cancel, edit, add sections
    "ordering": "ordering",
    "requests": "requests",
    "no-materials": "no_materials",
    "progress": "progress",
    "approvals": "approvals",  # orders and changes awaiting the signed-in approver (docs/spec.md §8)
    "student": "students",
    "course-materials": "materials",
    "admin": "admin",
    "brand": "brand",  # the institution's accent stylesheet and logo (public, cached)
    "lti": "lti",  # the LTI 1.3 tool: what an LMS calls, and the launched course's pages
    "healthz": "ops",
    "readyz": "ops",
    "metrics": "ops",
}


def blueprints() -> list[Blueprint]:
    """Every screen's blueprint, in the order of URL_SPACES."""
    packages = dict.fromkeys(URL_SPACES.values())
    return [importlib.import_module(f"{__name__}.{package}").bp for package in packages]


def owner_of(path: str) -> str | None:
    """The screen package that owns a URL path, e.g. "/orders.csv" -> "orders"."""
    first = path.lstrip("/").split("/", 1)[0].split(".", 1)[0]
    return URL_SPACES.get(first)
