"""Static files under versioned URLs (?v=<content hash>), so browsers may keep them for a year."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, request, url_for

STATIC = Path(__file__).resolve().parent / "static"
YEAR = 365 * 24 * 3600
VERSIONED_CACHE = f"public, max-age={YEAR}, immutable"  # the URL changes with the content, so it never goes stale


def init_assets(app: Flask) -> None:
    """`asset(path)` in templates; long caching for versioned static responses."""
    app.jinja_env.globals["asset"] = asset_url
    app.after_request(_cache_versioned_static)


def asset_url(filename: str) -> str:
    """The static file's URL carrying its content hash."""
    path = STATIC / filename
    return url_for("webapp.static", filename=filename, v=_digest(str(path), path.stat().st_mtime_ns))


@lru_cache(maxsize=64)
def _digest(path: str, _mtime_ns: int) -> str:
    # The modification time is part of the key only so that an edited file gets a new hash in development.
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def _cache_versioned_static(response: Response) -> Response:
    # Whole, not added to: send_file's own "no-cache" (it sets one for files without a max age) would contradict it.
    if request.endpoint == "webapp.static" and request.args.get("v") and response.status_code == 200:
        response.headers["Cache-Control"] = VERSIONED_CACHE
    return response
