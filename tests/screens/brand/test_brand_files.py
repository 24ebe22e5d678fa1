"""/brand/: the institution's accent stylesheet and logo, public and cached, never anything but CSS, PNG or JPEG."""
from __future__ import annotations

import re

from sqlalchemy import select

from devtools.demo import DEMO_ACCENT
from orders.domain import branding
from orders.domain.models import Institution
from orders.extensions import db


def _links(html: str) -> tuple[str, str]:
    """The accent stylesheet's and the header logo's URLs on a page."""
    sheet = re.search(r'<link rel="stylesheet" href="(/brand/accent-[0-9a-f]+\.css)">', html)
    logo = re.search(r'<img class="brand-logo" src="(/brand/logo-[0-9a-f]{16})"', html)
    assert sheet and logo, html[:1500]
    return sheet.group(1), logo.group(1)


def test_every_page_links_the_accent_and_the_logo_which_are_served_cached(client, demo_data):
    sheet_url, logo_url = _links(client.get("/sign-in").get_data(as_text=True))
    sheet = client.get(sheet_url)
    assert sheet.status_code == 200 and sheet.mimetype == "text/css"
    assert f"--accent: {DEMO_ACCENT};" in sheet.get_data(as_text=True)
    assert sheet.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Set-Cookie" not in sheet.headers and "Cookie" not in sheet.headers.get("Vary", "")
    logo = client.get(logo_url)
    assert logo.status_code == 200 and logo.mimetype == "image/png"
    assert logo.headers["X-Content-Type-Options"] == "nosniff"
    assert logo.data.startswith(b"\x89PNG") and branding.read_logo(logo.data).width == 96
    assert client.get(logo_url, headers={"If-None-Match": logo.headers["ETag"]}).status_code == 304


def test_a_change_changes_the_urls_and_old_ones_answer_what_is_current_briefly(app, client, demo_data):
    old_sheet, old_logo = _links(client.get("/sign-in").get_data(as_text=True))
    with app.app_context():
        db.session.scalars(select(Institution)).one().accent_colour = "#8a1538"
        db.session.commit()
    new_sheet, new_logo = _links(client.get("/sign-in").get_data(as_text=True))
    assert new_sheet != old_sheet and new_logo == old_logo
    stale = client.get(old_sheet)
    assert (
        "--accent: #8a1538;" in stale.get_data(as_text=True) and stale.headers["Cache-Control"] == "public, max-age=300"
    )


def test_no_logo_no_accent_no_links_and_a_404(app, client, demo_data, now):
    _, logo_url = _links(client.get("/sign-in").get_data(as_text=True))
    with app.app_context():
        inst = db.session.scalars(select(Institution)).one()
        branding.update_branding(inst, accent=None, logo=None, remove_logo=True, actor=None, now=now)
        db.session.commit()
    html = client.get("/sign-in").get_data(as_text=True)
    assert "/brand/" not in html and "Demo State University" in html  # the product's own colours, the name stays
    assert client.get(logo_url).status_code == 404
