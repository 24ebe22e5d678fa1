"""Response sizes, raw and gzipped, and the first-load weight of a page with its assets."""
from __future__ import annotations

import gzip
import re
from urllib.parse import urlsplit

from bench.client import Browser

_ASSETS = re.compile(r'<(?:link[^>]*rel="stylesheet"[^>]*href|script[^>]*src)="([^"]+)"')


def gz(data: bytes) -> int:
    """Bytes after gzip -6, what a typical reverse proxy sends."""
    return len(gzip.compress(data, compresslevel=6))


def response_size(browser: Browser, path: str, headers: dict | None = None) -> dict:
    status, response_headers, body = browser.request("GET", path, headers=headers)
    return {
        "status": status,
        "raw": len(body),
        "gzip": gz(body),
        "served_encoding": response_headers.get("Content-Encoding") or "none",
    }


def first_load(browser: Browser, path: str) -> dict:
    """The page's HTML plus every stylesheet and script it links, each raw and gzipped, with cache headers."""
    status, headers, html = browser.request("GET", path)
    parts = [{"url": path, "raw": len(html), "gzip": gz(html), "cache_control": headers.get("Cache-Control", "")}]
    for url in dict.fromkeys(_ASSETS.findall(html.decode())):
        asset_path = urlsplit(url.replace("&amp;", "&"))
        target = asset_path.path + (f"?{asset_path.query}" if asset_path.query else "")
        _, asset_headers, body = browser.request("GET", target)
        parts.append(
            {"url": target, "raw": len(body), "gzip": gz(body), "cache_control": asset_headers.get("Cache-Control", "")}
        )
    return {
        "status": status,
        "parts": parts,
        "raw": sum(p["raw"] for p in parts),
        "gzip": sum(p["gzip"] for p in parts),
    }
