"""/metrics for Prometheus, who may read it, and the series every request moves (route template, status, time)."""
from __future__ import annotations

import hmac
import ipaddress
import logging
import time

from flask import Blueprint, Flask, Response, current_app, g, request
from kombu.exceptions import KombuError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis import RedisError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, Unauthorized

from medsync import metrics
from medsync.config import current_settings
from medsync.metrics import Backlog, BacklogCollector
from medsync.services.backlog import read_backlog

log = logging.getLogger(__name__)

blueprint = Blueprint("monitoring", __name__)

# A request that came through a reverse proxy carries one of these; its loopback address is then the proxy's.
_FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")
UNMATCHED_ROUTE = "<unmatched>"


def init_monitoring(app: Flask) -> None:
    """Time every request from the first before_request hook (so register this before any other) to its response."""
    app.before_request(_start_clock)
    app.after_request(_count_request)
    app.register_blueprint(blueprint)


def _start_clock() -> None:
    g.request_started = time.perf_counter()


def _count_request(response: Response) -> Response:
    started = g.get("request_started")
    if started is not None:
        route = request.url_rule.rule if request.url_rule is not None else UNMATCHED_ROUTE
        seconds = time.perf_counter() - started
        metrics.request_answered(route, request.method, response.status_code, seconds)
        # The route's template, not the path: a query string may carry what must not be logged.
        log.debug("%s %s answered %s in %.1f ms", request.method, route, response.status_code, seconds * 1000)
    return response


@blueprint.get("/metrics")
def scrape() -> Response:
    """Every series in the Prometheus text format: from this machine, or with the bearer token."""
    _check_access()
    queue = current_app.config["CELERY"]["task_default_queue"]
    collector = BacklogCollector(lambda: _backlog(queue))
    registry = metrics.scrape_registry(current_settings().PROMETHEUS_MULTIPROC_DIR, collector)
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _backlog(queue: str) -> Backlog | None:
    try:
        return read_backlog(queue)
    except (SQLAlchemyError, RedisError, KombuError) as exc:
        log.warning("/metrics: the backlog could not be read (%s); its series are left out", type(exc).__name__)
        return None


def _check_access() -> None:
    """Loopback answers; from elsewhere only `Authorization: Bearer <METRICS_TOKEN>`, compared in constant time
    (403 without a token configured, 401 for a missing or wrong one)."""
    if _from_this_machine():
        return
    token = current_settings().METRICS_TOKEN
    if not token:
        raise Forbidden("Metrics are served to this machine only.")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Unauthorized("A valid metrics token is required.", www_authenticate=WWWAuthenticate("bearer"))


def _from_this_machine() -> bool:
    """The peer is a loopback address and, unless TRUSTED_PROXIES made it the client's, no proxy forwarded it."""
    try:
        loopback = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False
    forwarded = any(name in request.headers for name in _FORWARDING_HEADERS)
    return loopback and (not forwarded or current_settings().TRUSTED_PROXIES > 0)
