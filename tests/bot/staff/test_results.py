"""A PDF sent by staff in the chat becomes the visit's result, reaches the patient once, and the sender is told."""
from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from medsync import clock
from medsync.bot.staff import callbacks
from medsync.extensions import db
from medsync.models import Booking, MessageKind, MessageStatus, OutboxMessage, Result
from medsync.services import bookings
from tests.bot.conftest import button, buttons, callback_update, message_update
from tests.bot.staff.conftest import card_message, document_update, uploaded_file
from tests.conftest import PDF
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.workers.conftest import running_worker, wait_until, wait_until_idle

NOT_PDF = "This file is not a PDF. Results are accepted as PDF documents only."


def _visit_under_way(make_doctor, make_booking, frozen_now) -> Booking:
    """Today's 10:00 visit, and the clock at 10:30: a result can be attached to it."""
    doctor = make_doctor()
    day = clock.now().astimezone(doctor.clinic.zone).date()
    booking = make_booking(doctor=doctor, starts_at=datetime.combine(day, time(10), doctor.clinic.zone))
    frozen_now(booking.starts_at + timedelta(minutes=30))
    return booking


def _open_card(post_update, telegram_api: FakeTelegramAPI, member, booking: Booking) -> dict:
    """Open the visit's card; returns it as a reply_to_message."""
    post_update(callback_update(member.telegram_id, callbacks.visit_card.new(booking.id, 1)))
    return card_message(telegram_api.last("editMessageText"), member.telegram_id)


def _texts_to(telegram_api: FakeTelegramAPI, chat_id: int) -> list[str]:
    return [call.params["text"] for call in telegram_api.calls("sendMessage", chat_id=chat_id, failed=False)]


