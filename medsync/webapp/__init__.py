"""The Mini App under /app/: server-rendered catalog pages, a little JavaScript calling /api/v1 for the patient."""
from __future__ import annotations

from flask import Flask, redirect, url_for
from flask.typing import ResponseReturnValue

from medsync import formats
from medsync.i18n import add_language_source
from medsync.webapp import assets, compression, staff_catalog, staff_pages, staff_schedules  # noqa: F401 - adds staff pages
from medsync.webapp.views import blueprint, cookie_language


def init_webapp(app: Flask) -> None:
    """Register the Mini App's blueprint, its asset URLs and compression; `/` leads to it."""
    assets.init_assets(app)
    app.jinja_env.globals.update(money=formats.money, number=formats.number)
    compression.init_compression(app)
    app.register_blueprint(blueprint)
    app.register_blueprint(staff_pages.blueprint)
    add_language_source(app, blueprint.url_prefix, cookie_language)
    app.add_url_rule("/", "root", _to_the_mini_app)


def _to_the_mini_app() -> ResponseReturnValue:
    """A newcomer opening the service's root lands on the Mini App's home."""
    return redirect(url_for("webapp.home"))
