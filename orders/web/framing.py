"""Who may frame the app: nobody, except the registered LMS platforms for the LTI pages and for a
session an LTI launch started (docs/spec.md §9 "Frames"). Such a session's cookie is SameSite=None;
Secure (and partitioned) over https, so it travels inside the LMS's iframe."""
from __future__ import annotations

from flask import g, session
from flask.sessions import SecureCookieSessionInterface

FRAMED = "_lti_frame"  # session key: the origins of the platform that launched this session
NOBODY = "'none'"


def allow_platforms(origins: list[str]) -> None:
    """This response may be framed by these origins (the LTI endpoints' pages)."""
    g.frame_origins = origins


def remember_platform(origins: list[str]) -> None:
    """The session just started by a launch may be framed by its platform from now on."""
    session[FRAMED] = " ".join(origins)


def _peek(key: str):
    """A session value read without marking the session accessed (dict's own get), so a public, cacheable
    answer gets no Vary: Cookie."""
    current = session._get_current_object()  # type: ignore[attr-defined]  # the session behind the proxy
    return dict.get(current, key)


def _session_origins() -> str:
    value = _peek(FRAMED)
    return value if isinstance(value, str) else ""


def frame_ancestors() -> str:
    """The CSP frame-ancestors value for this response."""
    origins = g.get("frame_origins")
    if origins is not None:
        return " ".join(origins) or NOBODY
    return _session_origins() or NOBODY


class FramableSessionInterface(SecureCookieSessionInterface):
    """The signed-cookie session; a launched session's cookie may cross into the LMS frame (https only)."""

    def _framed(self, app) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) and bool(_session_origins())

    def get_cookie_samesite(self, app):
        return "None" if self._framed(app) else super().get_cookie_samesite(app)

    def get_cookie_partitioned(self, app):
        return True if self._framed(app) else super().get_cookie_partitioned(app)


def allow_form_target(origin: str) -> None:
    """This page's form posts to another origin (a deep-linking response goes back to the LMS)."""
    g.form_target = origin


def form_targets() -> str:
    """Extra CSP form-action sources for this response ("" for none)."""
    target = g.get("form_target")
    return f" {target}" if target else ""


LMS_COURSE = "_lti_course"  # session: the launched LMS course ({"launch": id, "title": ...})


def lms_course() -> dict | None:
    """The LMS course this session was launched from (the header's LMS bar), without marking the session accessed."""
    value = _peek(LMS_COURSE)
    return value if isinstance(value, dict) and value.get("launch") else None