def test_a_pdf_replied_to_a_visits_card_reaches_the_patient_once_and_the_sender_hears_it_was_delivered(
    app, post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    booking = _visit_under_way(make_doctor, make_booking, frozen_now)
    member = make_staff(clinics=[booking.clinic])
    card = _open_card(post_update, telegram_api, member, booking)
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


def test_a_pdf_with_the_visit_number_as_its_caption_is_stored_once_the_member_confirms_the_patient(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    booking = _visit_under_way(make_doctor, make_booking, frozen_now)
    member = make_staff(clinics=[booking.clinic])
    post_update(document_update(member, uploaded_file(telegram_api, PDF, "ecg.pdf"), caption=f"#{booking.id}"))
    question = telegram_api.last("sendMessage")
    assert question.params["text"] == (f"📄 Send <b>ecg.pdf</b> to <b>Taras Shevchenko</b> as the result of visit "
                                       f"#{booking.id} (Tue, Dec 1 10:00, {booking.service_name})?")
    assert db.session.scalar(select(Result)) is None and telegram_api.calls("getFile") == []
    send = button(question, "📄 Send to the patient")["callback_data"]

    post_update(callback_update(member.telegram_id, send, message_id=question.result["message_id"]))
    post_update(callback_update(member.telegram_id, send, message_id=question.result["message_id"]))

    assert db.session.scalar(select(Result.booking_id)) == booking.id
    assert db.session.scalars(select(OutboxMessage.chat_id).where(
        OutboxMessage.kind == MessageKind.RESULT.value)).all() == [booking.user_id]
    stored = telegram_api.last("editMessageText")
    assert stored.params["text"].startswith(f"📄 The result for visit #{booking.id} (Taras Shevchenko) is stored")
    assert telegram_api.last("answerCallbackQuery").params["text"] == (
        "This PDF is no longer waiting to be sent. If it was not stored, send it again.")
    assert len(telegram_api.calls("getFile")) == 1


def test_a_pdf_named_by_its_caption_is_not_stored_when_the_member_says_dont_send(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    booking = _visit_under_way(make_doctor, make_booking, frozen_now)
    member = make_staff(clinics=[booking.clinic])
    post_update(document_update(member, uploaded_file(telegram_api, PDF, "ecg.pdf"), caption=str(booking.id)))
    question = telegram_api.last("sendMessage")

    post_update(callback_update(member.telegram_id, button(question, "Don't send")["callback_data"],
                                message_id=question.result["message_id"]))
    post_update(callback_update(member.telegram_id, button(question, "📄 Send to the patient")["callback_data"],
                                message_id=question.result["message_id"]))

    assert telegram_api.last("editMessageText").params["text"] == "Not sent: nothing was stored."
    assert db.session.scalar(select(Result)) is None and telegram_api.calls("getFile") == []
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.RESULT.value)) is None


def test_a_file_that_is_not_a_pdf_is_refused_with_a_clear_message(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    booking = _visit_under_way(make_doctor, make_booking, frozen_now)
    member = make_staff(clinics=[booking.clinic])
    card = _open_card(post_update, telegram_api, member, booking)
    document = uploaded_file(telegram_api, b"Hb 135 g/L, all fine", "results.txt")

    post_update(document_update(member, document, reply_to=card))

    assert _texts_to(telegram_api, member.telegram_id) == [NOT_PDF]
    assert db.session.scalar(select(Result)) is None


def test_a_file_over_the_size_cap_is_refused_before_it_is_fetched(
    app, monkeypatch, post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    settings = dataclasses.replace(app.config["SETTINGS"], RESULT_MAX_BYTES=len(PDF) - 1)
    monkeypatch.setitem(app.config, "SETTINGS", settings)
    booking = _visit_under_way(make_doctor, make_booking, frozen_now)
    member = make_staff(clinics=[booking.clinic])

    post_update(document_update(member, uploaded_file(telegram_api, PDF, "big.pdf"), caption=str(booking.id)))

    assert _texts_to(telegram_api, member.telegram_id) == [
        f"This file is too large: a result can be at most {len(PDF) - 1} bytes."]
    assert telegram_api.calls("getFile") == []


def test_a_document_that_names_no_visit_or_someone_elses_is_answered_plainly(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    foreign = _visit_under_way(make_doctor, make_booking, frozen_now)
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


def test_a_pdf_replied_to_the_day_list_is_refused_and_stores_and_queues_nothing(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    # The list and a card are one message edited in place: /today, open the second visit's card, go back
    # to the day, then reply to that message (the list again) with the second visit's PDF.
    first = _visit_under_way(make_doctor, make_booking, frozen_now)
    member = make_staff(clinics=[first.clinic])
    make_booking(doctor=first.doctor, starts_at=first.starts_at + timedelta(hours=2))
    post_update(message_update(member.telegram_id, "/today"))
    day = telegram_api.last("sendMessage")
    post_update(callback_update(member.telegram_id, buttons(day)[1]["callback_data"],
                                message_id=day.result["message_id"]))
    post_update(callback_update(member.telegram_id,
                                button(telegram_api.last("editMessageText"), "« The day")["callback_data"],
                                message_id=day.result["message_id"]))
    the_list = card_message(telegram_api.last("editMessageText"), member.telegram_id)
    document = uploaded_file(telegram_api, PDF, "second-visit.pdf")

    post_update(document_update(member, document, reply_to=the_list))

    assert _texts_to(telegram_api, member.telegram_id) == [
        "Reply to a visit's card, or send the PDF with the visit number as the caption."]
    assert telegram_api.calls("getFile") == []
    assert db.session.scalar(select(Result)) is None
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.RESULT.value)) is None


def _when(instant: datetime, booking: Booking) -> str:
    """An instant as the staff texts name it: 'Tue, Dec 1 at 10:30', in the visit's clinic time."""
    local = instant.astimezone(booking.clinic.zone)
    return f"{local:%a}, {local:%b} {local.day} at {local:%H:%M}"


def test_the_same_pdf_sent_again_is_not_sent_twice_and_the_member_is_told_it_is_still_on_its_way(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    booking = _visit_under_way(make_doctor, make_booking, frozen_now)
    member = make_staff(clinics=[booking.clinic])
    card = _open_card(post_update, telegram_api, member, booking)
    document = uploaded_file(telegram_api, PDF, "blood-test.pdf")
    post_update(document_update(member, document, reply_to=card))

    post_update(document_update(member, document, reply_to=card))

    result = db.session.scalar(select(Result))
    assert _texts_to(telegram_api, member.telegram_id)[-1] == (
        f"📄 This PDF was already sent for visit #{booking.id} (Taras Shevchenko) on "
        f"{_when(result.created_at, booking)}, so it is not sent again. It is still on its way to the patient; "
        "I will tell you when it is delivered.")
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.kind == MessageKind.RESULT.value)) == 1


def test_the_same_pdf_sent_again_after_it_was_delivered_says_when_the_patient_received_it(
    app, post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    booking = _visit_under_way(make_doctor, make_booking, frozen_now)
    member = make_staff(clinics=[booking.clinic])
    card = _open_card(post_update, telegram_api, member, booking)
    document = uploaded_file(telegram_api, PDF, "blood-test.pdf")
    with running_worker(app):
        post_update(document_update(member, document, reply_to=card))
        wait_until(lambda: any("was delivered" in text for text in _texts_to(telegram_api, member.telegram_id)),
                   what="the delivered notice")
        wait_until_idle()

    post_update(document_update(member, document, reply_to=card))

    result = db.session.scalar(select(Result))
    assert _texts_to(telegram_api, member.telegram_id)[-1] == (
        f"📄 This PDF was already sent for visit #{booking.id} (Taras Shevchenko) on "
        f"{_when(result.created_at, booking)}, so it is not sent again. The patient received it on Tue, Dec 1 at "
        "10:30.")
    assert len(telegram_api.calls("sendDocument", chat_id=booking.user_id)) == 1


def test_a_pdf_for_a_visit_that_has_not_taken_place_yet_is_refused_before_it_is_fetched(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    booking = make_booking(doctor=make_doctor())  # tomorrow at 10:00
    member = make_staff(clinics=[booking.clinic])
    card = _open_card(post_update, telegram_api, member, booking)
    document = uploaded_file(telegram_api, PDF, "blood-test.pdf")

    post_update(document_update(member, document, reply_to=card))
    post_update(document_update(member, document, caption=str(booking.id)))

    refusal = (f"Visit #{booking.id} has not taken place yet (it is on Wed, Dec 2 at 10:00): a result can be "
               "attached once it has begun.")
    assert _texts_to(telegram_api, member.telegram_id) == [refusal, refusal]
    assert telegram_api.calls("getFile") == [] and db.session.scalar(select(Result)) is None


def test_a_pdf_for_a_visit_cancelled_before_the_member_confirms_it_is_refused_and_nothing_is_stored(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    booking = _visit_under_way(make_doctor, make_booking, frozen_now)
    member = make_staff(clinics=[booking.clinic])
    document = uploaded_file(telegram_api, PDF, "blood-test.pdf")
    post_update(document_update(member, document, caption=str(booking.id)))
    question = telegram_api.last("sendMessage")
    bookings.cancel_by_staff(booking.id, actor_id="staff:desk", reason="The patient asked to cancel")
    db.session.commit()

    post_update(callback_update(member.telegram_id, button(question, "📄 Send to the patient")["callback_data"],
                                message_id=question.result["message_id"]))
    post_update(document_update(member, document, caption=str(booking.id)))

    refusal = f"Visit #{booking.id} was cancelled: a result cannot be attached to it."
    assert telegram_api.last("editMessageText").params["text"] == refusal
    assert _texts_to(telegram_api, member.telegram_id)[-1] == refusal
    assert telegram_api.calls("getFile") == [] and db.session.scalar(select(Result)) is None


@pytest.mark.parametrize("telegram_fails", [
    lambda telegram_api: telegram_api.fail_next("getFile", status=500),
    lambda telegram_api: telegram_api.answer_next_raw("getFile", b"<html>Service unavailable</html>"),
    lambda telegram_api: telegram_api.answer_next_raw("getFile", b"<html>Bad gateway</html>", status=502),
    lambda telegram_api: telegram_api.break_next_download(),
], ids=["refused", "not-json", "proxy-page", "download-broken-off"])
def test_a_file_telegram_does_not_hand_over_is_answered_plainly_and_stores_nothing(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff, caplog,
    telegram_fails
):
    booking = _visit_under_way(make_doctor, make_booking, frozen_now)
    member = make_staff(clinics=[booking.clinic])
    card = _open_card(post_update, telegram_api, member, booking)
    document = uploaded_file(telegram_api, PDF, "blood-test.pdf")
    telegram_fails(telegram_api)

    with caplog.at_level(logging.ERROR, logger="medsync"):
        post_update(document_update(member, document, reply_to=card))

    assert _texts_to(telegram_api, member.telegram_id) == [
        "The file could not be fetched from Telegram; please send it again."]
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []
    assert db.session.scalar(select(Result)) is None
