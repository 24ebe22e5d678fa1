"""The demo institution's logo: a gold badge with an open book, drawn as a PNG (no image library, no file to ship)."""
from __future__ import annotations

import struct
import zlib
from functools import cache

SIZE = 96
SAMPLES = 3  # per side: 9 samples a pixel smooth the edges
GOLD, INK = (242, 193, 78), (27, 42, 74)


def _badge(x: float, y: float) -> bool:
    """A rounded square filling the image."""
    r, m = 18.0, 2.0
    cx = min(max(x, m + r), SIZE - m - r)
    cy = min(max(y, m + r), SIZE - m - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r and m <= x <= SIZE - m and m <= y <= SIZE - m


def _book(x: float, y: float) -> bool:
    """Two pages open from a spine, each a slanted band, and the spine between them."""
    spine = 48.0
    if abs(x - spine) < 2.0 and 30 <= y <= 72:
        return True
    for side in (-1, 1):
        u = (x - spine) * side  # distance from the spine, towards this page's edge
        if 4 <= u <= 30:
            top = 30 - u * 0.25
            bottom = 68 - u * 0.05
            if top <= y <= top + 3.5 or bottom <= y <= bottom + 3.5 or (26 <= u <= 30 and top <= y <= bottom + 3.5):
                return True
            if u <= 26 and any(top + k <= y <= top + k + 2.0 for k in (10, 18, 26)):  # lines of text
                return 8 <= u <= 22
    return False


def _pixel(px: int, py: int) -> tuple[int, int, int, int]:
    hits_badge = hits_book = 0
    for sx in range(SAMPLES):
        for sy in range(SAMPLES):
            x, y = px + (sx + .5) / SAMPLES, py + (sy + .5) / SAMPLES
            if _badge(x, y):
                hits_badge += 1
                hits_book += _book(x, y)
    total = SAMPLES * SAMPLES
    if not hits_badge:
        return (0, 0, 0, 0)
    share = hits_book / hits_badge
    colour = tuple(round(g * (1 - share) + i * share) for g, i in zip(GOLD, INK))
    return (*colour, round(255 * hits_badge / total))


@cache
def demo_logo_png() -> bytes:
    """The logo as PNG bytes (RGBA, 96×96 px)."""
    rows = b"".join(b"\x00" + b"".join(struct.pack("4B", *_pixel(x, y)) for x in range(SIZE)) for y in range(SIZE))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
