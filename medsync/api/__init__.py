"""REST API: the compatible /api surface and the OpenAPI-described /api/v1."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask
from flask_cors import CORS
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

# admin_schedules and admin_patients add their routes to admin's blueprint (before it is registered below).
from medsync.api import (  # noqa: F401
    admin, admin_patients, admin_schedules, bookings, catalog, compat, language, my_data, staff,
)
from medsync.api.auth import caller_language
from medsync.api.limits import init_limiter
from medsync.api.schemas import BookingCreateSchema, ErrorSchema
from medsync.http_errors import http_error_response
from medsync.i18n import add_language_source

SECURITY_SCHEMES = {
    "tma": {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": "Telegram Web App initData: `Authorization: tma <Telegram.WebApp.initData>`.",
    },
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "Staff token from `flask medsync create-staff-token` (with `--role` and `--clinic`: "
                              "that role at those clinics)."},
}


class MedSyncApi(Api):
    """flask-smorest with the one error shape (its handler answers exactly like the app's)."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):
        return http_error_response(error)


def init_api(app: Flask) -> MedSyncApi:
    """Register CORS, the rate limiter, the compatible blueprint and the /api/v1 blueprints."""
    app.config.update(
        API_TITLE="MedSync API", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1", OPENAPI_JSON_PATH="openapi.json",
    )
    CORS(
        app, resources={r"/api/*": {"origins": [web_app_origin(app.config["WEBAPP_URL"])]}},
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        expose_headers=["Content-Disposition", "Retry-After"], max_age=600,
    )
    init_limiter(app)
    api = MedSyncApi(app, spec_kwargs={"components": {"securitySchemes": SECURITY_SCHEMES}})
    app.extensions["medsync_api"] = api
    # Registered before the blueprints reference it, with the rule between two fields a field cannot state.
    api.spec.components.schema("BookingCreate", BookingCreateSchema.DOCUMENTED, schema=BookingCreateSchema)
    api.spec.components.schema("Caller", staff.CallerSchema.DOCUMENTED, schema=staff.CallerSchema)
    api.spec.components.schema("StaffBookingCreate", BookingCreateSchema.DOCUMENTED,
                               schema=staff.StaffBookingCreateSchema)
    app.register_blueprint(compat.blueprint)
    api.register_blueprint(catalog.blp)
    api.register_blueprint(bookings.blp)
    api.register_blueprint(my_data.blp)
    api.register_blueprint(language.blp)
    api.register_blueprint(staff.blp)
    api.register_blueprint(admin.blp)
    add_language_source(app, "/api/", caller_language)
    return api


def web_app_origin(url: str) -> str:
    """scheme://host[:port] of the Mini App's URL: the only origin allowed to call the API from a browser."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
