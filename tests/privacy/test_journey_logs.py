"""The logs of a whole patient journey — a Mini App booking with a note, the bot, a result uploaded by staff and
delivered by a real worker, an export, an erasure — carry no name, phone, e-mail, note, Telegram username or byte of
a file."""
from __future__ import annotations

import logging

from medsync.bot import callbacks
from medsync.extensions import db
from medsync.models import Actor, BookingStatus, MessageKind, MessageStatus
from medsync.services import bookings
from tests.bot.conftest import callback_update, message_update
from tests.conftest import next_local_slot
from tests.workers.conftest import message_rows, wait_until

PATIENT_ID = 700_000_321
PERSONAL = ("Olha", "Kobylianska", "+380671112233", "olha@example.com", "allergic to penicillin", "olha_k")
FILE = b"%PDF-1.4\nSECRET-LAB-VALUE hemoglobin 131 g/L\n%%EOF\n"


def test_a_full_journey_leaves_no_personal_detail_or_file_content_in_the_logs(
    worker, telegram_api, client, tma_headers, post_update, make_doctor, upload, caplog
):
    doctor = make_doctor()
    patient = tma_headers(PATIENT_ID, first_name="Olha", last_name="Kobylianska", username="olha_k")
    caplog.set_level(logging.DEBUG)

    booked = client.post("/api/v1/bookings", headers=patient, json={
        "doctor_id": doctor.id, "clinic_id": doctor.clinic_id,
        "starts_at": next_local_slot(doctor.clinic, days_ahead=1).isoformat(),
        "patient": {"first_name": "Olha", "last_name": "Kobylianska", "phone": "+380671112233",
                    "email": "olha@example.com", "message": "allergic to penicillin"}})
    assert booked.status_code == 201
    post_update(message_update(PATIENT_ID, "/bookings"))
    visit = bookings.get_booking_for_staff(booked.get_json()["id"])
    bookings.change_status(visit.id, BookingStatus.ARRIVED, actor=Actor.STAFF, actor_id="staff:desk",
                           now=visit.starts_at)
    db.session.commit()
    assert upload(booked.get_json()["id"], FILE, "olha-kobylianska.pdf").status_code == 201
    assert client.post("/api/v1/me/export", headers=patient).status_code == 202
    wait_until(lambda: {row.kind for row in message_rows() if row.status == MessageStatus.SENT.value} >= {
        MessageKind.RESULT.value, MessageKind.REPLY.value}, timeout=20, what="the result and the export to go out")
    post_update(callback_update(PATIENT_ID, callbacks.my_data_erase_yes.new()))
    assert client.delete("/api/v1/me", headers=patient).status_code == 202

    logged = "\n".join(_everything_logged(caplog.records))
    assert logged  # the journey was logged
    leaked = [detail for detail in (*PERSONAL, "SECRET-LAB-VALUE", "hemoglobin") if detail in logged]
    assert leaked == []


def _everything_logged(records: list[logging.LogRecord]) -> list[str]:
    """Each record as any handler could render it: message, arguments, exception and stack."""
    lines = []
    for record in records:
        lines.append(record.getMessage())
        lines.append(repr(record.args))
        if record.exc_info and record.exc_info[1] is not None:
            lines.append(repr(record.exc_info[1]))
        if record.exc_text:
            lines.append(record.exc_text)
    return lines
