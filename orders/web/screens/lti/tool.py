"""What the tool tells an LMS about itself: its URLs, the Canvas developer-key JSON, the Dynamic Registration data."""
from __future__ import annotations

from flask import url_for

from orders.domain.lti.claims import NRPS_SCOPE

TITLE = "Course materials"
DESCRIPTION = "Order course materials (instructors) and see, opt out of or opt in to them (students), from the course."


def urls() -> dict[str, str]:
    """The addresses an LMS administrator pastes into the LMS."""
    return {
        "login": url_for("lti.login", _external=True),
        "launch": url_for("lti.launch", _external=True),
        "jwks": url_for("lti.jwks", _external=True),
        "config": url_for("lti.canvas_config", _external=True),
        "register": url_for("lti.register", _external=True),
    }


def canvas_config() -> dict:
    """A Canvas developer key (LTI Key, "Paste JSON"): course navigation, plus the editor and module picker
    for deep linking; privacy "public" so launches carry the name, email and SIS ids the matching uses."""
    address = urls()
    placement = {"text": TITLE, "target_link_uri": address["launch"], "enabled": True}
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "oidc_initiation_url": address["login"],
        "target_link_uri": address["launch"],
        "public_jwk_url": address["jwks"],
        "scopes": [NRPS_SCOPE],
        "extensions": [
            {
                "platform": "canvas.instructure.com",
                "privacy_level": "public",
                "settings": {
                    "placements": [
                        {
                            **placement,
                            "placement": "course_navigation",
                            "message_type": "LtiResourceLinkRequest",
                            "default": "enabled",
                        },
                        {**placement, "placement": "editor_button", "message_type": "LtiDeepLinkingRequest"},
                        {**placement, "placement": "link_selection", "message_type": "LtiDeepLinkingRequest"},
                    ],
                },
            }
        ],
        "custom_fields": {},
    }


def registration_messages() -> list[dict]:
    """LTI Dynamic Registration: the messages and placements the tool asks for."""
    launch = urls()["launch"]
    return [
        {
            "type": "LtiResourceLinkRequest",
            "target_link_uri": launch,
            "label": TITLE,
            "placements": ["CourseNavigation"],
        },
        {
            "type": "LtiDeepLinkingRequest",
            "target_link_uri": launch,
            "label": TITLE,
            "placements": ["ContentArea", "RichTextEditor"],
        },
    ]
