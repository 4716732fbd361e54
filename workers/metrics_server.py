"""The Celery worker's own /metrics (deliveries, the limiter's wait …): prometheus_client's HTTP server, started when
the worker starts, on WORKER_METRICS_HOST:WORKER_METRICS_PORT (loopback by default; it has no token check, so bind it
to an address only the scraper reaches). With PROMETHEUS_MULTIPROC_DIR set (a prefork pool) it serves what every
process of that directory counted."""
from __future__ import annotations

import logging

from celery.signals import worker_init
from flask import Flask
from prometheus_client import start_http_server

from medsync import metrics

log = logging.getLogger(__name__)


def serve_worker_metrics(flask_app: Flask) -> None:
    """Start the metrics server when a worker of this app starts (not in beat, not in other commands)."""
    settings = flask_app.config["SETTINGS"]

    @worker_init.connect(weak=False, dispatch_uid="medsync.worker_metrics")
    def _serve(**_: object) -> None:
        if not settings.WORKER_METRICS_PORT:
            return
        try:
            start_http_server(settings.WORKER_METRICS_PORT, addr=settings.WORKER_METRICS_HOST,
                              registry=metrics.scrape_registry(settings.PROMETHEUS_MULTIPROC_DIR))
        except OSError as exc:  # the port is taken (a second worker on this machine): deliver anyway
            log.warning("the worker's metrics are not served: %s:%s is unavailable (%s)",
                        settings.WORKER_METRICS_HOST, settings.WORKER_METRICS_PORT, type(exc).__name__)
