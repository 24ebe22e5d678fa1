"""A session interface that never writes a cookie for public, cached answers (the lookup, the brand files).

Its answers are cached by browsers and shared caches (`Cache-Control: public`), so they must carry no
`Set-Cookie` and no `Vary: Cookie`; Flask adds both whenever a request merely reads the session.
"""
from __future__ import annotations

from flask import g

from orders.web.framing import FramableSessionInterface

SESSIONLESS = "sessionless_response"


def mark_sessionless() -> None:
    """before_request of a public blueprint: this response is the same for everyone."""
    g.setdefault(SESSIONLESS, True)


class PublicAwareSessionInterface(FramableSessionInterface):
    """The usual signed-cookie session (framable after an LMS launch).

    Left untouched (not saved, no Vary) on sessionless responses.
    """

    def save_session(self, app, session, response) -> None:
        if g.get(SESSIONLESS):
            return
        super().save_session(app, session, response)
