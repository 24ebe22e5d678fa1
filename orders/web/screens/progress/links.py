"""The Progress board's links to Courses, built without a url_for per cell (a board has ~700)."""
from __future__ import annotations

from typing import Callable
from urllib.parse import urlencode

from flask import url_for

# werkzeug's url_for encodes query arguments with these characters left as they are.
_SAFE = "!$'()*,/:;?@"


def courses_href_for(term_code: str) -> Callable[..., str]:
    """href(counts, state, placed, at_risk, disclosed): the Courses filter naming a cell's sections.

    The href is the URL url_for builds for that filter.
    """
    base = url_for("courses.index")

    def href(counts, state=None, placed=None, at_risk=None, disclosed=None) -> str:
        args = {
            "term": term_code,
            "active": 1,
            "state": state,
            "placed": placed,
            "at_risk": at_risk,
            "disclosed": disclosed,
            **counts.courses_args(),
        }
        return base + "?" + urlencode([(k, str(v)) for k, v in args.items() if v is not None], safe=_SAFE)

    return href
