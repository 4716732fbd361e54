"""The schedule pages in Chromium, as an admin uses them inside Telegram (light and dark): weekly hours that the
patient's Mini App then offers exactly, and an absence over a booked day whose patient gets a message with buttons
that book."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from medsync.extensions import db
from medsync.models import Booking
from medsync.services import bookings
from tests.bot.conftest import button, callback_update, post_update  # noqa: F401 - a fixture
from tests.browser.conftest import clinic_today, open_day, save_screenshot
from tests.conftest import PATIENT
from tests.workers.conftest import running_worker
from tests.workers.test_notification_buttons import sent_to

THEMES = pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])


def telegram_profile(member) -> dict:
    return {"id": member.telegram_id, "first_name": "Iryna", "last_name": "Desk", "language_code": "en"}


def next_weekday(clinic, weekday: int) -> date:
    """The first day with this ISO weekday at least two days after the clinic's today."""
    day = clinic_today(clinic) + timedelta(days=2)
    while day.isoweekday() != weekday:
        day += timedelta(days=1)
    return day


def offered_times(page, day: date) -> list[str]:
    """The clinic wall times the patient's slot picker offers on `day`."""
    page.locator(f'button.day[data-day="{day.isoformat()}"]').click()
    page.locator(f'button.day[data-day="{day.isoformat()}"][aria-pressed="true"]').wait_for()
    page.locator("button.time").first.wait_for()
    return [value[11:16] for value in page.locator("button.time").evaluate_all(
        "buttons => buttons.map(button => button.dataset.startsAt)")]


@THEMES
def test_an_admin_sets_monday_and_wednesday_hours_and_the_patient_is_offered_exactly_those(
    open_app, make_staff, make_doctor, dark,
):
    doctor = make_doctor(full_name="Olena Kovalenko")
    admin = make_staff("admin", clinics=[doctor.clinic])

    page = open_app(f"/app/staff/doctors/{doctor.id}/schedule", user=telegram_profile(admin), dark=dark)
    expect(page.get_by_role("heading", name="Olena Kovalenko")).to_be_visible()
    expect(page.locator("[data-rotas]")).to_have_text(
        "No hours of their own: the doctor works the clinic's opening hours.")
    hours = page.locator('form[data-change="hours"]')
    hours.get_by_label("Monday").fill("09:00-12:00")
    hours.get_by_label("Wednesday").fill("14:00-16:00")
    hours.get_by_role("button", name="Check").click()
    expect(hours.locator("[data-preview]")).to_have_text("No booked visit is affected.")
    hours.get_by_role("button", name="Confirm").click()
    expect(page.locator("#toast")).to_have_text("Saved.")
    expect(page.locator("[data-rotas]")).to_contain_text("From ")
    save_screenshot(page, f"staff-doctor-schedule-{'dark' if dark else 'light'}")

    patient = open_app(f"/app/doctors/{doctor.id}/book", dark=dark)
    monday, wednesday = next_weekday(doctor.clinic, 1), next_weekday(doctor.clinic, 3)
    assert offered_times(patient, monday) == ["09:00", "10:00", "11:00"]
    assert offered_times(patient, wednesday) == ["14:00", "15:00"]
    expect(patient.locator(f'button.day[data-day="{next_weekday(doctor.clinic, 2).isoformat()}"]')).to_be_disabled()


@THEMES
def test_bad_hours_are_shown_beside_their_day(open_app, make_staff, make_doctor, dark):
    doctor = make_doctor()
    admin = make_staff("admin", clinics=[doctor.clinic])
    page = open_app(f"/app/staff/doctors/{doctor.id}/schedule", user=telegram_profile(admin), dark=dark)
    hours = page.locator('form[data-change="hours"]')
    hours.get_by_label("Tuesday").fill("13:00-09:00")
    hours.get_by_role("button", name="Check").click()
    expect(hours.locator('[data-error-for="weekday-2"]')).to_have_text("Must be after the start.")
    expect(hours.get_by_label("Tuesday")).to_have_attribute("aria-invalid", "true")


