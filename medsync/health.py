"""Liveness and readiness probes."""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from medsync.errors import error_body
from medsync.extensions import db, redis_client

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    """The process is up."""
    return jsonify(status="ok")


@blueprint.get("/readyz")
def readyz():
    """200 only when PostgreSQL and Redis answer; 503 naming what is down."""
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
    return jsonify(status="ready", postgresql="ok", redis="ok")
