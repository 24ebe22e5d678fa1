"""gzip for HTML, CSS and JavaScript, and long-lived caching of fingerprinted static files."""
from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache

from flask import Flask, Response, request, url_for

COMPRESSIBLE = {"text/html", "text/css", "text/javascript", "application/javascript", "text/plain"}
MIN_SIZE = 512  # below this gzip's header costs more than it saves
ONE_YEAR = 31_536_000


@lru_cache(maxsize=64)
def _file_digest(path: str, mtime: float) -> str:
    """Short content hash of a static file; the mtime in the key drops stale entries after a deploy."""
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:12]


def static_url(filename: str) -> str:
    """URL of a static file with its content hash, so browsers may cache it for a year."""
    from flask import current_app

    assert current_app.static_folder is not None  # the app factory keeps Flask's static folder
    path = os.path.join(current_app.static_folder, filename)
    return url_for("static", filename=filename, v=_file_digest(path, os.path.getmtime(path)))


_static_gzip_cache: dict[tuple[str, str], bytes] = {}


def _gzip_static(path: str, etag: str, body: bytes) -> bytes:
    """Static files are compressed once per version (path + ETag), not once per request."""
    key = (path, etag)
    if key not in _static_gzip_cache:
        _static_gzip_cache[key] = gzip.compress(body, compresslevel=9)
    return _static_gzip_cache[key]


def compress_and_cache(response: Response) -> Response:
    """after_request: gzip text responses for clients that accept it; cache fingerprinted assets."""
    is_static = request.endpoint == "static"
    if is_static and request.args.get("v") and response.status_code == 200:
        response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    if (
        response.status_code != 200
        or response.mimetype not in COMPRESSIBLE
        or "Content-Encoding" in response.headers
        or "gzip" not in request.headers.get("Accept-Encoding", "").lower()
        or request.method == "HEAD"
    ):
        return response
    response.vary.add("Accept-Encoding")
    response.direct_passthrough = False  # static files are streamed; read them so they can be compressed
    body = response.get_data()
    if len(body) < MIN_SIZE:
        return response
    if is_static:
        compressed = _gzip_static(request.path, response.get_etag()[0] or "", body)
    else:
        compressed = gzip.compress(body, compresslevel=5)
    response.set_data(compressed)
    response.headers["Content-Encoding"] = "gzip"
    if response.headers.get("ETag"):
        etag, weak = response.get_etag()
        response.set_etag(f"{etag}-gzip", weak=bool(weak))  # weak is a bool whenever there is an ETag
    return response


def register(app: Flask) -> None:
    """Install the hook."""
    app.after_request(compress_and_cache)
