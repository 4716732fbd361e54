""""My bookings": the paged list edited in place, details, cancel with confirmation, the .ics file."""
from __future__ import annotations

from datetime import timedelta

from medsync.bot import callbacks
from medsync.extensions import db
from medsync.models import Booking, BookingEvent, MessageKind, OutboxMessage
from medsync.services import bookings
from tests.bot.conftest import button, buttons, callback_update, inline_keyboard, message_update
from tests.conftest import WEBAPP_URL, next_local_slot
from tests.fakes.telegram_api import MESSAGE_NOT_MODIFIED, FakeTelegramAPI


def _list_message(post_update, telegram_api: FakeTelegramAPI, user) -> tuple[int, object]:
    """Open /bookings; returns the list message's id and its sendMessage call."""
    post_update(message_update(user, "/bookings"))
    sent = telegram_api.last("sendMessage")
    return sent.result["message_id"], sent


def _booking_buttons(call) -> list[str]:
    return [item["text"] for item in buttons(call) if item.get("callback_data", "").startswith("bd:")]


def _reload(booking: Booking) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking.id)


def test_twelve_bookings_show_page_one_of_three_and_next_edits_the_same_message(
    post_update, telegram_api: FakeTelegramAPI, make_user, book_many, frozen_now
):
    user = make_user()
    booked = book_many(user, 12)
    message_id, first_page = _list_message(post_update, telegram_api, user)

    assert len(_booking_buttons(first_page)) == 5
    navigation = [item["text"] for item in inline_keyboard(first_page)[5]]
    assert navigation == ["1/3", "▶"]

    post_update(callback_update(user, button(first_page, "▶")["callback_data"], message_id=message_id))

    [edit] = telegram_api.calls("editMessageText")
    assert edit.params["message_id"] == str(message_id)
    assert [item["text"] for item in inline_keyboard(edit)[5]] == ["◀", "2/3", "▶"]
    assert _booking_buttons(edit)[0].endswith(booked[5].doctor.full_name)
    assert len(telegram_api.calls("answerCallbackQuery")) == 1


def test_a_booking_button_shows_clinic_local_date_time_and_the_doctor(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, make_doctor, frozen_now
):
    user = make_user()
    doctor = make_doctor(full_name="Dr. Iryna Koval")
    make_booking(user=user, doctor=doctor, starts_at=next_local_slot(doctor.clinic, days_ahead=1, hour=10))

    _, sent = _list_message(post_update, telegram_api, user)

    # 10:00 in Kyiv is 08:00 UTC: the patient sees the clinic's time.
    assert _booking_buttons(sent) == ["Wed, Dec 2 10:00 · Dr. Iryna Koval"]
    assert not any(item["text"] == "▶" for item in buttons(sent))


def test_no_bookings_offers_a_button_to_book(post_update, telegram_api: FakeTelegramAPI, make_user):
    user = make_user()

    _, sent = _list_message(post_update, telegram_api, user)

    assert "no upcoming bookings" in sent.params["text"]
    assert button(sent, "Book an appointment")["web_app"]["url"] == f"{WEBAPP_URL}/see_a_doctor"


def test_the_menu_button_opens_the_list(post_update, telegram_api: FakeTelegramAPI, make_user, make_booking,
                                        frozen_now):
    user = make_user()
    make_booking(user=user)

    post_update(callback_update(user, callbacks.open_bookings.new()))

    assert len(_booking_buttons(telegram_api.last("sendMessage"))) == 1
    assert len(telegram_api.calls("answerCallbackQuery")) == 1


def test_the_toggle_shows_past_bookings(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now
):
    user = make_user()
    old = make_booking(user=user)
    frozen_now(old.ends_at + timedelta(days=1))
    message_id, sent = _list_message(post_update, telegram_api, user)
    assert _booking_buttons(sent) == []

    post_update(callback_update(user, button(sent, "Past bookings")["callback_data"], message_id=message_id))

    edit = telegram_api.last("editMessageText")
    assert "past bookings" in edit.params["text"]
    assert len(_booking_buttons(edit)) == 1
    assert button(edit, "Upcoming bookings")


def test_a_moved_booking_is_not_listed_as_a_past_cancelled_visit(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, make_doctor, frozen_now
):
    user = make_user()
    doctor = make_doctor(full_name="Dr. Iryna Koval")
    old = make_booking(user=user, doctor=doctor, starts_at=next_local_slot(doctor.clinic, days_ahead=2, hour=10))
    bookings.reschedule(old.id, user_id=user.telegram_id,
                        starts_at=next_local_slot(doctor.clinic, days_ahead=3, hour=11))
    db.session.commit()
    message_id, sent = _list_message(post_update, telegram_api, user)
    assert len(_booking_buttons(sent)) == 1

    post_update(callback_update(user, button(sent, "Past bookings")["callback_data"], message_id=message_id))

    edit = telegram_api.last("editMessageText")
    assert _booking_buttons(edit) == []
    assert "no past bookings" in edit.params["text"]


