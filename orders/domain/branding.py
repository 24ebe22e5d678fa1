"""The institution's identity on every page and email: its accent colour and logo (docs/design.md, "Branding").

The accent reaches pages through a small stylesheet of its own (the strict CSP allows no inline style); the logo is
a small PNG or JPEG kept in the database and served at a URL carrying its digest, so both may be cached for a year.
"""
from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass
from datetime import datetime

from orders.domain.audit import record
from orders.domain.models import AdminAuditEntry, Institution, User
from orders.domain.refusals import RuleBroken
from orders.extensions import db

# The product's own navy: the accent when the institution sets none (docs/design.md, colour tokens).
DEFAULT_ACCENT = "#1d4e89"
WHITE = "#ffffff"
# White text sits on the accent (the header band, the sign-in page's band, the emails' header), so the accent
# must reach WCAG 2.1 AA's 4.5:1 for normal text against white.
MIN_CONTRAST = 4.5
LOGO_MAX_BYTES = 200 * 1024  # a logo for a 40 px high header; emails fetch it too
LOGO_MAX_SIDE = 2000
LOGO_MIN_SIDE = 16
PNG, JPEG = "image/png", "image/jpeg"
_HEX = re.compile(r"#?([0-9a-fA-F]{6})")
_SHORT_HEX = re.compile(r"#?([0-9a-fA-F]{3})")


def relative_luminance(colour: str) -> float:
    """WCAG 2.1's relative luminance of a #rrggbb colour."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.1's contrast ratio of two #rrggbb colours, from 1 to 21."""
    high, low = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def parse_accent(raw: str | None) -> str | None:
    """An accent colour as typed ("#8A1538", "8a1538", "#c00"), as "#rrggbb"; empty: None (the product's own).

    Refused (RuleBroken) when it is not a colour, or too light for white text on it.
    """
    value = (raw or "").strip()
    if not value:
        return None
    short = _SHORT_HEX.fullmatch(value)
    full = _HEX.fullmatch(value)
    if short:
        colour = "#" + "".join(c * 2 for c in short.group(1)).lower()
    elif full:
        colour = "#" + full.group(1).lower()
    else:
        raise RuleBroken(f"“{value[:20]}” is not a colour: enter six hexadecimal digits, like #8a1538.")
    ratio = contrast_ratio(colour, WHITE)
    if ratio < MIN_CONTRAST:
        raise RuleBroken(
            f"{colour} is too light: white text on it has a contrast of {ratio:.1f}:1, and WCAG 2.1 AA needs at least "
            f"{MIN_CONTRAST}:1. Choose a darker shade of it."
        )
    return colour


def darker(colour: str, amount: float = 0.22) -> str:
    """The colour mixed with black: the accent's hover and border shade."""
    channels = [round(int(colour[i:i + 2], 16) * (1 - amount)) for i in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in channels)


def accent_of(inst: Institution) -> str:
    """The accent every page and email uses: the institution's, or the product's own."""
    return inst.accent_colour or DEFAULT_ACCENT


STYLESHEET_REVISION = "1"  # bump when templates/brand/accent.css changes: its URLs change with it


def stylesheet_version(inst: Institution) -> str:
    """A short digest of what the accent stylesheet says.

    Part of its URL, so browsers keep it until the accent changes.
    """
    return hashlib.sha256(f"{STYLESHEET_REVISION}:{accent_of(inst)}".encode()).hexdigest()[:12]


def brand_tag(inst: Institution) -> str:
    """A short digest of what every page's header shows of the institution: part of cached pages' ETags."""
    return hashlib.sha256(f"{inst.name}|{accent_of(inst)}|{inst.logo_digest}".encode()).hexdigest()[:8]


@dataclass(frozen=True)
class Logo:
    """An uploaded logo, checked: its type from its own bytes, its size in pixels, its digest."""

    data: bytes
    content_type: str
    width: int
    height: int
    digest: str