@THEMES
def test_an_absence_over_a_booked_day_is_previewed_and_its_patient_gets_buttons_that_book(
    app, open_app, make_staff, make_doctor, make_user, telegram_api, post_update, dark,
):
    doctor = make_doctor(full_name="Olena Kovalenko")
    admin = make_staff("admin", clinics=[doctor.clinic])
    patient = make_user()
    day = open_day(doctor.clinic, 2)
    visit = bookings.book(user_id=patient.telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                          starts_at=datetime.combine(day, time(10), doctor.clinic.zone), patient=PATIENT)
    db.session.commit()

    with running_worker(app):
        page = open_app(f"/app/staff/doctors/{doctor.id}/schedule", user=telegram_profile(admin), dark=dark)
        absence = page.locator('form[data-change="absence"]')
        absence.get_by_label("First day").fill(day.isoformat())
        absence.get_by_label("Last day").fill(day.isoformat())
        absence.get_by_label("Reason").fill("Illness")
        absence.get_by_role("button", name="Check").click()
        preview = absence.locator("[data-preview]")
        expect(preview).to_contain_text("These booked visits will be cancelled and their patients told:")
        expect(preview.locator(f'[data-visit-id="{visit.id}"]')).to_contain_text("10:00 — Taras Shevchenko")
        save_screenshot(page, f"staff-absence-preview-{'dark' if dark else 'light'}")
        absence.get_by_role("button", name="Confirm").click()
        expect(page.locator("#toast")).to_have_text("Saved. The affected visits are cancelled and their patients are being told.")
        expect(page.locator('[data-list="absences"] .card')).to_contain_text("Illness")

        message = sent_to(telegram_api, patient.telegram_id, "cancelled")
    assert "Olena Kovalenko is away on" in message.params["text"] and "Reason: Illness" in message.params["text"]
    offer = next(item for row in message.json("reply_markup")["inline_keyboard"] for item in row
                 if item.get("callback_data", "").startswith("rb:"))
    assert button(message, "📅 Choose another time")["web_app"]["url"].endswith(f"/doctors/{doctor.id}/book")

    post_update(callback_update(patient, offer["callback_data"], message_id=message.result["message_id"]))

    assert telegram_api.last("answerCallbackQuery").params["text"] == "✅ Booked. Your confirmation follows."
    db.session.expire_all()
    rebooked = db.session.scalars(select(Booking).where(Booking.user_id == patient.telegram_id,
                                                        Booking.status == "booked")).one()
    assert rebooked.starts_at.astimezone(doctor.clinic.zone).date() > day


def test_the_schedules_page_lists_the_clinics_doctors_and_leads_to_closures(open_app, make_staff, make_doctor):
    doctor = make_doctor(full_name="Olena Kovalenko")
    admin = make_staff("admin", clinics=[doctor.clinic])
    page = open_app("/app/staff/schedules", user=telegram_profile(admin))
    expect(page.locator(".staff-nav [aria-current=page]")).to_have_text("Schedules")
    page.locator(f'a[data-doctor-id="{doctor.id}"]').click()
    page.wait_for_url(f"**/app/staff/doctors/{doctor.id}/schedule")
    page.go_back()
    page.get_by_role("link", name="Closures").click()
    page.wait_for_url(f"**/app/staff/clinics/{doctor.clinic_id}/closures")
    closure = page.locator('form[data-change="closure"]')
    closure.get_by_label("First day").fill(open_day(doctor.clinic, 3).isoformat())
    closure.get_by_role("button", name="Check").click()
    expect(closure.locator("[data-preview]")).to_have_text("No booked visit is affected.")
    closure.get_by_role("button", name="Confirm").click()
    expect(page.locator('[data-list="closures"] .card')).to_have_count(1)
