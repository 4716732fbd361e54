"""REST API: the compatible /api surface and the OpenAPI-described /api/v1."""
from __future__ import annotations

from flask import Flask


def init_api(app: Flask) -> None:
    """Register the API blueprints."""