def read_logo(data: bytes) -> Logo:
    """Check an uploaded logo: a PNG or JPEG (by its bytes, not its name), at most 200 KB and 2000 px a side."""
    if not data:
        raise RuleBroken("The logo file is empty. Choose a PNG or JPEG image.")
    if len(data) > LOGO_MAX_BYTES:
        raise RuleBroken(
            f"The logo is {len(data) // 1024:,} KB; the most is {LOGO_MAX_BYTES // 1024} KB. Save it smaller."
        )
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        content_type, size = PNG, _png_size(data)
    elif data.startswith(b"\xff\xd8\xff"):
        content_type, size = JPEG, _jpeg_size(data)
    else:
        raise RuleBroken("The logo must be a PNG or JPEG image (SVG, GIF, WebP and other files are not accepted).")
    if size is None:
        raise RuleBroken("The logo file is damaged: its size in pixels cannot be read. Save it again as PNG or JPEG.")
    width, height = size
    if not (LOGO_MIN_SIDE <= width <= LOGO_MAX_SIDE and LOGO_MIN_SIDE <= height <= LOGO_MAX_SIDE):
        raise RuleBroken(f"The logo is {width}×{height} px; each side must be {LOGO_MIN_SIDE} to {LOGO_MAX_SIDE} px.")
    return Logo(data, content_type, width, height, hashlib.sha256(data).hexdigest())


def _png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's IHDR chunk, which must come first."""
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# JPEG markers that start a frame (and so carry its size): SOF0-SOF15 but DHT (C4), JPG (C8) and DAC (CC).
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a JPEG's first frame header, walking the segments before it."""
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            at += 2
            continue
        (length,) = struct.unpack(">H", data[at + 2:at + 4])
        if marker in _SOF:
            if at + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[at + 5:at + 9])
            return (width, height) if width and height else None
        if marker == 0xDA or length < 2:  # the image data began without a frame header
            return None
        at += 2 + length
    return None


def logo_path(inst: Institution) -> str | None:
    """The logo's path, with its digest (a new logo is a new URL, so the old one may be cached for a year)."""
    return f"/brand/logo-{inst.logo_digest[:16]}" if inst.logo_digest else None


def logo_box(inst: Institution, height: int, max_width: int) -> tuple[int, int] | None:
    """The logo's width and height when shown at most `height` high and `max_width` wide, keeping its shape."""
    if not (inst.logo_digest and inst.logo_width and inst.logo_height):
        return None
    scale = min(height / inst.logo_height, max_width / inst.logo_width, 1.0)
    return max(1, round(inst.logo_width * scale)), max(1, round(inst.logo_height * scale))


def logo_words(inst: Institution) -> str | None:
    """The institution's current logo in the audit log's words; None: no logo."""
    if not inst.logo_digest:
        return None
    kind = "PNG" if inst.logo_content_type == PNG else "JPEG"
    return f"{kind}, {inst.logo_width}×{inst.logo_height} px, sha256 {inst.logo_digest[:12]}"


def update_branding(inst: Institution, *, accent: str | None, logo: Logo | None, remove_logo: bool,
                    actor: User | None, now: datetime) -> AdminAuditEntry | None:
    """Set the accent colour (None: the product's own) and replace or remove the logo; audited as one change.

    `accent` comes from parse_accent and `logo` from read_logo (a new logo wins over `remove_logo`). Returns the
    audit entry, or None when nothing changed (the same colour, the same image again).
    """
    before = {"accent_colour": inst.accent_colour, "logo": logo_words(inst)}
    inst.accent_colour = accent
    if logo is not None and logo.digest != inst.logo_digest:
        inst.logo_data, inst.logo_content_type, inst.logo_digest = logo.data, logo.content_type, logo.digest
        inst.logo_width, inst.logo_height = logo.width, logo.height
    elif logo is None and remove_logo:
        inst.logo_data = inst.logo_content_type = inst.logo_digest = None
        inst.logo_width = inst.logo_height = None
    after = {"accent_colour": inst.accent_colour, "logo": logo_words(inst)}
    changed = [key for key in after if after[key] != before[key]]
    if not changed:
        return None
    db.session.flush()
    return record("institution.branding", "Institution branding", {k: before[k] for k in changed},
                  {k: after[k] for k in changed}, actor=actor, now=now)
