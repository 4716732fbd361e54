"""/today and /agenda: a clinic day's visits in clinic time, paged in place; each member sees only what is theirs."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from medsync import clock
from medsync.bot.staff import callbacks
from medsync.bot.staff.days import read_day
from medsync.extensions import db
from medsync.i18n import in_language
from medsync.models import Booking
from medsync.services import staff_accounts
from tests.bot.conftest import button, buttons, callback_update, message_update
from tests.fakes.telegram_api import FakeTelegramAPI

KYIV = ZoneInfo("Europe/Kyiv")
EVERY_DAY = (1, 2, 3, 4, 5, 6, 7)


def _visit_buttons(call) -> list[str]:
    return [item["text"] for item in buttons(call) if item.get("callback_data", "").startswith("sv:")]


def _today_at(clinic, hour: int) -> datetime:
    return datetime.combine(clock.now().astimezone(clinic.zone).date(), time(hour), clinic.zone)


def test_today_lists_the_clinic_day_in_clinic_time_across_the_autumn_clock_change(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_clinic, make_doctor, make_booking, make_staff
):
    # Kyiv leaves summer time on Sunday 25 October 2026: that clinic day runs from 21:00 UTC on the 24th
    # to 22:00 UTC on the 25th (25 hours). Visits at its first and last hour belong to it; the ones just
    # outside do not, though two of them share a UTC date with it.
    frozen_now(datetime(2026, 10, 20, 6, 0, tzinfo=timezone.utc))
    clinic = make_clinic(name="Podil Clinic", weekdays=EVERY_DAY, opens=time(0), closes=time(23), lunch=None)
    doctor = make_doctor(clinic=clinic, full_name="Dr. Iryna Koval")
    for day, hour in ((24, 22), (25, 0), (25, 22), (26, 0)):
        make_booking(doctor=doctor, starts_at=datetime(2026, 10, day, hour, tzinfo=KYIV))
    member = make_staff(clinics=[clinic])
    frozen_now(datetime(2026, 10, 25, 10, 0, tzinfo=timezone.utc))  # noon in Kyiv

    post_update(message_update(member.telegram_id, "/today"))

    sent = telegram_api.last("sendMessage")
    text = sent.params["text"]
    assert text.startswith("<b>Agenda for Sunday, October 25, 2026</b>\nPodil Clinic (Kyiv)\n2 visits\n")
    assert "00:00 <b>Taras Shevchenko</b> · Dr. Iryna Koval · booked" in text
    assert "22:00 <b>Taras Shevchenko</b>" in text
    assert _visit_buttons(sent) == ["🕘 00:00 · Taras Shevchenko", "🕘 22:00 · Taras Shevchenko"]


@pytest.mark.parametrize(("typed", "understood"), [
    # Typed on Tuesday 1 December 2026 (08:00 in Kyiv).
    ("2026-12-08", "Tuesday, December 8, 2026"),
    ("tomorrow", "Wednesday, December 2, 2026"),
    ("Tomorrow", "Wednesday, December 2, 2026"),
    ("today", "Tuesday, December 1, 2026"),
    ("yesterday", "Monday, November 30, 2026"),
    ("08.12", "Tuesday, December 8, 2026"),
    ("8.12.2026", "Tuesday, December 8, 2026"),
    ("8/12", "Tuesday, December 8, 2026"),
    ("8 Dec", "Tuesday, December 8, 2026"),
    ("8 december", "Tuesday, December 8, 2026"),
    ("8th Dec 2027", "Wednesday, December 8, 2027"),
    ("Dec 8", "Tuesday, December 8, 2026"),
    ("December 8, 2026", "Tuesday, December 8, 2026"),
    ("friday", "Friday, December 4, 2026"),
    ("Fri", "Friday, December 4, 2026"),
    ("tuesday", "Tuesday, December 1, 2026"),  # the coming one: today
    ("monday", "Monday, December 7, 2026"),
    ("28.11", "Saturday, November 28, 2026"),  # a few days back, not next year
    ("3 Jan", "Sunday, January 3, 2027"),  # a few weeks ahead, not this January
])
def test_agenda_reads_the_day_as_the_desk_writes_it_and_says_which_day_it_understood(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_clinic, make_staff, typed, understood
):
    member = make_staff(clinics=[make_clinic(name="Podil Clinic")])

    post_update(message_update(member.telegram_id, f"/agenda {typed}"))

    assert telegram_api.last("sendMessage").params["text"].startswith(
        f"<b>Agenda for {understood}</b>\nPodil Clinic (Kyiv)\n")


@pytest.mark.parametrize("typed", ["", "someday", "31.02", "32 Dec", "2026-13-01", "8 Decembre", "8 ju", "next week"])
def test_agenda_answers_what_is_not_a_day_with_the_forms_that_work(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_clinic, make_staff, typed
):
    member = make_staff(clinics=[make_clinic()])

    post_update(message_update(member.telegram_id, f"/agenda {typed}".strip()))

    assert telegram_api.last("sendMessage").params["text"] == (
        "Send the day like this: /agenda tomorrow, /agenda friday, /agenda 8 Dec, /agenda 08.12 or "
        "/agenda 2026-12-08")


def test_agenda_shows_the_visits_of_the_day_it_understood(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    doctor = make_doctor()
    tomorrow = _today_at(doctor.clinic, 10) + timedelta(days=1)
    make_booking(doctor=doctor, starts_at=tomorrow)
    member = make_staff(clinics=[doctor.clinic])

    post_update(message_update(member.telegram_id, "/agenda tomorrow"))

    agenda = telegram_api.last("sendMessage")
    assert agenda.params["text"].startswith("<b>Agenda for Wednesday, December 2, 2026</b>")
    assert "1 visit\n" in agenda.params["text"] and len(_visit_buttons(agenda)) == 1


def test_a_long_day_pages_in_one_message_edited_in_place(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_clinic, make_doctor, make_booking, make_staff
):
    clinic = make_clinic(opens=time(8), closes=time(20), lunch=None)
    doctors = [make_doctor(clinic=clinic), make_doctor(clinic=clinic)]
    for hour in range(9, 14):
        for doctor in doctors:
            make_booking(doctor=doctor, starts_at=_today_at(clinic, hour))
    member = make_staff(clinics=[clinic])
    post_update(message_update(member.telegram_id, "/today"))
    first = telegram_api.last("sendMessage")
    assert len(_visit_buttons(first)) == 8 and "10 visits" in first.params["text"]

    post_update(callback_update(member.telegram_id, button(first, "▶")["callback_data"],
                                message_id=first.result["message_id"]))

    edit = telegram_api.last("editMessageText")
    assert edit.params["message_id"] == str(first.result["message_id"])
    assert len(_visit_buttons(edit)) == 2
    assert [item["text"] for item in buttons(edit)][2:4] == ["◀", "2/2"]


def test_a_doctor_sees_only_their_own_visits(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_clinic, make_doctor, make_booking, make_staff
):
    clinic = make_clinic()
    mine, colleague = make_doctor(clinic=clinic, full_name="Dr. Mine"), make_doctor(clinic=clinic)
    make_booking(doctor=mine, starts_at=_today_at(clinic, 10))
    other = make_booking(doctor=colleague, starts_at=_today_at(clinic, 11))
    member = make_staff("doctor", doctor=mine)

    post_update(message_update(member.telegram_id, "/today"))
    post_update(callback_update(member.telegram_id, callbacks.visit_card.new(other.id, 1)))

    text = telegram_api.last("sendMessage").params["text"]
    assert "1 visit\n" in text and "Dr. Mine" in text
    assert telegram_api.last("answerCallbackQuery").params["text"] == "Not found."


def test_a_member_of_several_clinics_chooses_one(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_clinic, make_doctor, make_booking, make_staff
):
    first, second = make_clinic(name="Podil Clinic"), make_clinic(name="Obolon Clinic")
    make_booking(doctor=make_doctor(clinic=second), starts_at=_today_at(second, 10))
    member = make_staff(clinics=[first, second])
    post_update(message_update(member.telegram_id, "/today"))
    choice = telegram_api.last("sendMessage")
    assert [item["text"] for item in buttons(choice)] == ["Podil Clinic", "Obolon Clinic"]

    post_update(callback_update(member.telegram_id, button(choice, "Obolon Clinic")["callback_data"]))

    edit = telegram_api.last("editMessageText")
    assert edit.params["text"].startswith("<b>Agenda for Tuesday, December 1, 2026</b>\nObolon Clinic")
    assert button(edit, "Clinics")


def test_a_member_of_clinics_in_zones_on_different_dates_gets_each_clinics_own_today(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_clinic, make_staff
):
    # 06:00 UTC on Tuesday 1 December: 08:00 that Tuesday in Kyiv, 22:00 on Monday 30 November in Los Angeles.
    kyiv = make_clinic(name="Podil Clinic")
    los_angeles = make_clinic(name="Venice Clinic", timezone_name="America/Los_Angeles")
    member = make_staff(clinics=[kyiv, los_angeles])

    post_update(message_update(member.telegram_id, "/today"))
    choice = telegram_api.last("sendMessage")
    for name in ("Venice Clinic · Mon, Nov 30", "Podil Clinic · Tue, Dec 1"):
        post_update(callback_update(member.telegram_id, button(choice, name)["callback_data"]))

    venice, podil = (call.params["text"] for call in telegram_api.calls("editMessageText"))
    assert choice.params["text"].startswith("<b>Each clinic's own day</b>")
    assert venice.startswith("<b>Agenda for Monday, November 30, 2026</b>\nVenice Clinic (Los Angeles)")
    assert podil.startswith("<b>Agenda for Tuesday, December 1, 2026</b>\nPodil Clinic (Kyiv)")


def test_reception_of_one_clinic_cannot_see_or_touch_another_clinics_visits(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_clinic, make_doctor, make_booking, make_staff
):
    mine, theirs = make_clinic(), make_clinic()
    foreign = make_booking(doctor=make_doctor(clinic=theirs), starts_at=_today_at(theirs, 10))
    member = make_staff(clinics=[mine])
    frozen_now(foreign.starts_at)
    day = foreign.starts_at.astimezone(theirs.zone).strftime("%Y%m%d")
    forged = [
        callbacks.visit_card.new(foreign.id, 1), callbacks.visit_move.new(foreign.id, "arrived", 1),
        callbacks.visit_cancel.new(foreign.id, 1), callbacks.visit_cancel_reason.new(foreign.id, "patient", 1),
        callbacks.visit_cancel_other.new(foreign.id), callbacks.agenda_page.new(theirs.id, day, 1),
        callbacks.visit_card.new("1 OR 1=1", 1), callbacks.agenda_page.new(mine.id, "2026-13-01", 1),
    ]

    for data in forged:
        post_update(callback_update(member.telegram_id, data))

    answers = [call.params["text"] for call in telegram_api.calls("answerCallbackQuery")]
    assert answers == ["Not found."] * len(forged)
    assert telegram_api.calls("editMessageText") == [] and telegram_api.calls("sendMessage") == []
    db.session.expire_all()
    assert db.session.get(Booking, foreign.id).status == "booked"


def test_someone_who_is_not_staff_gets_the_patient_menu_and_nothing_else(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_user, make_booking
):
    patient = make_user()
    booking = make_booking()

    for command in ("/today", "/agenda 2026-12-01", "/remind", "/staff"):
        post_update(message_update(patient, command))
    post_update(callback_update(patient, callbacks.visit_card.new(booking.id, 1)))

    assert [call.params["text"][:13] for call in telegram_api.calls("sendMessage")] == ["Hello, Taras!"] * 4
    assert telegram_api.last("answerCallbackQuery").params["text"] == "Not found."


def test_a_revoked_member_is_refused_on_their_next_update(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    doctor = make_doctor()
    booking = make_booking(doctor=doctor, starts_at=_today_at(doctor.clinic, 10))
    member = make_staff(clinics=[doctor.clinic])
    post_update(message_update(member.telegram_id, "/today"))
    staff_accounts.revoke(member.id)
    db.session.commit()

    post_update(message_update(member.telegram_id, "/today"))
    post_update(callback_update(member.telegram_id, callbacks.visit_move.new(booking.id, "arrived", 1)))

    agenda, menu = telegram_api.calls("sendMessage")
    assert "1 visit" in agenda.params["text"]
    assert menu.params["text"].startswith("Hello, Taras!")  # their Telegram name: the patient menu
    assert telegram_api.last("answerCallbackQuery").params["text"] == "Not found."
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "booked"


TUESDAY = date(2026, 12, 1)


@pytest.mark.parametrize(("language", "typed", "day"), [
    # Typed on Tuesday 1 December 2026, in the reader's language: weekdays in full, abbreviated (CLDR's own "пт",
    # "pt.") and as said after "в"/"w" ("пятницу", "środę"); CLDR's words for the days around today.
    ("uk", "п'ятниця", 4), ("uk", "пт", 4), ("uk", "в п'ятницю", 4), ("uk", "у пʼятницю", 4), ("uk", "в пт", 4),
    ("uk", "нд", 6), ("uk", "у неділю", 6), ("uk", "в середу", 2), ("uk", "сьогодні", 1), ("uk", "завтра", 2),
    ("uk", "на завтра", 2), ("uk", "післязавтра", 3), ("uk", "учора", -30), ("uk", "8 грудня", 8),
    ("ru", "пятница", 4), ("ru", "пт", 4), ("ru", "в пятницу", 4), ("ru", "во вторник", 1), ("ru", "в среду", 2),
    ("ru", "вс", 6), ("ru", "в воскресенье", 6), ("ru", "сегодня", 1), ("ru", "послезавтра", 3),
    ("ru", "8 декабря", 8),
    ("pl", "piątek", 4), ("pl", "pt", 4), ("pl", "pt.", 4), ("pl", "pią", 4), ("pl", "w piątek", 4),
    ("pl", "w środę", 2), ("pl", "we wtorek", 1), ("pl", "niedz.", 6), ("pl", "dzisiaj", 1), ("pl", "jutro", 2),
    ("pl", "8 grudnia", 8),
    ("en", "friday", 4), ("en", "fri", 4), ("en", "on friday", 4), ("en", "today", 1), ("en", "tomorrow", 2),
    # Another of our languages when the reader's has no such word: a desk in Kyiv types Russian in a Ukrainian chat.
    ("uk", "в пятницу", 4), ("en", "pt", 4), ("en", "завтра", 2), ("pl", "fri", 4),
])
def test_a_day_is_read_in_each_of_our_languages_from_babels_names(app_context, language, typed, day):
    with in_language(language):
        read = read_day(typed, TUESDAY)
    assert read == (date(2026, 12, day) if day > 0 else date(2026, 11, -day))


@pytest.mark.parametrize("typed", ["в", "на", "w", "on", "в пт пт", "пятн ица", "у", "пя", "понедельникк", "пятницаа", "8 пт"])
def test_a_little_word_or_a_broken_name_is_not_a_day(app_context, typed):
    with in_language("uk"):
        assert read_day(typed, TUESDAY) is None


def test_a_ukrainian_desk_asks_for_friday_as_it_says_it(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_clinic, make_staff
):
    member = make_staff(clinics=[make_clinic(name="Podil Clinic")])
    update = message_update(member.telegram_id, "/agenda в пʼятницю")
    update["message"]["from"]["language_code"] = "uk"

    post_update(update)

    assert "4 грудня 2026" in telegram_api.last("sendMessage").params["text"].split("\n")[0]
