"""Download my data: asked for from the API, the Mini App or /mydata, at most once an hour; a worker builds a ZIP (one
JSON of profile, bookings with their history, messages and results, plus the result PDFs) that reaches the chat through
the outbox and can be saved in the Mini App."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from medsync import clock
from medsync.bot import callbacks
from medsync.extensions import db
from medsync.models import DataExport, MessageKind, OutboxMessage
from medsync.services import bookings, results
from tests.bot.conftest import callback_update
from tests.conftest import FROZEN_NOW, PDF, next_local_slot
from tests.workers.conftest import wait_until
from workers.privacy import build_export

PATIENT_ID = 700_000_001


@pytest.fixture
def history(make_user, make_doctor, make_visit, make_booking):
    """A past visit with its result, and an upcoming visit."""
    user = make_user(telegram_id=PATIENT_ID)
    doctor = make_doctor()
    past = make_visit(user=user, doctor=doctor, starts_at=next_local_slot(doctor.clinic, days_ahead=1))
    result = results.store_result(past.id, content=PDF, file_name="blood.pdf", now=past.starts_at)
    upcoming = make_booking(user=user, doctor=doctor, starts_at=next_local_slot(doctor.clinic, days_ahead=3))
    db.session.commit()
    return {"past": past, "result": result, "upcoming": upcoming}


def test_an_export_holds_the_json_and_the_result_pdfs_and_is_queued_to_the_chat(client, tma_headers, history,
                                                                                 frozen_now):
    headers = tma_headers(PATIENT_ID)

    asked = client.post("/api/v1/me/export", headers=headers)
    assert asked.status_code == 202 and asked.get_json()["status"] == "pending"
    assert client.get("/api/v1/me/export/file", headers=headers).status_code == 404  # not built yet

    assert build_export(asked.get_json()["id"]) is True
    assert build_export(asked.get_json()["id"]) is False  # twice is once

    assert client.get("/api/v1/me/export", headers=headers).get_json()["status"] == "ready"
    saved = client.get("/api/v1/me/export/file", headers=headers)
    assert saved.status_code == 200 and saved.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(saved.data))
    result = history["result"]
    assert sorted(archive.namelist()) == ["data.json", f"results/{result.id}-blood.pdf"]
    assert archive.read(f"results/{result.id}-blood.pdf") == PDF
    data = json.loads(archive.read("data.json"))
    assert data["profile"]["telegram_id"] == PATIENT_ID
    assert [booking["id"] for booking in data["bookings"]] == [history["past"].id, history["upcoming"].id]
    assert [step["action"] for step in data["bookings"][0]["history"]] == ["booked", "arrived", "result_uploaded"]
    assert data["bookings"][0]["patient"]["phone"] == "+380501234567"
    assert {message["kind"] for message in data["messages"]} >= {"confirmation", "result"}
    assert data["results"][0]["sha256"] == result.sha256 and data["results"][0]["file"] == f"results/{result.id}-blood.pdf"
    queued = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"export:{asked.get_json()['id']}"))
    assert (queued.kind, queued.chat_id, queued.payload["reply"]["method"]) == (
        MessageKind.REPLY.value, PATIENT_ID, "sendDataExport")
    stored = db.session.get(DataExport, asked.get_json()["id"])
    assert b"data.json" not in (results.file_path(result).parent.parent / stored.storage_path).read_bytes()


def test_at_most_one_export_an_hour_then_429_with_retry_after(client, tma_headers, history, frozen_now):
    headers = tma_headers(PATIENT_ID)
    assert client.post("/api/v1/me/export", headers=headers).status_code == 202

    frozen_now(FROZEN_NOW + timedelta(minutes=20))
    again = client.post("/api/v1/me/export", headers=tma_headers(PATIENT_ID))

    assert again.status_code == 429
    assert again.headers["Retry-After"] == str(40 * 60)
    assert again.get_json()["message"] == ("You asked for your data less than an hour ago. You can ask again in "
                                           "40 minutes.")
    frozen_now(FROZEN_NOW + timedelta(hours=1))
    assert client.post("/api/v1/me/export", headers=tma_headers(PATIENT_ID)).status_code == 202


def test_only_the_caller_sees_their_export_and_forged_init_data_is_refused(client, tma_headers, history, frozen_now):
    asked = client.post("/api/v1/me/export", headers=tma_headers(PATIENT_ID)).get_json()
    build_export(asked["id"])
    forged = {"Authorization": tma_headers(PATIENT_ID)["Authorization"].replace("hash=", "hash=0")}

    assert client.post("/api/v1/me/export", headers=forged).status_code == 401
    assert client.get("/api/v1/me/export/file", headers=forged).status_code == 401
    assert client.get("/api/v1/me/export/file", headers=tma_headers(700_000_099)).status_code == 404
    assert client.get("/api/v1/me/export", headers=tma_headers(700_000_099)).status_code == 404


def test_the_export_reaches_the_chat_as_a_protected_zip(worker, telegram_api, client, tma_headers, history):
    asked = client.post("/api/v1/me/export", headers=tma_headers(PATIENT_ID))
    assert asked.status_code == 202

    # Built by the worker the commit handed it to; sent by the delivery the build queued.
    def zips():
        return [call for call in telegram_api.calls("sendDocument", chat_id=PATIENT_ID, failed=False)
                if call.files["document"][0].endswith(".zip")]

    wait_until(lambda: zips(), timeout=30, what="the export's ZIP in the chat")  # the result's PDF goes out too
    call = zips()[0]
    assert call.params["protect_content"].lower() == "true"
    assert call.files["document"][0] == f"medsync-my-data-{clock.now().date().isoformat()}.zip"
    assert zipfile.ZipFile(io.BytesIO(call.files["document"][1])).read(
        f"results/{history['result'].id}-blood.pdf") == PDF


def test_the_bots_download_button_asks_for_an_export_once_an_hour(post_update, telegram_api, history, frozen_now):
    post_update(callback_update(PATIENT_ID, callbacks.my_data_export.new()))
    first = telegram_api.last("answerCallbackQuery").params
    post_update(callback_update(PATIENT_ID, callbacks.my_data_export.new()))
    second = telegram_api.last("answerCallbackQuery").params

    assert first["text"].startswith("We are preparing your data.")
    assert second["text"].startswith("You asked for your data less than an hour ago.")
    assert len(db.session.scalars(select(DataExport)).all()) == 1


def test_a_cancelled_booking_shows_its_history_in_the_export(client, tma_headers, history, frozen_now):
    bookings.cancel(history["upcoming"].id, user_id=PATIENT_ID, reason="moving away")
    db.session.commit()
    asked = client.post("/api/v1/me/export", headers=tma_headers(PATIENT_ID)).get_json()
    build_export(asked["id"])

    saved = client.get("/api/v1/me/export/file", headers=tma_headers(PATIENT_ID))

    data = json.loads(zipfile.ZipFile(io.BytesIO(saved.data)).read("data.json"))
    upcoming = next(booking for booking in data["bookings"] if booking["id"] == history["upcoming"].id)
    assert [(step["action"], step["by"], step["reason"]) for step in upcoming["history"]] == [
        ("booked", "patient", None), ("cancelled", "patient", "moving away")]
