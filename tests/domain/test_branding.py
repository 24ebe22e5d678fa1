"""The institution's accent colour and logo as typed and uploaded (orders.domain.branding): untrusted input, checked."""
from __future__ import annotations

import struct
import zlib

import pytest

from devtools.demo_logo import demo_logo_png
from orders.domain import branding
from orders.domain.refusals import RuleBroken


def png(width: int, height: int) -> bytes:
    """A real PNG of that size (one grey pixel row repeated), small enough for any limit."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = (b"\x00" + b"\x80" * width) * height
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def jpeg(width: int, height: int) -> bytes:
    """The head of a baseline JPEG: SOI, an APP0 segment, then the frame header with its size."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


@pytest.mark.parametrize("typed,stored", [("#8A1538", "#8a1538"), ("8a1538", "#8a1538"), (" #00573f ", "#00573f"),
                                          ("#c00", "#cc0000"), ("", None), ("   ", None), (None, None)])
def test_an_accent_is_stored_as_six_lowercase_digits(typed, stored):
    assert branding.parse_accent(typed) == stored


@pytest.mark.parametrize("typed", ["red", "#12345", "#1234567", "rgb(0,0,0)", "#gggggg", "#8a1538;}body{x:y"])
def test_what_is_not_a_colour_is_refused(typed):
    with pytest.raises(RuleBroken, match="is not a colour"):
        branding.parse_accent(typed)


@pytest.mark.parametrize("typed", ["#ffcc00", "#ffffff", "#949494", "#0a9396"])
def test_a_colour_too_light_for_white_text_is_refused_with_its_ratio(typed):
    """White text on the accent (the header, the sign-in band, the emails) must reach WCAG 2.1 AA's 4.5:1."""
    with pytest.raises(RuleBroken) as refused:
        branding.parse_accent(typed)
    assert "too light" in refused.value.message and ":1" in refused.value.message and "4.5:1" in refused.value.message


def test_contrast_ratio_is_wcag_s():
    assert branding.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert branding.contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the AA grey
    assert branding.parse_accent("#767676") == "#767676"  # just dark enough
    with pytest.raises(RuleBroken):
        branding.parse_accent("#777777")  # 4.48:1, just too light
    assert branding.contrast_ratio(branding.DEFAULT_ACCENT, "#ffffff") >= branding.MIN_CONTRAST
    assert branding.contrast_ratio(branding.darker("#00573f"), "#ffffff") > branding.contrast_ratio(
        "#00573f", "#ffffff"
    )


def test_a_png_and_a_jpeg_are_read_by_their_bytes():
    logo = branding.read_logo(png(120, 40))
    assert (logo.content_type, logo.width, logo.height, len(logo.digest)) == ("image/png", 120, 40, 64)
    photo = branding.read_logo(jpeg(300, 100))
    assert (photo.content_type, photo.width, photo.height) == ("image/jpeg", 300, 100)
    assert branding.read_logo(demo_logo_png()).width == 96


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(document.cookie)</script></svg>'


@pytest.mark.parametrize(
    "data,words",
    [
        (SVG, "must be a PNG or JPEG"),
        (b"<?xml version='1.0'?>" + SVG, "must be a PNG or JPEG"),
        (b"GIF89a" + b"\x00" * 20, "must be a PNG or JPEG"),
        (b"<html><script>alert(1)</script></html>", "must be a PNG or JPEG"),
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, "damaged"),  # a PNG signature on what is not one
        (b"\xff\xd8\xff\xe0" + b"\x00" * 10, "damaged"),
        (png(10, 10), "10×10 px"),  # too small to read
        (png(2400, 20), "2400×20 px"),
    ],
)
def test_anything_else_is_refused_with_a_reason(data, words):
    with pytest.raises(RuleBroken) as refused:
        branding.read_logo(data)
    assert words in refused.value.message


def test_a_logo_over_200_kb_is_refused_before_it_is_read():
    with pytest.raises(RuleBroken, match="the most is 200 KB"):
        branding.read_logo(png(20, 20) + b"\x00" * branding.LOGO_MAX_BYTES)


def test_a_logo_keeps_its_shape_in_its_box():
    from types import SimpleNamespace

    wide = SimpleNamespace(logo_digest="d" * 64, logo_width=400, logo_height=100)
    assert branding.logo_box(wide, 40, 200) == (160, 40)
    very_wide = SimpleNamespace(logo_digest="d" * 64, logo_width=1000, logo_height=100)
    assert branding.logo_box(very_wide, 40, 200) == (200, 20)
    small = SimpleNamespace(logo_digest="d" * 64, logo_width=20, logo_height=20)
    assert branding.logo_box(small, 40, 200) == (20, 20)  # never enlarged
    assert branding.logo_box(SimpleNamespace(logo_digest=None, logo_width=None, logo_height=None), 40, 200) is None
