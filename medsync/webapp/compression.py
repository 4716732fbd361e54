"""The Mini App's pages, styles and scripts compressed (brotli or gzip) when the browser asks, by flask-compress.

Only the Mini App's blueprint is compressed: /api answers its hot JSON (the catalog, free slots, bookings)
as before, where compressing would cost more CPU per request than the bytes it saves on a local network
(see README, "The Mini App").
"""
from __future__ import annotations

from flask import Flask, Response, current_app
from flask_compress import Compress

_COMPRESS = "medsync_compress"
SETTINGS = {
    "COMPRESS_REGISTER": False,  # not for every response of the app: the blueprint asks, below
    "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/javascript", "application/javascript", "image/svg+xml"],
    # Brotli first (the smallest); gzip for every other browser. Static files are sent as streams, whose list
    # leaves gzip out by default: it is added back, so a gzip-only client gets its CSS and JS compressed too.
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_ALGORITHM_STREAMING": ["br", "gzip"],
    # A revalidated static file answers 304 to the ETag it was sent with (flask-compress suffixes ":br").
    "COMPRESS_STREAMING_ENDPOINT_CONDITIONAL": ["webapp.static"],
}


def init_compression(app: Flask) -> None:
    """flask-compress for this app, applied by the Mini App's blueprint only."""
    for name, value in SETTINGS.items():
        app.config.setdefault(name, value)
    compress = Compress()
    compress.init_app(app)
    app.extensions[_COMPRESS] = compress


def compressed(response: Response) -> Response:
    """The response compressed as the request's Accept-Encoding asks (Vary: Accept-Encoding either way)."""
    return current_app.extensions[_COMPRESS].after_request(response)
