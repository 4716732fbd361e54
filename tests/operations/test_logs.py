"""Logs: one JSON object per line with the request, update, task and booking ids (LOG_FORMAT=json), never anything
personal or secret, even at DEBUG; request ids taken from X-Request-ID when sane and returned."""
from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import requests
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bench.server import app_env, gunicorn
from medsync.bot import callbacks
from medsync.extensions import db
from medsync.logs import log_handler
from medsync.models import MessageKind, MessageStatus
from tests.api.conftest import v1_booking_body
from tests.bot.conftest import callback_update
from tests.conftest import BOT_TOKEN, WEBHOOK_SECRET, _test_db_name, _test_redis_url, next_local_slot
from tests.support.database import database_url
from tests.workers.conftest import message_rows, wait_for_status

ROOT = Path(__file__).resolve().parents[2]
PATIENT_ID = 700_000_001
NAME = {"first_name": "Zinoviia", "last_name": "Kvitkovska"}
PHONE = "+380671112233"
EMAIL = "zinoviia.k@example.com"
NOTE = "Allergic to penicillin"


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Everything logged in this process at DEBUG, through the handler LOG_FORMAT=json installs (after any in-process
    Celery worker started: a test worker sets up Celery's own logging, replacing the root logger's handlers)."""
    stream = io.StringIO()
    handler = log_handler("json", stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def test_a_journeys_json_logs_carry_the_ids_and_nothing_personal_or_secret(
    client, worker, json_logs, telegram_api, make_doctor, init_data, post_update, staff_headers, staff_token
):
    doctor = make_doctor()
    signed = init_data(PATIENT_ID, username="zinoviia_k", **NAME)
    body = v1_booking_body(doctor, next_local_slot(doctor.clinic, days_ahead=3))
    body["patient"] = {**NAME, "phone": PHONE, "email": EMAIL, "message": NOTE}

    booked = client.post("/api/v1/bookings", json=body,
                         headers={"Authorization": f"tma {signed}", "X-Request-ID": "journey-request-1"})
    wait_for_status(message_rows(MessageKind.CONFIRMATION)[0].id, MessageStatus.SENT)
    booking_id = booked.get_json()["id"]
    update = callback_update(PATIENT_ID, callbacks.booking_cancel_yes.new(booking_id, "upcoming", 1))
    update["callback_query"]["from"].update(username="zinoviia_k", **NAME)
    post_update(update)
    wait_for_status(message_rows(MessageKind.CANCELLATION)[0].id, MessageStatus.SENT)
    staff_read = client.get("/api/v1/staff/deliveries/failed", headers=staff_headers)

    text = json_logs.getvalue()
    records = [json.loads(line) for line in text.splitlines()]
    assert (booked.status_code, staff_read.status_code) == (201, 200)
    secrets = [*NAME.values(), "zinoviia_k", PHONE, PHONE.lstrip("+"), EMAIL, NOTE, BOT_TOKEN, BOT_TOKEN.split(":")[1],
               WEBHOOK_SECRET, staff_token, signed, parse_qs(signed)["hash"][0]]
    assert [secret for secret in secrets if secret in text] == []
    assert any(record.get("request_id") == "journey-request-1" and record.get("booking_id") == booking_id
               for record in records)
    assert any(record.get("update_id") == update["update_id"] and record.get("booking_id") == booking_id
               for record in records)
    assert any(record.get("task_id") not in (None, "local") and record.get("booking_id") == booking_id
               for record in records)
    assert {"time", "level", "logger", "message"} <= set(records[0])


def test_a_failed_statements_text_does_not_list_its_parameters(app_context):
    # Celery logs a failed task's exception text, and SQLAlchemy's would end with the statement's parameters.
    with pytest.raises(DBAPIError) as failure:
        db.session.execute(text("SELECT 1 / 0 WHERE CAST(:phone AS text) IS NOT NULL"), {"phone": PHONE})
    db.session.rollback()

    assert PHONE not in str(failure.value)


def test_a_sane_x_request_id_is_kept_and_returned(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c:01.2"})

    assert response.headers["X-Request-ID"] == "lb-7f3a9c:01.2"


@pytest.mark.parametrize("given", [None, "", "x" * 65, "id with spaces", "id\tforged", "<script>", "-leading"])
def test_a_missing_or_odd_x_request_id_is_replaced_by_a_new_one(client, given):
    headers = {"X-Request-ID": given} if given is not None else {}

    first = client.get("/healthz", headers=headers).headers["X-Request-ID"]
    second = client.get("/healthz", headers=headers).headers["X-Request-ID"]

    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second


def _app_process_logs(log_format: str | None) -> list[str]:
    """What a fresh process that builds the app logs (its start-up warning about the missing BOT_TOKEN)."""
    env = {**os.environ, "LOG_LEVEL": "INFO"}
    env.pop("LOG_FORMAT", None)
    if log_format is not None:
        env["LOG_FORMAT"] = log_format
    script = "from medsync import create_app; create_app()"
    finished = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=60, check=True)
    return finished.stderr.splitlines()


def test_log_format_json_makes_the_app_log_one_json_object_per_line():
    lines = _app_process_logs("json")

    records = [json.loads(line) for line in lines]
    assert [(record["level"], record["logger"]) for record in records] == [("WARNING", "medsync")]
    assert records[0]["message"].startswith("BOT_TOKEN is not set")


def test_plain_text_stays_the_default():
    lines = _app_process_logs(None)

    assert len(lines) == 1 and " WARNING medsync: BOT_TOKEN is not set" in lines[0]


def test_a_celery_worker_with_log_format_json_logs_json_with_its_task_and_booking_ids(
    app, telegram_api, make_booking, tmp_path
):
    settings = app.config["SETTINGS"]
    env = {
        **os.environ, "DATABASE_URL": settings.DATABASE_URL, "REDIS_URL": settings.REDIS_URL,
        "TELEGRAM_API_URL": settings.TELEGRAM_API_URL, "BOT_TOKEN": settings.BOT_TOKEN,
        "LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG",
    }
    logged = tmp_path / "worker.log"
    with logged.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "celery_app", "worker", "--pool", "threads", "--concurrency", "2",
             "--hostname", "json-logs@medsync-tests", "--without-heartbeat", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
        )
        try:
            booking = make_booking()
            wait_for_status(message_rows(MessageKind.CONFIRMATION)[0].id, MessageStatus.SENT, timeout=30)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    output = logged.read_text()

    records = [json.loads(line) for line in output.splitlines() if line.strip()]
    delivered = [record for record in records if record["logger"] == "workers.delivery"]
    assert delivered and delivered[0]["booking_id"] == booking.id and delivered[0]["task_id"] != "local"
    assert booking.patient_phone not in output and BOT_TOKEN not in output


def test_gunicorn_with_log_format_json_logs_its_own_lines_and_the_requests_as_json(app, tmp_path):
    logged = tmp_path / "gunicorn.log"
    env = {**app_env(database_url(_test_db_name()), "http://127.0.0.1:9", redis_url=_test_redis_url()),
           "LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG"}

    with logged.open("w") as log, gunicorn(env, "--workers", "1", log=log) as server:
        requests.get(f"{server.base}/healthz", headers={"X-Request-ID": "gunicorn-json-1"}, timeout=5)

    records = [json.loads(line) for line in logged.read_text().splitlines()]
    assert any(record["logger"] == "gunicorn.error" and record["message"].startswith("Booting worker")
               for record in records)
    answered = [record["message"] for record in records if record.get("request_id") == "gunicorn-json-1"]
    assert len(answered) == 1 and answered[0].startswith("GET /healthz answered 200 in ")
