"""Links for long lists, built without a url_for per link: url_for makes each pattern once per page (a list
page has a hundred links), and a row's link is that pattern with its ids put in and the same encoding of
its query arguments that url_for would give."""
from __future__ import annotations

from typing import Any, Callable
from urllib.parse import urlencode

from flask import url_for

# werkzeug's url_for encodes query arguments with these characters left as they are.
_SAFE = "!$'()*,/:;?@"
_STAND_INS = (987650001, 987650002)  # ids no row has, replaced in each link


def query(**args: object) -> str:
    """The query string url_for would append: arguments in the order given, None left out."""
    pairs = [(name, str(value)) for name, value in args.items() if value is not None]
    return "?" + urlencode(pairs, safe=_SAFE) if pairs else ""


def pattern(endpoint: str, *id_names: str) -> Callable[..., str]:
    """link(*ids, **query_args): the endpoint's URL with these path ids (in `id_names` order) and query arguments."""
    # Any, not int: url_for's typed keywords (_external: bool, ...) never match these id names.
    ids: dict[str, Any] = dict(zip(id_names, _STAND_INS))
    path = url_for(endpoint, **ids)

    def link(*ids: int, **args: object) -> str:
        built = path
        for stand_in, value in zip(_STAND_INS, ids):
            built = built.replace(str(stand_in), str(value))
        return built + query(**args)

    return link
