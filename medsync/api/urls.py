"""Absolute URLs of this service's own resources, for clients hosted elsewhere."""
from __future__ import annotations

from flask import request

from medsync.config import current_settings
from medsync.services import photos


def service_base() -> str:
    """scheme://host of this service as clients reach it: PUBLIC_URL when set, else the request's own host."""
    # Not request.host_url: it round-trips the host through IRI decoding, a cost on every catalog list.
    public_url = current_settings().PUBLIC_URL
    if public_url:
        return public_url
    current = request._get_current_object()  # one context lookup for both attributes
    return f"{current.scheme}://{current.host}"


def photo_url(stored_or_avatar: str, base: str | None = None) -> str:
    """A catalog picture as an absolute URL (the compatible front end is hosted on another origin)."""
    return photos.absolute(stored_or_avatar, service_base() if base is None else base)
