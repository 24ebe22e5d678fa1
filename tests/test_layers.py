"""The layering, walked like the route guards: arrows point down only (screens → web → domain).

- orders.domain knows no request: it imports only the domain, the extension singletons and the
  configuration, and nothing of Flask's request side (request, session, g, url_for, flask_login).
- orders.web (outside the screens) never imports a screen, a command or the dev tooling.
- a screen never imports another screen.
- the commands and the mail worker import the domain (and the worker), never the web layer.
- the runtime package never imports devtools.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "orders"
BASE = ("orders.extensions", "orders.config", "orders.database", "orders.clock")
DOMAIN_ALLOWED = ("orders.domain", "orders.extensions", "orders.config")
# The outbox renders email bodies with the app's templates (an app context, no request): render_template is allowed.
REQUEST_SIDE = {"request", "session", "g", "url_for", "has_request_context", "redirect", "flash", "make_response"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, tuple[str, ...], int]]:
    """(module, names, line) for every import in the file, relative ones resolved."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, (), node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = module_name(path).split(".")
                base = base[: len(base) - node.level + (1 if path.name == "__init__.py" else 0)]
                module = ".".join(base + ([module] if module else []))
            names = tuple(alias.name for alias in node.names)
            submodules = [name for name in names if _is_module(f"{module}.{name}")]
            if len(submodules) < len(names):  # `from orders import clock` imports the module, not the package
                found.append((module, names, node.lineno))
            # `from orders.web import parsing` imports the module orders.web.parsing
            found.extend((f"{module}.{name}", (), node.lineno) for name in submodules)
    return found


def _is_module(dotted: str) -> bool:
    path = ROOT / dotted.replace(".", "/")
    return path.with_suffix(".py").exists() or path.is_dir()


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def screen_of(module: str) -> str | None:
    parts = module.split(".")
    return ".".join(parts[:4]) if within(module, "orders.web.screens") and len(parts) >= 4 else None


def violations() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = module_name(path)
        for target, names, line in imports(path):
            where = f"{path.relative_to(ROOT)}:{line} imports {target}"
            if within(target, "devtools"):
                found.append(f"{where}: the runtime package never imports the dev tooling")
            if within(here, "orders.domain"):
                if within(target, "orders") and not any(within(target, allowed) for allowed in DOMAIN_ALLOWED):
                    found.append(f"{where}: the domain imports only the domain")
                if target in ("flask_login", "flask_wtf") or (target == "flask" and REQUEST_SIDE & set(names)):
                    found.append(f"{where}: the domain knows no request")
            elif within(here, "orders.cli") or within(here, "orders.worker"):
                if within(target, "orders.web"):
                    found.append(f"{where}: commands and the worker use the domain, not the web layer")
            elif within(here, "orders.web") and not within(here, "orders.web.screens"):
                if within(target, "orders.web.screens") or within(target, "orders.cli"):
                    found.append(f"{where}: the web layer never imports a screen or a command")
            if screen_of(here) and screen_of(target) and screen_of(here) != screen_of(target):
                found.append(f"{where}: a screen never imports another screen")
    return found


def test_arrows_point_down_only():
    assert violations() == []


@pytest.mark.parametrize(
    "here, target, complaint",
    [
        ("orders/domain/x.py", "from orders.web.htmx import is_htmx", "the domain imports only the domain"),
        ("orders/domain/x.py", "from flask import request", "the domain knows no request"),
        ("orders/web/screens/a/views.py", "from orders.web.screens.b.queries import q", "another screen"),
        ("orders/web/forms.py", "from orders.web.screens.a import views", "never imports a screen"),
        ("orders/cli/x.py", "from orders.web.parsing import parse_id", "commands and the worker use the domain"),
        ("orders/domain/x.py", "from devtools.demo import load_demo", "never imports the dev tooling"),
    ],
)
def test_the_walk_catches_each_kind_of_arrow(tmp_path, monkeypatch, here, target, complaint):
    """The walk is not vacuous: a planted wrong arrow of each kind is reported."""
    global ROOT, PACKAGE
    planted = tmp_path / here
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_text(target + "\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["x"]), "ROOT", tmp_path)
    monkeypatch.setattr(__import__(__name__, fromlist=["x"]), "PACKAGE", tmp_path / "orders")
    assert any(complaint in v for v in violations())


def test_no_screen_commits_or_rolls_back_by_hand():
    """Every screen ends its changes through orders.web.changes.run_change."""
    by_hand = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((PACKAGE / "web" / "screens").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "session.commit(" in line or "session.rollback(" in line
    ]
    assert by_hand == []


def test_the_domain_never_ends_a_transaction():
    """Services flush; the view (run_change) or the command commits or rolls back."""
    ending = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((PACKAGE / "domain").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "session.commit(" in line or "session.rollback(" in line
    ]
    assert ending == []


def test_the_domain_is_never_handed_the_login_proxy():
    """Views pass guards.actor(), the plain User row, never Flask-Login's current_user proxy."""
    proxied = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((PACKAGE / "web" / "screens").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "current_user" in line and "is_authenticated" not in line and "import" not in line
    ]
    assert proxied == []


def test_feed_and_billing_share_only_what_lies_below_both():
    """The two feeds borrow nothing from each other: what they share lives in orders.domain.formats."""
    crossing = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for one, other in (("feed", "billing"), ("billing", "feed"))
        for path in sorted((PACKAGE / "domain" / one).rglob("*.py"))
        for target, _, line in imports(path)
        if within(target, f"orders.domain.{other}")
    ]
    assert crossing == []