def test_details_show_number_service_clinic_local_time_zone_and_status(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now
):
    user = make_user()
    booking = make_booking(user=user)

    post_update(callback_update(user, callbacks.booking_details.new(booking.id, "upcoming", 1)))

    edit = telegram_api.last("editMessageText")
    text = edit.params["text"]
    for expected in (f"#{booking.id}", booking.doctor.full_name, booking.clinic.name, booking.clinic.address,
                     "Wednesday, December 2, 2026, 10:00 (Kyiv)", "Booked"):
        assert expected in text
    assert button(edit, "Reschedule")["web_app"]["url"] == f"{WEBAPP_URL}/reschedule/{booking.id}"
    assert button(edit, "Back")["callback_data"] == callbacks.bookings_page.new("upcoming", 1)
    assert button(edit, "Cancel") and button(edit, "Add to calendar")


def test_back_returns_to_the_page_the_booking_was_opened_from(
    post_update, telegram_api: FakeTelegramAPI, make_user, book_many, frozen_now
):
    user = make_user()
    booked = book_many(user, 7)
    post_update(callback_update(user, callbacks.booking_details.new(booked[6].id, "upcoming", 2)))
    back = button(telegram_api.last("editMessageText"), "Back")["callback_data"]

    post_update(callback_update(user, back))

    edit = telegram_api.last("editMessageText")
    assert [item["text"] for item in inline_keyboard(edit)[2]] == ["◀", "2/2"]


def test_cancel_then_yes_cancels_skips_reminders_and_edits_the_message(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now
):
    user = make_user()
    booking = make_booking(user=user)
    post_update(callback_update(user, callbacks.booking_details.new(booking.id, "upcoming", 1)))
    post_update(callback_update(user, button(telegram_api.last("editMessageText"), "Cancel")["callback_data"]))
    question = telegram_api.last("editMessageText")
    assert "Cancel this booking?" in question.params["text"]
    assert _reload(booking).status == "booked"

    post_update(callback_update(user, button(question, "Yes, cancel")["callback_data"], message_id=42))

    cancelled = _reload(booking)
    assert (cancelled.status, cancelled.cancelled_by) == ("cancelled", "patient")
    reminders = db.session.query(OutboxMessage).filter_by(booking_id=booking.id, kind=MessageKind.REMINDER.value)
    assert {reminder.status for reminder in reminders} == {"skipped"}
    edit = telegram_api.last("editMessageText")
    assert edit.params["message_id"] == "42"
    assert "Your booking is cancelled." in edit.params["text"]
    assert telegram_api.last("answerCallbackQuery").params["text"] == "Your booking is cancelled."


def test_no_keeps_the_booking(post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now):
    user = make_user()
    booking = make_booking(user=user)
    post_update(callback_update(user, callbacks.booking_cancel_ask.new(booking.id, "upcoming", 1)))

    post_update(callback_update(user, button(telegram_api.last("editMessageText"), "No, keep it")["callback_data"]))

    assert _reload(booking).status == "booked"
    assert "Cancel this booking?" not in telegram_api.last("editMessageText").params["text"]


def test_cancel_inside_the_cutoff_is_refused_with_a_clear_answer(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now
):
    user = make_user()
    booking = make_booking(user=user)
    frozen_now(booking.starts_at - timedelta(hours=1))

    post_update(callback_update(user, callbacks.booking_cancel_yes.new(booking.id, "upcoming", 1)))

    assert _reload(booking).status == "booked"
    answer = telegram_api.last("answerCallbackQuery")
    assert "too late to cancel" in answer.params["text"]
    assert answer.params["show_alert"].lower() == "true"


def test_inside_the_cutoff_the_details_offer_no_cancel_or_reschedule_and_say_to_call_the_clinic(
    app, post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now
):
    user = make_user()
    booking = make_booking(user=user)
    cutoff = app.config["SETTINGS"].CANCEL_CUTOFF
    details = callbacks.booking_details.new(booking.id, "upcoming", 1)

    frozen_now(booking.starts_at - cutoff)  # the last moment it may still be cancelled here
    post_update(callback_update(user, details))
    before = telegram_api.last("editMessageText")
    frozen_now(booking.starts_at - cutoff + timedelta(seconds=1))
    post_update(callback_update(user, details))
    inside = telegram_api.last("editMessageText")

    assert [item["text"] for item in buttons(before)] == ["Cancel", "Reschedule", "Add to calendar", "Back"]
    assert [item["text"] for item in buttons(inside)] == ["Add to calendar", "Back"]
    assert inside.params["text"].endswith(
        "It is too late to cancel or move this visit online. To change it, please call the clinic.")
    assert "too late" not in before.params["text"]


