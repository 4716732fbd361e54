"""Booking in the Mini App as a patient does it: in Chromium, through Telegram's buttons, against the live app."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import func, select

from medsync.extensions import db
from medsync.models import Booking, ClinicClosure, MessageKind, MessageStatus
from tests.browser.conftest import (
    PATIENT_ID, choose_slot, clinic_today, open_day, tap_main_button, telegram_record, wait_for_main_button,
    wait_for_popup,
)
from tests.workers.conftest import message_rows, running_worker, wait_for_status


def bookings_of(user_id: int) -> list[Booking]:
    db.session.expire_all()
    rows = list(db.session.scalars(select(Booking).where(Booking.user_id == user_id).order_by(Booking.id)))
    db.session.commit()
    return rows


def fill_phone(page, phone: str = "+380 50 123 4567") -> None:
    page.get_by_label("Phone").fill(phone)


def confirm_with_phone(page) -> None:
    """Give the one detail Telegram does not, confirm on the MainButton, and see the success screen."""
    fill_phone(page)
    tap_main_button(page, "Confirm booking")
    expect(page.get_by_role("heading", name="You are booked")).to_be_visible()


def test_a_patient_books_a_doctor_and_gets_the_confirmation_in_the_chat(app, open_app, make_doctor, telegram_api):
    doctor = make_doctor(full_name="Olena Kovalenko")
    day = open_day(doctor.clinic)

    with running_worker(app):
        page = open_app(f"/app/doctors/{doctor.id}")
        expect(page.get_by_role("heading", name="Olena Kovalenko")).to_be_visible()
        tap_main_button(page, "Choose a time")
        page.wait_for_url(f"**/app/doctors/{doctor.id}/book")
        choose_slot(page, day, "11:00")
        page.evaluate("window.__tg.clickBack()")  # Telegram's BackButton: from the form back to the times
        expect(page.locator("[data-step=pick]")).to_be_visible()
        choose_slot(page, day, "10:00")
        expect(page.get_by_label("First name")).to_have_value("Taras")  # from Telegram's user
        expect(page.get_by_label("Last name")).to_have_value("Shevchenko")
        confirm_with_phone(page)

        (booking,) = bookings_of(PATIENT_ID)
        assert booking.starts_at == datetime.combine(day, time(10), doctor.clinic.zone)
        assert booking.patient_phone == "+380 50 123 4567" and booking.doctor_id == doctor.id
        (confirmation,) = message_rows(MessageKind.CONFIRMATION)
        wait_for_status(confirmation.id, MessageStatus.SENT)
    sent = telegram_api.wait_for("sendMessage")[0]
    assert sent.params["chat_id"] == str(PATIENT_ID) and "Olena Kovalenko" in sent.params["text"]

    assert "success" in telegram_record(page)["haptics"]
    assert "MainButton.showProgress" in telegram_record(page)["calls"]
    tap_main_button(page, "Done")
    page.wait_for_function("window.__tg.closed")


def test_a_patient_books_a_test_at_the_clinic_they_choose(open_app, make_clinic, make_diagnostic):
    near, chosen = make_clinic(name="MedSync Podil"), make_clinic(name="MedSync Obolon")
    diagnostic = make_diagnostic(name="MRI", clinics=[near, chosen], duration_minutes=30)
    day = open_day(chosen)

    page = open_app(f"/app/diagnostics/{diagnostic.id}")
    page.get_by_role("link", name="MedSync Obolon").click()
    page.wait_for_url(f"**/app/diagnostics/{diagnostic.id}/clinics/{chosen.id}/book")
    choose_slot(page, day, "10:30")
    fill_phone(page)
    page.get_by_label("E-mail (optional)").fill("taras@example.com")
    tap_main_button(page, "Confirm booking")
    expect(page.get_by_role("heading", name="You are booked")).to_be_visible()

    (booking,) = bookings_of(PATIENT_ID)
    assert (booking.diagnostic_id, booking.clinic_id) == (diagnostic.id, chosen.id)
    assert booking.starts_at == datetime.combine(day, time(10, 30), chosen.zone)


def test_the_picker_offers_only_what_the_clinic_takes(app, open_app, make_doctor):
    doctor = make_doctor()
    clinic = doctor.clinic
    closed = open_day(clinic, 3)
    db.session.add(ClinicClosure(clinic_id=clinic.id, first_day=closed, last_day=closed, reason="Inventory"))
    db.session.commit()
    horizon = app.config["SETTINGS"].BOOKING_HORIZON_DAYS
    today = clinic_today(clinic)

    page = open_app(f"/app/doctors/{doctor.id}/book")
    days = page.locator("button.day")
    expect(days).to_have_count(horizon + 1)
    assert days.first.get_attribute("data-day") == today.isoformat()
    assert days.last.get_attribute("data-day") == (today + timedelta(days=horizon)).isoformat()
    expect(page.locator(f'button.day[data-day="{closed}"]')).to_be_disabled()
    sunday = next(today + timedelta(days=n) for n in range(1, 8) if (today + timedelta(days=n)).isoweekday() == 7)
    expect(page.locator(f'button.day[data-day="{sunday}"]')).to_be_disabled()
    for offset in range(4):
        day = open_day(clinic, 1 + offset, skip=(closed,))
        page.locator(f'button.day[data-day="{day}"]').click()
        times = page.locator("button.time")
        expect(times.first).to_be_visible()
        offered = times.all_inner_texts()
        assert "12:00" in offered and "14:00" in offered and "13:00" not in offered  # lunch 13:00–14:00
        assert offered[0] == "09:00" and offered[-1] == "17:00"


def test_a_browser_in_new_york_sees_and_books_kyiv_clinic_time_with_its_own_beside_it(open_app, make_doctor):
    doctor = make_doctor(full_name="Andrii Shevchuk")
    day = open_day(doctor.clinic)
    visit = datetime.combine(day, time(9), doctor.clinic.zone)
    offset = visit.strftime("%z")  # +0200 in winter, +0300 in summer: whatever the real clock says today
    in_new_york = visit.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M")  # 02:00, 01:00 or 03:00
    both = f"09:00 Kyiv · {in_new_york} your time"

    page = open_app(f"/app/doctors/{doctor.id}/book", timezone_id="America/New_York")
    note = page.locator("[data-zone-note]")
    expect(note).to_be_visible()
    expect(note).to_contain_text(re.compile(r"Kyiv time, UTC\+0[23]:00"))
    page.locator(f'button.day[data-day="{day}"]').click()
    expect(page.locator("[data-times-title]")).to_contain_text("Kyiv time")
    nine = page.locator(f'button.time[data-starts-at="{visit.isoformat()}"]')
    expect(nine.locator(".clock")).to_have_text("09:00")
    expect(nine.locator(".yours")).to_have_text(in_new_york)
    expect(nine).to_have_attribute("aria-label", both)
    assert page.locator("button.time .clock").first.inner_text() == "09:00"
    choose_slot(page, day, "09:00")
    expect(page.locator("[data-step=details] [data-chosen]")).to_contain_text(both)
    confirm_with_phone(page)
    expect(page.locator("[data-done-when]")).to_contain_text(both)

    (booking,) = bookings_of(PATIENT_ID)
    assert booking.starts_at == visit
    assert f"UTC{offset[:3]}:{offset[3:]}" in note.inner_text()
    bookings = open_app("/app/bookings", timezone_id="America/New_York")
    expect(bookings.locator(f'[data-booking-id="{booking.id}"] .when')).to_have_text(
        re.compile(rf"^\w{{3}}, .* · {re.escape(both)}$"))


def test_a_browser_in_the_clinics_zone_sees_one_time(open_app, make_doctor):
    doctor = make_doctor(full_name="Andrii Shevchuk")
    day = open_day(doctor.clinic)

    page = open_app(f"/app/doctors/{doctor.id}/book", timezone_id="Europe/Kyiv")
    page.locator(f'button.day[data-day="{day}"]').click()
    expect(page.locator("button.time").first).to_have_text("09:00")
    expect(page.locator("[data-zone-note]")).to_be_hidden()
    expect(page.locator("button.time .yours")).to_have_count(0)
    choose_slot(page, day, "09:00")
    expect(page.locator("[data-chosen]")).to_have_text(re.compile(r"^\w{3}, .* · 09:00$"))
    confirm_with_phone(page)
    expect(page.locator("[data-done-when]")).to_contain_text(" · 09:00 · ")

    bookings = open_app("/app/bookings", timezone_id="Europe/Kyiv")
    expect(bookings.locator(".booking .when")).to_have_text(re.compile(r"^\w{3}, .* · 09:00$"))
    assert "your time" not in page.locator("body").inner_text() + bookings.locator("body").inner_text()


def test_the_zone_note_speaks_of_the_day_shown_when_the_offsets_part_on_a_clock_change(open_app, make_doctor):
    # A device in Istanbul (+03:00 all year) reads a Kyiv clinic's summer times as its own and its winter times an
    # hour apart: the picker's answer is made up here to hold one day of each, whatever the real date.
    doctor = make_doctor(full_name="Andrii Shevchuk")
    summer_day = open_day(doctor.clinic)
    winter_day = open_day(doctor.clinic, skip=(summer_day,))
    slots = {summer_day: f"{summer_day}T10:00:00+03:00", winter_day: f"{winter_day}T10:00:00+02:00"}

    def answer(route) -> None:
        query = parse_qs(urlsplit(route.request.url).query)
        first, last = date.fromisoformat(query["from"][0]), date.fromisoformat(query["to"][0])
        listed = [{"starts_at": starts, "ends_at": starts.replace("T10:", "T11:")}
                  for day, starts in slots.items() if first <= day <= last]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(listed))

    page = open_app(f"/app/doctors/{doctor.id}/book", timezone_id="Europe/Istanbul")
    page.route("**/api/v1/doctors/*/slots?*", answer)
    page.reload()
    page.locator(f'button.day[data-day="{summer_day}"]').click()
    expect(page.locator("button.time")).to_have_text(["10:00"])
    expect(page.locator("[data-zone-note]")).to_be_hidden()
    page.locator(f'button.day[data-day="{winter_day}"]').click()
    expect(page.locator("button.time .yours")).to_have_text(["11:00"])
    expect(page.locator("[data-zone-note]")).to_be_visible()
    expect(page.locator("[data-zone-note]")).to_contain_text("Kyiv time, UTC+02:00")
    page.locator(f'button.day[data-day="{summer_day}"]').click()
    expect(page.locator("[data-zone-note]")).to_be_hidden()


def test_a_patient_with_a_visit_at_8_is_not_offered_8_elsewhere(open_app, make_clinic, make_doctor, make_user,
                                                               make_booking):
    first = make_doctor(clinic=make_clinic(opens=time(8)))
    second = make_doctor(clinic=make_clinic(opens=time(8)), full_name="Iryna Bondarenko")
    patient = make_user(telegram_id=PATIENT_ID)
    day = open_day(first.clinic)
    make_booking(user=patient, doctor=first, starts_at=datetime.combine(day, time(8), first.clinic.zone))

    page = open_app(f"/app/doctors/{second.id}/book")
    page.locator(f'button.day[data-day="{day}"]').click()
    times = page.locator("button.time")
    expect(times.first).to_have_text("09:00")
    assert "08:00" not in times.all_inner_texts()
    other_day = open_day(first.clinic, skip=(day,))
    page.locator(f'button.day[data-day="{other_day}"]').click()
    expect(times.first).to_have_text("08:00")


def test_a_slot_taken_between_listing_and_confirming_says_so_and_refreshes(open_app, make_doctor, make_user,
                                                                         make_booking):
    doctor = make_doctor()
    day = open_day(doctor.clinic)
    page = open_app(f"/app/doctors/{doctor.id}/book")
    choose_slot(page, day, "10:00")
    fill_phone(page)
    wait_for_main_button(page, "Confirm booking")
    someone_else = make_user(telegram_id=PATIENT_ID + 500)
    make_booking(user=someone_else, doctor=doctor, starts_at=datetime.combine(day, time(10), doctor.clinic.zone))

    page.evaluate("window.__tg.clickMain()")
    (popup,) = wait_for_popup(page)
    assert popup["message"] == "This time has just been taken. Please choose another slot."
    assert page.locator("#toast").text_content() == ""  # no toast beside it: the server's message alone
    expect(page.locator("[data-step=pick]")).to_be_visible()
    expect(page.locator(f'button.day[data-day="{day}"][aria-pressed="true"]')).to_be_visible()
    expect(page.locator("button.time").first).to_be_visible()
    assert "10:00" not in page.locator("button.time").all_inner_texts()
    assert "error" in telegram_record(page)["haptics"]
    assert bookings_of(PATIENT_ID) == []


def test_a_time_the_patient_took_elsewhere_meanwhile_shows_only_the_servers_message(
        open_app, make_clinic, make_doctor, make_user, make_booking):
    here, elsewhere = make_doctor(), make_doctor(clinic=make_clinic(name="MedSync Obolon"))
    day = open_day(here.clinic)
    page = open_app(f"/app/doctors/{here.id}/book")
    choose_slot(page, day, "10:00")
    fill_phone(page)
    wait_for_main_button(page, "Confirm booking")
    patient = make_user(telegram_id=PATIENT_ID)  # booked at 10:00 at the other clinic, say from another phone
    make_booking(user=patient, doctor=elsewhere, starts_at=datetime.combine(day, time(10), elsewhere.clinic.zone))

    page.evaluate("window.__tg.clickMain()")

    (popup,) = wait_for_popup(page)
    assert popup == {"kind": "popup", "message": "You already have a booking at this time."}
    assert page.locator("#toast").text_content() == ""  # and no "someone has just taken this time" beside it
    expect(page.locator("button.time").first).to_be_visible()  # back at the picker, with the times still free
    assert "10:00" not in page.locator("button.time").all_inner_texts()
    assert telegram_record(page)["popups"] == [popup]
    assert [booking.doctor_id for booking in bookings_of(PATIENT_ID)] == [elsewhere.id]


def test_without_telegram_the_catalog_renders_and_booking_says_to_open_the_bot(open_app, make_doctor):
    doctor = make_doctor(full_name="Roman Kravets")
    day = open_day(doctor.clinic)

    page = open_app("/app/", telegram=False)
    expect(page.locator("[data-outside-telegram]")).to_be_visible()
    page.get_by_role("link", name="See a doctor").click()
    page.get_by_role("link", name="Roman Kravets").click()
    expect(page.get_by_role("heading", name="Roman Kravets")).to_be_visible()
    page.get_by_role("link", name="Choose a time").click()
    choose_slot(page, day, "10:00")
    expect(page.locator("[data-step=details] [data-outside-telegram]")).to_be_visible()
    expect(page.locator("[data-submit]")).to_be_hidden()
    expect(page.get_by_label("Phone")).to_be_hidden()
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0
