"""Signage: one screen package = one blueprint = one URL space = one template folder (issue 32).

From a URL alone a newcomer finds the code: the path's first segment names the package
(orders.web.screens.URL_SPACES), the package's blueprint has its name, and it renders only its own
templates and the shared partials.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from orders.web import screens

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "orders" / "web" / "screens"
TEMPLATES = ROOT / "templates"
# Folders that belong to no one screen: the layout's partials, the error pages, the emails.
COMMON = {"shared", "errors", "emails"}
RENDERED = re.compile(r"""["']([a-z_]+)/[\w.]+\.(?:html|txt)["']""")
INCLUDED = re.compile(r"""{%-?\s*(?:include|extends|import|from)\s+["']([a-z_]+)/""")


# The dev tools' blueprints are no screen: the demo LMS (devtools/lms.py) at /dev-lms, in development only.
DEVELOPMENT_ONLY = {"dev_lms": "/dev-lms"}


def misplaced_rules(app) -> list[str]:
    """Rules whose blueprint does not own the first segment of their path."""
    wrong = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        blueprint = rule.endpoint.split(".", 1)[0]
        if blueprint in DEVELOPMENT_ONLY:
            if not rule.rule.startswith(DEVELOPMENT_ONLY[blueprint]):
                wrong.append(
                    f"{rule.rule} is served by the development-only {blueprint!r} outside {DEVELOPMENT_ONLY[blueprint]}"
                )
            continue
        owner = screens.owner_of(rule.rule)
        if owner != blueprint:
            wrong.append(f"{rule.rule} is served by {blueprint!r}, but {owner!r} owns that URL space")
    return wrong


def test_every_rule_lives_in_the_url_space_of_its_package(app):
    assert misplaced_rules(app) == []


def test_each_blueprint_is_its_package(app):
    """The blueprint named X is orders.web.screens.X, and templates/X is its folder."""
    screens_only = {name: blueprint for name, blueprint in app.blueprints.items() if name not in DEVELOPMENT_ONLY}
    for name, blueprint in screens_only.items():
        assert blueprint.import_name == f"orders.web.screens.{name}", name
        assert (TEMPLATES / name).is_dir() or name == "ops", f"templates/{name}/ is missing"
    assert set(screens_only) == set(screens.URL_SPACES.values())
    assert all(
        app.blueprints[name].import_name.startswith("devtools.") for name in set(app.blueprints) - set(screens_only)
    )


def test_the_walk_catches_a_rule_outside_its_space(app):
    """Not vacuous: a route added to the wrong blueprint is reported."""
    from flask import Flask

    stray = Flask(__name__)
    stray.add_url_rule("/orders/<int:number>/stray", endpoint="requests.stray", view_func=lambda number: "")
    assert misplaced_rules(stray) == [
        "/orders/<int:number>/stray is served by 'requests', but 'orders' owns that URL space"
    ]


@pytest.mark.parametrize("package", sorted(p.name for p in SCREENS.iterdir() if (p / "__init__.py").exists()))
def test_a_screen_renders_its_own_templates_and_the_shared_ones(package):
    foreign = [
        f"{path.relative_to(ROOT)} renders {folder}/"
        for path in sorted((SCREENS / package).rglob("*.py"))
        for folder in RENDERED.findall(path.read_text())
        if folder not in COMMON | {package}
    ]
    assert foreign == []


def test_templates_include_only_their_own_folder_and_the_shared_one():
    foreign = [
        f"{path.relative_to(ROOT)} includes {folder}/"
        for path in sorted(TEMPLATES.rglob("*.html"))
        if path.parent != TEMPLATES and path.parent.name not in COMMON
        for folder in INCLUDED.findall(path.read_text())
        if folder not in COMMON | {path.parent.name}
    ]
    assert foreign == []


def test_every_template_global_is_registered_in_web_templating():
    """No screen registers a global for another screen's templates."""
    registering = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "orders").rglob("*.py"))
        if path.name != "templating.py"
        and re.search(r"app_template_(global|filter)|jinja_env\.(globals|filters)", path.read_text())
    ]
    assert registering == []
