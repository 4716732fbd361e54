"""What the patient can do from the messages the workers send: confirmation, move, cancellation, reminder.

Each message is delivered by a real Celery worker to the fake Bot API; its buttons lead into the bot's own
handlers (callback data of the existing factories) and the Mini App's own pages.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from medsync.bot import callbacks
from medsync.extensions import db
from medsync.models import Booking
from medsync.services import bookings
from tests.bot.conftest import button, buttons, callback_update, inline_keyboard, post_update  # noqa: F401 - a fixture
from tests.conftest import WEBAPP_URL, next_local_slot
from tests.fakes.telegram_api import Call, FakeTelegramAPI
from tests.workers.conftest import running_worker, wait_until

pytestmark = pytest.mark.both_brokers  # the delivery tests run on Redis and on RabbitMQ


def sent_to(telegram_api: FakeTelegramAPI, chat_id: int, fragment: str) -> Call:
    """The first message sent to this chat whose text holds `fragment`, once it arrives."""
    found: list[Call] = []

    def arrived() -> bool:
        found[:] = [call for call in telegram_api.calls("sendMessage", chat_id=chat_id, failed=False)
                    if fragment in call.params["text"]]
        return bool(found)

    wait_until(arrived, what=f"a message with {fragment!r}")
    return found[0]


def clinic_time(starts_at: datetime) -> str:
    """How a visit's start reads in the chat in English: the wall clock and city of the clinic (in Kyiv, as made by the
    tests)."""
    local = starts_at.astimezone(ZoneInfo("Europe/Kyiv"))
    return f"{local:%A}, {local:%B} {local.day}, {local.year}, {local:%H:%M} (Kyiv)"


def keyboard_of(call: Call) -> list[list[tuple[str, str]]]:
    """Each button as (text, where it leads): its callback data, or the Mini App page it opens."""
    return [[(item["text"], item.get("callback_data") or item["web_app"]["url"]) for item in row]
            for row in inline_keyboard(call)]


def booked_buttons(booking: Booking) -> list[list[tuple[str, Any]]]:
    return [
        [("Cancel", f"bc:{booking.id}:upcoming:1"), ("Reschedule", f"{WEBAPP_URL}/reschedule/{booking.id}")],
        [("Open booking", f"bd:{booking.id}:upcoming:1"), ("Add to calendar", f"bi:{booking.id}")],
        [("My bookings", "mb")],
    ]


def test_a_confirmation_offers_cancel_reschedule_calendar_and_my_bookings(worker, telegram_api, make_booking):
    booking = make_booking()

    confirmation = sent_to(telegram_api, booking.user_id, "Your visit is booked")

    assert clinic_time(booking.starts_at) in confirmation.params["text"]
    assert keyboard_of(confirmation) == booked_buttons(booking)


def test_a_move_names_the_old_and_the_new_time_in_clinic_time_with_buttons_for_the_new_booking(
    worker, telegram_api, make_booking, make_doctor
):
    doctor = make_doctor()
    old_start = next_local_slot(doctor.clinic, days_ahead=2, hour=10)
    new_start = next_local_slot(doctor.clinic, days_ahead=3, hour=11)
    booking = make_booking(doctor=doctor, starts_at=old_start)
    sent_to(telegram_api, booking.user_id, "Your visit is booked")

    moved = bookings.reschedule(booking.id, user_id=booking.user_id, starts_at=new_start)
    db.session.commit()

    message = sent_to(telegram_api, booking.user_id, "moved")
    assert message.params["text"] == (
        "🔁 Your visit has been moved.\n\n"
        f"<b>{doctor.full_name}</b>\n"
        f"🗓 From: <s>{clinic_time(old_start)}</s>\n"
        f"🗓 To: <b>{clinic_time(new_start)}</b>\n"
        f"🏥 {doctor.clinic.name}, {doctor.clinic.address}"
    )
    assert keyboard_of(message) == booked_buttons(moved)


def test_a_cancellation_by_the_patient_confirms_it_and_offers_to_book_the_doctor_again(
    worker, telegram_api, make_booking
):
    booking = make_booking()
    sent_to(telegram_api, booking.user_id, "Your visit is booked")

    bookings.cancel(booking.id, user_id=booking.user_id)
    db.session.commit()

    message = sent_to(telegram_api, booking.user_id, "cancelled")
    assert message.params["text"].startswith("❌ Your visit is cancelled, as you asked.")
    assert clinic_time(booking.starts_at) in message.params["text"]
    assert "clinic has cancelled" not in message.params["text"]
    assert keyboard_of(message) == [
        [("📅 Book again", f"{WEBAPP_URL}/doctors/{booking.doctor_id}/book")],
        [("My bookings", "mb")],
    ]


def test_a_cancellation_by_the_clinic_says_so_and_why_and_offers_to_book_the_test_again(
    worker, telegram_api, client, staff_headers, make_booking, make_diagnostic, make_clinic
):
    clinic = make_clinic()
    diagnostic = make_diagnostic(clinics=[clinic])
    booking = make_booking(diagnostic_id=diagnostic.id, clinic_id=clinic.id)
    sent_to(telegram_api, booking.user_id, "Your visit is booked")

    response = client.post(f"/api/v1/staff/bookings/{booking.id}/status", headers=staff_headers,
                           json={"status": "cancelled", "reason": "The MRI scanner is out of order & being fixed"})
    assert response.status_code == 200

    message = sent_to(telegram_api, booking.user_id, "cancelled")
    assert message.params["text"].startswith(
        "❌ The clinic has cancelled your visit.\nReason: The MRI scanner is out of order &amp; being fixed\n\n"
        f"<b>{diagnostic.name}</b>\n🗓 {clinic_time(booking.starts_at)}\n"
    )
    assert keyboard_of(message) == [
        [("📅 Book again", f"{WEBAPP_URL}/diagnostics/{diagnostic.id}/clinics/{clinic.id}/book")],
        [("My bookings", "mb")],
    ]


def test_the_cancel_button_of_a_confirmation_opens_the_bots_cancel_question_for_its_owner_only(
    worker, telegram_api, make_booking, make_user, post_update
):
    owner = make_user()
    booking = make_booking(user=owner)
    confirmation = sent_to(telegram_api, owner.telegram_id, "Your visit is booked")
    pressed = button(confirmation, "Cancel")["callback_data"]
    assert callbacks.booking_cancel_ask.parse(pressed)["booking_id"] == str(booking.id)

    post_update(callback_update(make_user(), pressed, message_id=confirmation.result["message_id"]))
    assert telegram_api.last("answerCallbackQuery").params["text"] == "Not found."
    post_update(callback_update(owner, pressed, message_id=confirmation.result["message_id"]))

    question = telegram_api.last("editMessageText")
    assert question.params["message_id"] == str(confirmation.result["message_id"])
    assert f"Booking #{booking.id}" in question.params["text"] and "Cancel this booking?" in question.params["text"]
    post_update(callback_update(owner, button(question, "Yes, cancel")["callback_data"]))
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "cancelled"


def test_the_open_button_of_a_confirmation_shows_the_booking_as_my_bookings_does(
    worker, telegram_api, make_booking, make_user, post_update
):
    owner = make_user()
    booking = make_booking(user=owner)
    confirmation = sent_to(telegram_api, owner.telegram_id, "Your visit is booked")

    post_update(callback_update(owner, button(confirmation, "Open booking")["callback_data"],
                                message_id=confirmation.result["message_id"]))

    card = telegram_api.last("editMessageText")
    assert card.params["message_id"] == str(confirmation.result["message_id"])
    assert f"Booking #{booking.id}" in card.params["text"] and "Booked" in card.params["text"]
    assert [item["text"] for item in buttons(card)] == ["Cancel", "Reschedule", "Add to calendar", "Back"]


def test_inside_the_cancel_cutoff_a_confirmation_offers_no_cancel_or_reschedule(
    app, telegram_api, make_booking, frozen_now
):
    booking = make_booking()  # tomorrow at 10:00 in the clinic, booked at the frozen now
    frozen_now(booking.starts_at - timedelta(hours=1))  # delivered late: the cutoff (2 h) has begun

    with running_worker(app):
        confirmation = sent_to(telegram_api, booking.user_id, "Your visit is booked")

    assert confirmation.params["text"].endswith(
        "It is too late to cancel or move this visit online. To change it, please call the clinic."
    )
    assert keyboard_of(confirmation) == [
        [("Open booking", f"bd:{booking.id}:upcoming:1"), ("Add to calendar", f"bi:{booking.id}")], [("My bookings", "mb")]
    ]


def test_a_reminder_offers_ill_come_cancel_and_reschedule_but_inside_the_cutoff_only_ill_come(
    app, telegram_api, make_booking, frozen_now, sweep
):
    booking = make_booking()
    with running_worker(app):
        sent_to(telegram_api, booking.user_id, "Your visit is booked")
        frozen_now(booking.starts_at - timedelta(hours=23))  # the 24 h reminder is due
        sweep()
        early = sent_to(telegram_api, booking.user_id, "Reminder")
        frozen_now(booking.starts_at - timedelta(hours=1, minutes=59))  # the 2 h one: inside the cutoff
        sweep()
        wait_until(lambda: len([call for call in telegram_api.calls("sendMessage", chat_id=booking.user_id)
                                if "Reminder" in call.params["text"]]) == 2, what="the second reminder")
    late = [call for call in telegram_api.calls("sendMessage", chat_id=booking.user_id)
            if "Reminder" in call.params["text"]][1]

    assert keyboard_of(early) == [
        [("✅ I'll come", f"rc:{booking.id}"), ("❌ Cancel", f"rx:{booking.id}")],
        [("Reschedule", f"{WEBAPP_URL}/reschedule/{booking.id}")],
    ]
    assert keyboard_of(late) == [[("✅ I'll come", f"rc:{booking.id}")]]
