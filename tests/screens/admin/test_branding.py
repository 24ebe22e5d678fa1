"""Administration > Branding (issue 37): the accent colour and the logo.

Refused with a reason and nothing saved when wrong.
"""

from __future__ import annotations

import io

from sqlalchemy import select

from devtools.demo import DEMO_ACCENT
from orders.domain.models import AdminAuditEntry, Institution
from orders.extensions import db
from tests.domain.test_branding import SVG, png


def _institution(app) -> tuple:
    with app.app_context():
        inst = db.session.scalars(select(Institution)).one()
        return inst.accent_colour, inst.logo_digest, inst.logo_width, inst.logo_height


def _branding_audit(app) -> list[AdminAuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(select(AdminAuditEntry).where(AdminAuditEntry.kind == "institution.branding")).unique()
        )


def test_only_program_administrators_reach_it(login_as):
    assert login_as("grace").get("/admin/branding").status_code == 403


def test_a_new_accent_and_logo_are_saved_audited_and_shown(app, login_as):
    client = login_as("katherine")
    page = client.get("/admin/branding").get_data(as_text=True)
    assert f'value="{DEMO_ACCENT}"' in page and "PNG, 96×96 px" in page
    saved = client.post(
        "/admin/branding",
        data={"accent_colour": "#8A1538", "logo": (io.BytesIO(png(300, 60)), "crest.png")},
        content_type="multipart/form-data",
    )
    assert saved.status_code == 303
    accent, digest, width, height = _institution(app)
    assert (accent, width, height) == ("#8a1538", 300, 60)
    [entry] = _branding_audit(app)
    assert entry.before["accent_colour"] == DEMO_ACCENT and entry.after["accent_colour"] == "#8a1538"
    assert entry.after["logo"].startswith("PNG, 300×60 px")
    home = client.get("/admin/branding").get_data(as_text=True)
    assert "Branding saved" in home
    assert f'src="/brand/logo-{digest[:16]}" alt="" width="200" height="40"' in home  # the header's box: 40 px high
    assert "Branding changed" in client.get("/admin/audit").get_data(as_text=True)


def test_saving_the_same_again_changes_nothing(app, login_as):
    client = login_as("katherine")
    client.post("/admin/branding", data={"accent_colour": DEMO_ACCENT})
    assert _branding_audit(app) == []


def test_a_light_colour_is_refused_with_its_contrast_and_nothing_is_saved(app, login_as):
    client = login_as("katherine")
    before = _institution(app)
    refused = client.post(
        "/admin/branding",
        data={"accent_colour": "#ffcc00", "logo": (io.BytesIO(png(64, 64)), "a.png")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "#ffcc00 is too light" in body and "4.5:1" in body and "Nothing was saved" in body
    assert _institution(app) == before and _branding_audit(app) == []


def test_an_svg_with_a_script_is_refused_and_never_served(app, login_as):
    client = login_as("katherine")
    before = _institution(app)
    for name in ("logo.svg", "logo.png"):  # its name does not matter: its bytes do
        refused = client.post(
            "/admin/branding",
            data={"accent_colour": DEMO_ACCENT, "logo": (io.BytesIO(SVG), name)},
            content_type="multipart/form-data",
        )
        assert refused.status_code == 422
        assert "The logo must be a PNG or JPEG image" in refused.get_data(as_text=True)
    assert _institution(app) == before


def test_the_logo_can_be_removed(app, login_as):
    client = login_as("katherine")
    assert client.post("/admin/branding", data={"accent_colour": DEMO_ACCENT, "remove_logo": "y"}).status_code == 303
    assert _institution(app)[1:] == (None, None, None)
    assert "/brand/logo-" not in client.get("/admin/branding").get_data(as_text=True)
