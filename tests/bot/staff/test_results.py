"""A PDF sent by staff in the chat becomes the visit's result, reaches the patient once, and the sender is told."""
from __future__ import annotations

import dataclasses
from datetime import datetime, time

from sqlalchemy import select

from medsync import clock
from medsync.bot.staff import callbacks
from medsync.extensions import db
from medsync.models import Booking, MessageKind, MessageStatus, OutboxMessage, Result
from tests.bot.conftest import callback_update
from tests.bot.staff.conftest import card_message, document_update, uploaded_file
from tests.conftest import PDF
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.workers.conftest import running_worker, wait_until, wait_until_idle

NOT_PDF = "This file is not a PDF. Results are accepted as PDF documents only."


def _visit_today(make_doctor, make_booking) -> Booking:
    doctor = make_doctor()
    day = clock.now().astimezone(doctor.clinic.zone).date()
    return make_booking(doctor=doctor, starts_at=datetime.combine(day, time(10), doctor.clinic.zone))


def _texts_to(telegram_api: FakeTelegramAPI, chat_id: int) -> list[str]:
    return [call.params["text"] for call in telegram_api.calls("sendMessage", chat_id=chat_id, failed=False)]


def test_a_pdf_replied_to_a_visits_card_reaches_the_patient_once_and_the_sender_hears_it_was_delivered(
    app, post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    booking = _visit_today(make_doctor, make_booking)
    member = make_staff(clinics=[booking.clinic])
    post_update(callback_update(member.telegram_id, callbacks.visit_card.new(booking.id, 1)))
    card = card_message(telegram_api.last("editMessageText"), member.telegram_id)
    document = uploaded_file(telegram_api, PDF, "blood-test.pdf")

    with running_worker(app):
        post_update(document_update(member, document, reply_to=card))
        wait_until(lambda: any("was delivered" in text for text in _texts_to(telegram_api, member.telegram_id)),
                   what="the delivered notice")
        wait_until_idle()

    [sent] = telegram_api.calls("sendDocument", chat_id=booking.user_id, failed=False)
    assert sent.files["document"] == ("blood-test.pdf", PDF)
    assert sent.params["protect_content"].lower() == "true"
    # The worker may be quicker than the webhook's own answer: which comes first is not the point.
    stored, delivered = sorted(_texts_to(telegram_api, member.telegram_id), key=lambda text: "was delivered" in text)
    assert stored.startswith(f"📄 The result for visit #{booking.id} (Taras Shevchenko) is stored")
    assert delivered == f"📬 The result for visit #{booking.id} (Taras Shevchenko) was delivered to the patient."
    db.session.expire_all()
    result = db.session.scalar(select(Result))
    assert (result.booking_id, result.uploaded_by) == (booking.id, f"staff:{member.id}")
    notice = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.STAFF_NOTICE.value))
    assert notice.status == MessageStatus.SENT.value


def test_a_pdf_with_the_visit_number_as_its_caption_is_stored_for_that_visit(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    booking = _visit_today(make_doctor, make_booking)
    member = make_staff(clinics=[booking.clinic])

    post_update(document_update(member, uploaded_file(telegram_api, PDF, "ecg.pdf"), caption=f"#{booking.id}"))

    assert db.session.scalar(select(Result.booking_id)) == booking.id
    assert db.session.scalar(select(OutboxMessage.chat_id).where(OutboxMessage.kind == MessageKind.RESULT.value)) == (
        booking.user_id)
    assert [call.method for call in telegram_api.calls()] == ["getFile", "sendMessage"]


def test_a_file_that_is_not_a_pdf_is_refused_with_a_clear_message(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    booking = _visit_today(make_doctor, make_booking)
    member = make_staff(clinics=[booking.clinic])
    document = uploaded_file(telegram_api, b"Hb 135 g/L, all fine", "results.txt")

    post_update(document_update(member, document, caption=str(booking.id)))

    assert _texts_to(telegram_api, member.telegram_id) == [NOT_PDF]
    assert db.session.scalar(select(Result)) is None


def test_a_file_over_the_size_cap_is_refused_before_it_is_fetched(
    app, monkeypatch, post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    settings = dataclasses.replace(app.config["SETTINGS"], RESULT_MAX_BYTES=len(PDF) - 1)
    monkeypatch.setitem(app.config, "SETTINGS", settings)
    booking = _visit_today(make_doctor, make_booking)
    member = make_staff(clinics=[booking.clinic])

    post_update(document_update(member, uploaded_file(telegram_api, PDF, "big.pdf"), caption=str(booking.id)))

    assert _texts_to(telegram_api, member.telegram_id) == [
        f"This file is too large: a result can be at most {len(PDF) - 1} bytes."]
    assert telegram_api.calls("getFile") == []


def test_a_document_that_names_no_visit_or_someone_elses_is_answered_plainly(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    foreign = _visit_today(make_doctor, make_booking)
    member = make_staff()
    document = uploaded_file(telegram_api, PDF, "scan.pdf")

    post_update(document_update(member, document))
    post_update(document_update(member, document, caption=str(foreign.id)))

    assert _texts_to(telegram_api, member.telegram_id) == [
        "To send a result, reply to a visit's card with the PDF, or send the PDF with the visit's number as its "
        "caption (for example 42).",
        f"There is no visit #{foreign.id} among yours.",
    ]
    assert telegram_api.calls("getFile") == [] and db.session.scalar(select(Result)) is None
