"""Liveness and readiness probes."""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from medsync.errors import error_body
from medsync.extensions import db, redis_client
from medsync.task_queue import current_task_queue

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    """The process is up."""
    return jsonify(status="ok")


@blueprint.get("/readyz")
def readyz():
    """200 only when PostgreSQL and Redis answer; 503 naming what is down.

    The Celery broker is reported, not required: without it the web still takes bookings, and what it hands over
    waits in the outbox until the sweep hands it over again (an unready web would turn patients away for nothing).
    """
    down = []
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means not ready
        db.session.rollback()
        down.append("postgresql")
    try:
        redis_client.ping()
    except Exception:  # noqa: BLE001
        down.append("redis")
    if down:
        body = error_body(503, f"Not ready: {', '.join(down)} down.", {name: ["unreachable"] for name in down})
        return jsonify(body), 503
    return jsonify(status="ready", postgresql="ok", redis="ok", broker=_broker())


def _broker() -> str:
    """"ok" when the Celery broker answers a passive look at the default queue, else "down"."""
    try:
        queue = current_task_queue()
        queue.queue_length(queue.celery.conf.task_default_queue)
    except Exception:  # noqa: BLE001 - any failure means the broker did not answer
        return "down"
    return "ok"
