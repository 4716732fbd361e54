"""Where a doctor's or a test's picture is: its stored URL, or an avatar this service draws.

A stored `photo_url` is either a path on this service ("/app/...", served from the same origin as
the Mini App) or an absolute URL hosted elsewhere. Without one, the picture is the generated avatar
at AVATAR_PATH, so every catalog entry has a picture that answers 200.
"""
from __future__ import annotations

from urllib.parse import quote

AVATAR_PATH = "/app/photos/{kind}/{slug}.svg"


def avatar_path(kind: str, slug: str) -> str:
    """The avatar this service draws for a doctor ("doctors") or a test ("diagnostics"), whatever its slug holds."""
    return AVATAR_PATH.format(kind=kind, slug=quote(slug, safe=""))


def photo_or_avatar(stored: str | None, *, kind: str, slug: str) -> str:
    """The stored picture, or the generated avatar."""
    return stored or avatar_path(kind, slug)


def absolute(url: str, base: str) -> str:
    """A path on this service made absolute against `base` (scheme://host); absolute URLs unchanged."""
    return base.rstrip("/") + url if url.startswith("/") else url
