"""Issue 38 item 10: the sign-in page links to the public course materials lookup only while it is published."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from orders.domain.models import Institution
from orders.extensions import db


@pytest.mark.parametrize("published", [True, False])
def test_the_sign_in_page_links_to_the_public_lookup_only_while_it_is_published(app, client, demo_data, published):
    with app.app_context():
        db.session.scalars(select(Institution)).one().publish_course_materials = published
        db.session.commit()
    page = client.get("/sign-in").get_data(as_text=True)
    assert ('href="/course-materials/"' in page) is published
    assert client.get("/course-materials/").status_code == (200 if published else 404)
