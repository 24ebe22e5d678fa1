"""Form choices are WTForms SelectChoice objects: tuples are deprecated (issue 27, item 11)."""
from __future__ import annotations

import warnings
from types import SimpleNamespace

from orders.web.forms import RequestStatusForm
from orders.web.screens.admin.forms import GrantForm, ItemForm


def test_every_select_and_radio_renders_without_a_deprecation_warning(app):
    with app.test_request_context(), warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        grant = GrantForm(meta={"csrf": False})
        grant.set_choices(
            SimpleNamespace(subjects=["MATH"], organizations=[], campuses=[]),
            [SimpleNamespace(id=1, name="Spring 2027")],
        )
        forms = [grant, ItemForm(meta={"csrf": False}), RequestStatusForm(meta={"csrf": False})]
        rendered = "".join(str(field()) for form in forms for field in form if hasattr(field, "choices"))
    assert "Any subject" in rendered and "Spring 2027" in rendered and "Researching" in rendered
