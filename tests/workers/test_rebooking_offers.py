"""A visit the clinic cancelled because its schedule changed: the patient's message (delivered by a real worker) says
what happened and offers other times as buttons that book at once, in the patient's language."""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from medsync.extensions import db
from medsync.models import Booking, MessageKind, OutboxMessage
from medsync.services import bookings, schedules
from tests.bot.conftest import button, callback_update, post_update  # noqa: F401 - a fixture
from tests.conftest import PATIENT, WEBAPP_URL
from tests.workers.test_notification_buttons import keyboard_of, sent_to

KYIV = ZoneInfo("Europe/Kyiv")
# The frozen clock: Tuesday 1 December 2026; clinics open Mon-Sat 09-18, lunch 13-14.
THURSDAY, FRIDAY = date(2026, 12, 3), date(2026, 12, 4)


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), KYIV)


def booked_with(doctor, user, starts_at: datetime) -> Booking:
    booking = bookings.book(user_id=user.telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                            starts_at=starts_at, patient=PATIENT)
    db.session.commit()
    return booking


def test_an_absence_tells_the_patient_why_and_offers_times_after_the_return_and_with_a_colleague(
    worker, telegram_api, frozen_now, make_doctor, make_user,
):
    doctor = make_doctor(full_name="Dr. Olena Kovalenko")
    colleague = make_doctor(clinic=doctor.clinic, full_name="Dr. Ivan Petrenko")
    patient = make_user()
    visit = booked_with(doctor, patient, at(THURSDAY, 10))
    booked_with(doctor, make_user(), at(FRIDAY, 9))  # the first hour after the return is taken
    sent_to(telegram_api, patient.telegram_id, "Your visit is booked")

    schedules.add_absence(doctor.id, THURSDAY, THURSDAY, reason="Illness", actor_id="staff:1")
    db.session.commit()

    message = sent_to(telegram_api, patient.telegram_id, "cancelled")
    assert message.params["text"] == (
        "❌ The clinic has cancelled your visit.\nDr. Olena Kovalenko is away on December 3, 2026.\nReason: Illness\n\n"
        "<b>Dr. Olena Kovalenko</b>\n🗓 Thursday, December 3, 2026, 10:00 (Kyiv)\n"
        f"🏥 {doctor.clinic.name}, {doctor.clinic.address}\n\n"
        "We are sorry. Please book another time below.\n\n"
        "Tap a time below to book it at once, or choose another time in the app."
    )
    minutes = lambda day, hour: int(at(day, hour).timestamp()) // 60  # noqa: E731
    assert keyboard_of(message) == [
        [("🗓 Fri, Dec 4 10:00 · Dr. Olena Kovalenko", f"rb:{visit.id}:{doctor.id}:{minutes(FRIDAY, 10)}")],
        [("🗓 Fri, Dec 4 11:00 · Dr. Olena Kovalenko", f"rb:{visit.id}:{doctor.id}:{minutes(FRIDAY, 11)}")],
        [("🗓 Fri, Dec 4 12:00 · Dr. Olena Kovalenko", f"rb:{visit.id}:{doctor.id}:{minutes(FRIDAY, 12)}")],
        [("🗓 Thu, Dec 3 09:00 · Dr. Ivan Petrenko", f"rb:{visit.id}:{colleague.id}:{minutes(THURSDAY, 9)}")],
        [("📅 Choose another time", f"{WEBAPP_URL}/doctors/{doctor.id}/book")],
        [("My bookings", "mb")],
    ]
    assert len([row for row in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == MessageKind.CANCELLATION.value))]) == 1