def test_an_old_cancel_button_pressed_inside_the_cutoff_shows_the_booking_and_says_it_is_too_late(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now
):
    user = make_user()
    booking = make_booking(user=user)
    frozen_now(booking.starts_at - timedelta(hours=1))

    post_update(callback_update(user, callbacks.reminder_cancel.new(booking.id)))

    shown = telegram_api.last("editMessageText")
    assert "Cancel this booking?" not in shown.params["text"]
    assert [item["text"] for item in buttons(shown)] == ["Add to calendar", "Back"]
    answer = telegram_api.last("answerCallbackQuery")
    assert answer.params["text"] == "It is too late to cancel this booking online. Please call the clinic."
    assert answer.params["show_alert"].lower() == "true"
    assert _reload(booking).status == "booked"


def test_a_second_yes_says_the_booking_is_already_cancelled(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now
):
    user = make_user()
    booking = make_booking(user=user)
    yes = callbacks.booking_cancel_yes.new(booking.id, "upcoming", 1)
    post_update(callback_update(user, yes))

    post_update(callback_update(user, yes))

    assert telegram_api.last("answerCallbackQuery").params["text"] == "This booking is already cancelled."
    events = db.session.query(BookingEvent).filter_by(booking_id=booking.id, action="cancelled").count()
    assert events == 1


def test_a_forged_callback_for_someone_elses_booking_changes_and_reveals_nothing(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now
):
    owner, intruder = make_user(), make_user()
    booking = make_booking(user=owner)

    for data in (callbacks.booking_cancel_yes.new(booking.id, "upcoming", 1),
                 callbacks.booking_details.new(booking.id, "upcoming", 1),
                 callbacks.booking_cancel_ask.new(booking.id, "upcoming", 1),
                 callbacks.booking_calendar.new(booking.id)):
        post_update(callback_update(intruder, data))

    assert _reload(booking).status == "booked"
    assert [call.method for call in telegram_api.calls()] == ["answerCallbackQuery"] * 4
    assert {call.params["text"] for call in telegram_api.calls()} == {"Not found."}


def test_a_missing_booking_gets_the_same_answer_as_someone_elses(
    post_update, telegram_api: FakeTelegramAPI, make_user
):
    user = make_user()

    post_update(callback_update(user, callbacks.booking_details.new(999_999, "upcoming", 1)))
    post_update(callback_update(user, "bd:1 OR 1=1:upcoming:1"))

    assert [call.params.get("text") for call in telegram_api.calls()] == ["Not found.", "Not found."]


def test_a_double_tap_that_changes_nothing_is_swallowed(
    post_update, telegram_api: FakeTelegramAPI, make_user, book_many, frozen_now, caplog
):
    user = make_user()
    book_many(user, 6)
    next_page = callbacks.bookings_page.new("upcoming", 2)
    post_update(callback_update(user, next_page))
    telegram_api.fail_next("editMessageText", status=400, description=MESSAGE_NOT_MODIFIED)

    response = post_update(callback_update(user, next_page))

    assert response.status_code == 200
    assert len(telegram_api.calls("answerCallbackQuery")) == 2
    assert "failed" not in caplog.text


def test_add_to_calendar_sends_the_ics_file(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now
):
    user = make_user()
    booking = make_booking(user=user)

    post_update(callback_update(user, callbacks.booking_calendar.new(booking.id)))

    sent = telegram_api.last("sendDocument")
    file_name, content = sent.files["document"]
    assert file_name == f"medsync-booking-{booking.id}.ics"
    assert b"BEGIN:VCALENDAR" in content and booking.ical_uid.encode() in content
    assert telegram_api.last("answerCallbackQuery").params["text"] == "Calendar file sent."


def test_a_stale_button_is_still_answered(post_update, telegram_api: FakeTelegramAPI, make_user):
    user = make_user()

    post_update(callback_update(user, "some-old-button:1"))

    assert telegram_api.last("answerCallbackQuery").params["text"] == "This button is no longer available."


def test_a_ukrainian_patient_reads_the_diagnostic_in_ukrainian_in_the_list_and_the_details(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, make_diagnostic, make_clinic, frozen_now
):
    clinic = make_clinic()
    diagnostic = make_diagnostic(name="MRI", name_translations={"uk": "МРТ"}, clinics=[clinic])
    user = make_user(language="uk")
    booking = make_booking(user=user, diagnostic_id=diagnostic.id, clinic_id=clinic.id)

    message_id, listed = _list_message(post_update, telegram_api, user)
    post_update(callback_update(user, callbacks.booking_details.new(booking.id, "upcoming", 1), message_id=message_id))

    assert _booking_buttons(listed)[0].endswith(" · МРТ")
    assert ": МРТ\n" in telegram_api.last("editMessageText").params["text"]
