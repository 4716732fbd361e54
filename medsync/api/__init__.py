"""REST API: the compatible /api surface and the OpenAPI-described /api/v1."""
from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def init_api(app: Flask) -> None:
    """Register the API blueprints."""
    from medsync.api import staff
    from medsync.http_errors import register_error_handlers

    app.config.setdefault("API_TITLE", "MedSync API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = Api(app)
    staff.register(api)
    # flask-smorest installs its own HTTPException handler; errors keep the app's one JSON shape.
    register_error_handlers(app)