def test_an_offer_books_at_once_and_the_patient_gets_the_confirmation(
    worker, telegram_api, frozen_now, make_doctor, make_user, post_update,
):
    doctor = make_doctor()
    patient = make_user()
    visit = booked_with(doctor, patient, at(THURSDAY, 10))
    schedules.add_absence(doctor.id, THURSDAY, THURSDAY, reason=None, actor_id="staff:1")
    db.session.commit()
    message = sent_to(telegram_api, patient.telegram_id, "cancelled")
    offer = button(message, f"🗓 Fri, Dec 4 09:00 · {doctor.full_name}")["callback_data"]

    post_update(callback_update(patient, offer, message_id=message.result["message_id"]))

    assert telegram_api.last("answerCallbackQuery").params["text"] == "✅ Booked. Your confirmation follows."
    new = db.session.scalars(select(Booking).where(Booking.status == "booked", Booking.user_id == patient.telegram_id)).one()
    assert (new.doctor_id, new.starts_at) == (doctor.id, at(FRIDAY, 9))
    assert (new.patient_first_name, new.patient_phone) == (visit.patient_first_name, visit.patient_phone)
    edited = telegram_api.last("editMessageText")
    assert "✅ You booked a new time: Friday, December 4, 2026, 09:00 (Kyiv)" in edited.params["text"]
    assert keyboard_of(edited) == [[("Open booking", f"bd:{new.id}:upcoming:1")], [("My bookings", "mb")]]
    sent_to(telegram_api, patient.telegram_id, "Your visit is booked")
    # The same press again books nothing more; another offer is refused: one new time per cancelled visit.
    post_update(callback_update(patient, offer, message_id=message.result["message_id"]))
    other = button(message, f"🗓 Fri, Dec 4 10:00 · {doctor.full_name}")["callback_data"]
    post_update(callback_update(patient, other, message_id=message.result["message_id"]))
    assert telegram_api.last("answerCallbackQuery").params["text"] == (
        "You have already booked a new time for this visit. See My bookings.")
    assert db.session.scalar(select(Booking.id).where(Booking.status == "booked",
                                                      Booking.user_id == patient.telegram_id)) == new.id


def test_an_offer_taken_meanwhile_says_so_and_shows_the_times_free_now(
    worker, telegram_api, frozen_now, make_doctor, make_user, post_update,
):
    doctor = make_doctor()
    patient, stranger = make_user(), make_user()
    booked_with(doctor, patient, at(THURSDAY, 10))
    schedules.add_absence(doctor.id, THURSDAY, THURSDAY, reason=None, actor_id="staff:1")
    db.session.commit()
    message = sent_to(telegram_api, patient.telegram_id, "cancelled")
    offer = button(message, f"🗓 Fri, Dec 4 09:00 · {doctor.full_name}")["callback_data"]
    booked_with(doctor, stranger, at(FRIDAY, 9))  # someone was quicker

    post_update(callback_update(patient, offer, message_id=message.result["message_id"]))

    answer = telegram_api.last("answerCallbackQuery")
    assert answer.params["text"] == "This time has just been taken. Here are the free times now."
    refreshed = telegram_api.last("editMessageText")
    assert [text for row in keyboard_of(refreshed) for text, _ in row][:3] == [
        f"🗓 Fri, Dec 4 {hour}:00 · {doctor.full_name}" for hour in (10, 11, 12)]
    assert db.session.scalar(select(Booking.id).where(Booking.status == "booked",
                                                      Booking.user_id == patient.telegram_id)) is None


def test_someone_elses_offer_button_finds_nothing(worker, telegram_api, frozen_now, make_doctor, make_user,
                                                  post_update):
    doctor = make_doctor()
    patient = make_user()
    booked_with(doctor, patient, at(THURSDAY, 10))
    schedules.add_absence(doctor.id, THURSDAY, THURSDAY, reason=None, actor_id="staff:1")
    db.session.commit()
    message = sent_to(telegram_api, patient.telegram_id, "cancelled")
    offer = button(message, f"🗓 Fri, Dec 4 09:00 · {doctor.full_name}")["callback_data"]

    post_update(callback_update(make_user(), offer))

    assert telegram_api.last("answerCallbackQuery").params["text"] == "Not found."
    assert db.session.scalar(select(Booking.id).where(Booking.status == "booked")) is None


def test_the_message_is_written_in_the_patients_language(worker, telegram_api, frozen_now, make_doctor, make_user):
    doctor = make_doctor()
    patient = make_user(language_code="uk")
    booked_with(doctor, patient, at(THURSDAY, 10))
    schedules.add_closure(doctor.clinic_id, THURSDAY, reason=None, actor_id="staff:1")
    db.session.commit()

    message = sent_to(telegram_api, patient.telegram_id, "❌")
    assert "\n3 грудня 2026\u202fр. клініка зачинена.\n" in message.params["text"]
    assert keyboard_of(message)[-2][0][0] == "📅 Обрати інший час"
