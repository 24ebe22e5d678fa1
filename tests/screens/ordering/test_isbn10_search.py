"""An ISBN-10, with or without hyphens, finds its item in every catalog search (issue 27, item 5)."""
from __future__ import annotations

import pytest

from orders.domain.formats import isbn
from tests.helpers import text_of
from tests.screens.ordering.test_ordering import start
from tests.screens.requests.test_content_requests import seeded  # noqa: F401 (a fixture)


def isbn10(first12: str) -> str:
    """The ISBN-10 of a 978 ISBN-13 (its nine core digits and the mod-11 check character)."""
    core = first12[3:12]
    check = (11 - sum((10 - i) * int(d) for i, d in enumerate(core)) % 11) % 11
    return core + ("X" if check == 10 else str(check))


PYTHON_CRASH = isbn10("978171850270")  # Python Crash Course in the demo catalog
HYPHENATED = f"{PYTHON_CRASH[0]}-{PYTHON_CRASH[1:5]}-{PYTHON_CRASH[5:9]}-{PYTHON_CRASH[9]}"


def test_search_digits_turn_an_isbn10_into_its_isbn13():
    assert isbn.search_digits(HYPHENATED) == isbn.to_isbn13(PYTHON_CRASH)
    assert isbn.search_digits("978-1-7185") == "97817185"
    assert isbn.search_digits("Python") is None


@pytest.mark.parametrize("query", [PYTHON_CRASH, HYPHENATED])
def test_materials_step_and_edit_find_an_isbn10(login_as, app, query):
    client = login_as("ada")
    draft = start(client, app)
    assert "Python Crash Course" in text_of(
        client.get(f"/ordering/drafts/{draft}/materials", query_string={"q": query})
    )
    assert "Python Crash Course" in text_of(client.get("/orders/1001/edit", query_string={"q": query}))


@pytest.mark.parametrize("query", [PYTHON_CRASH, HYPHENATED])
def test_back_office_catalog_finds_an_isbn10(login_as, query):
    page = text_of(login_as("katherine").get("/admin/catalog", query_string={"q": query}))
    assert "Python Crash Course" in page and "Think Python" not in page


def test_content_request_list_finds_a_request_by_its_isbn10(login_as, seeded):  # noqa: F811
    page = text_of(login_as("katherine").get("/requests", query_string={"q": "0-8044-2957-X"}))
    assert "Beta Automata" in page and "Alpha Calculus Notes" not in page
