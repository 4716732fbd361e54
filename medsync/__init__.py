"""MedSync: a Telegram-first clinic booking service."""
from __future__ import annotations

import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, scoped_session
from werkzeug.middleware.proxy_fix import ProxyFix

from medsync.config import Settings, load_settings
from medsync.error_reports import init_error_reports
from medsync.logs import configure_logging

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
# A pooled connection idle longer than this is pinged (SELECT 1) before use; one in steady use is not.
PING_IDLE_AFTER_SECONDS = 1.0


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; `config` overrides settings (typed values) for tests and tools."""
    settings = load_settings(**(config or {}))
    from medsync.services.result_files import check_key

    check_key(settings)  # no key, or keys that cannot read the stored files: refuse to start, never write plain files
    app = Flask(__name__)
    _configure(app, settings)
    if settings.TRUSTED_PROXIES:
        hops = settings.TRUSTED_PROXIES
        # Not X-Forwarded-Prefix: the Mini App's pages and scripts address /app and /api at the root.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)

    from medsync import cli, health, prepared
    from medsync.api import init_api
    from medsync.bot import init_bot
    from medsync.extensions import celery_init_app, db, migrate, redis_client
    from medsync.http_errors import register_error_handlers
    from medsync.i18n import init_i18n
    from medsync.log_context import init_request_ids
    from medsync.monitoring import init_monitoring
    from medsync.task_queue import init_task_queue
    from medsync.webapp import init_webapp

    init_monitoring(app)  # first: its clock starts before any other before_request hook runs
    init_request_ids(app)
    db.init_app(app)
    with app.app_context():
        _ping_idle_connections(db.engine)
        prepared.watch_for_lost_statements(db.engine)
    _install_session_hooks(db.session)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True)
    redis_client.init_app(app)
    celery_init_app(app)
    init_task_queue(app)
    register_error_handlers(app)
    init_i18n(app)
    app.register_blueprint(health.blueprint)
    init_api(app)
    init_bot(app)
    init_webapp(app)
    app.cli.add_command(cli.medsync)
    if not settings.BOT_TOKEN:
        log.warning("BOT_TOKEN is not set: the Telegram bot is disabled; the API still serves")
    return app


def _configure(app: Flask, settings: Settings) -> None:
    configure_logging(settings)
    init_error_reports(settings)
    app.config.update(asdict(settings))
    app.config["SETTINGS"] = settings
    app.config["SQLALCHEMY_DATABASE_URI"] = sqlalchemy_url(settings.DATABASE_URL)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "pool_size": settings.SQLALCHEMY_POOL_SIZE,
        "max_overflow": settings.SQLALCHEMY_MAX_OVERFLOW,
        # Not pool_pre_ping (a SELECT 1 round trip on every checkout, ~a tenth of a booking): idle connections
        # are pinged (_ping_idle_connections); one that dies in use invalidates the pool and the request is a 503.
        "pool_recycle": 1800,
        # Fail fast (readiness answers 503) instead of waiting for a TCP timeout on a dead host.
        "connect_args": {"connect_timeout": 3},
        # A statement's parameters are patients' names, phones and notes: SQLAlchemy does not append them to an
        # exception's text (Celery logs a failed task's) nor to SQL logged by whoever turns its engine logger on.
        "hide_parameters": True,
    }
    # Every body is small JSON (or a Telegram update); only the staff result upload raises its own cap.
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.config["JSON_SORT_KEYS"] = False
    app.json.sort_keys = False
    app.config["CELERY"] = celery_config(settings)
    if settings.PROMETHEUS_MULTIPROC_DIR:
        # prometheus_client writes there from the first count on; gunicorn's on_starting empties it once per run.
        Path(settings.PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)


def _install_session_hooks(sessions: scoped_session[Session]) -> None:
    """What a transaction notes as it writes and hands over once it commits, in the order the hooks run."""
    from medsync.services import (
        after_commit, catalog, changes, data_export, erasure, outbox, reminder_runs, result_files,
    )

    hooks = after_commit.Hooks(sessions)
    changes.register_hooks(hooks)
    result_files.register_hooks(hooks)
    erasure.register_hooks(hooks)
    data_export.register_hooks(hooks)
    catalog.register_hooks(hooks)
    outbox.register_hooks(hooks)
    reminder_runs.register_hooks(hooks)


def _ping_idle_connections(engine: Engine) -> None:
    """pool_pre_ping for connections idle longer than PING_IDLE_AFTER_SECONDS only.

    After a PostgreSQL restart an idle pool reconnects transparently (a failed ping is a DisconnectionError:
    the pool replaces the connection). A connection in steady use fails its next statement instead; SQLAlchemy
    then invalidates the whole pool, so only requests already holding a connection fail (503, not retried).
    """

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _note_idle_since(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("idle_since", 0.0) < PING_IDLE_AFTER_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)  # as pool_pre_ping does: in autocommit, no transaction left open
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("the pooled connection is gone") from exc


def sqlalchemy_url(database_url: str) -> str:
    """The stack's driver is psycopg2; SQLAlchemy 2.1 would otherwise pick psycopg 3 for postgresql://."""
    for prefix in ("postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg2://" + database_url[len(prefix):]
    return database_url


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery on its broker (REDIS_URL unless CELERY_BROKER_URL says otherwise): late acks, one message at a time,
    nothing lost when a worker dies; beat's schedule."""
    from celery.schedules import crontab

    return {
        "broker_url": settings.CELERY_BROKER_URL or settings.REDIS_URL,
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # Longer than any task runs; unacked messages come back after it. Never used for delays: a
        # retry waits at most a minute as a countdown, anything later is found by the sweep.
        "broker_transport_options": {"visibility_timeout": 3600},
        "broker_connection_retry_on_startup": True,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "task_default_queue": "medsync",
        "imports": ("workers",),
        "timezone": "UTC",
        "enable_utc": True,
        "beat_schedule": {
            # Due reminders, retries that came due, and anything enqueued but lost (or never enqueued).
            "sweep-outbox": {
                "task": "workers.delivery.sweep_outbox", "schedule": settings.OUTBOX_SWEEP_INTERVAL.total_seconds(),
            },
            "mark-noshows": {"task": "workers.maintenance.mark_noshows", "schedule": crontab(hour=3, minute=0)},
            # Privacy: results, bookings' personal fields and exports past their retention; exports whose hand-over
            # to the workers was lost.
            "apply-retention": {"task": "workers.privacy.apply_retention", "schedule": crontab(hour=3, minute=30)},
            "sweep-exports": {"task": "workers.privacy.sweep_exports", "schedule": 60.0},
            # Staff in Telegram: group digests, and reminder runs whose follow-up was lost.
            "staff-group-digests": {
                "task": "workers.staff_digests.send_group_digests",
                "schedule": settings.STAFF_DIGEST_INTERVAL.total_seconds(),
            },
            "staff-reminder-runs": {
                "task": "workers.reminder_runs.sweep_reminder_runs",
                "schedule": settings.OUTBOX_SWEEP_INTERVAL.total_seconds(),
            },
        },
    }
