"""The Mini App in the patient's language: their Telegram's without asking, the selector's once they choose, and the
booking journey walked in Ukrainian, Russian and Polish, light and dark, in the clinic's zone and far from it
(screens saved under var/screenshots/).

Texts are looked up by the page's own elements, not by their words: these tests hold whatever the catalogs say."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from medsync import formats
from medsync.extensions import db
from medsync.i18n import in_language
from medsync.models import Booking, User
from tests.browser.conftest import PATIENT, PATIENT_ID, choose_slot, open_day, save_screenshot, tap_main_button

UKRAINIAN = {**PATIENT, "language_code": "uk-UA"}


def test_a_patient_whose_telegram_is_ukrainian_gets_the_mini_app_in_ukrainian_without_choosing(open_app):
    page = open_app("/app/", user=UKRAINIAN)  # the browser itself asks for en-GB

    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.locator("[data-language]")).to_have_value("uk")


def test_the_language_chosen_in_the_selector_is_stored_for_the_patient_and_the_page_follows(open_app, app_context):
    page = open_app("/app/see_a_doctor")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.locator("[data-language]").select_option("pl")

    expect(page.locator("html")).to_have_attribute("lang", "pl")
    assert page.url.endswith("/app/see_a_doctor")
    db.session.expire_all()
    assert db.session.get(User, PATIENT_ID).language == "pl"


def test_outside_telegram_the_selector_changes_this_browsers_pages(open_app):
    page = open_app("/app/", telegram=False)

    page.locator("[data-language]").select_option("ru")

    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.goto("/app/get_tested")
    expect(page.locator("html")).to_have_attribute("lang", "ru")


@pytest.mark.parametrize(("dark", "timezone_id"), [(False, "Europe/Kyiv"), (True, "America/New_York")],
                         ids=["light-in-kyiv", "dark-in-new-york"])
@pytest.mark.parametrize(("language_code", "weekday"), [("uk", "ср"), ("ru", "ср"), ("pl", "śr.")])
def test_the_booking_journey_in_the_patients_language(
    open_app, make_doctor, app_context, language_code, weekday, dark, timezone_id
):
    """In the clinic's zone one time, with no zone named (as in English); elsewhere the clinic's time named by its city
    in the patient's language, with theirs beside it, on every screen that shows the time."""
    doctor = make_doctor(full_name="Olena Kovalenko")
    day = open_day(doctor.clinic)
    day += timedelta(days=(2 - day.weekday()) % 7)  # a Wednesday (the clinic works Monday to Saturday), named below
    with in_language(language_code):
        city = formats.zone_city(doctor.clinic.timezone)  # Київ, Киев, Kijów
    elsewhere = timezone_id != doctor.clinic.timezone
    screens = f"booking-{language_code}-{'dark' if dark else 'light'}"
    user = {**PATIENT, "language_code": language_code}

    page = open_app(f"/app/doctors/{doctor.id}", user=user, dark=dark, timezone_id=timezone_id)
    expect(page.locator("html")).to_have_attribute("lang", language_code)
    tap_main_button(page, page.locator("a[data-main-button]").inner_text().strip())
    page.wait_for_url(f"**/app/doctors/{doctor.id}/book")
    expect(page.locator(f'button.day[data-day="{day.isoformat()}"] .weekday')).to_have_text(weekday)
    page.locator(f'button.day[data-day="{day.isoformat()}"]').click()
    expect(page.locator("button.time .yours")).to_have_count(8 if elsewhere else 0)
    if elsewhere:
        expect(page.locator("[data-zone-note]")).to_contain_text(city)
        expect(page.locator("[data-times-title]")).to_contain_text(city)
    else:
        expect(page.locator("[data-zone-note]")).to_be_hidden()
    save_screenshot(page, f"{screens}-days")
    choose_slot(page, day, "10:00")
    page.locator("#phone").fill("+380 50 123 4567")
    save_screenshot(page, f"{screens}-form")
    tap_main_button(page, page.locator("[data-submit]").inner_text().strip())

    expect(page.locator("[data-step=done]")).to_be_visible()
    save_screenshot(page, f"{screens}-done")
    shown = [page.locator("[data-chosen]").inner_text(), page.locator("[data-done-when]").inner_text()]
    bookings = open_app("/app/bookings", user=user, dark=dark, timezone_id=timezone_id)
    expect(bookings.locator("html")).to_have_attribute("lang", language_code)  # after following their Telegram's
    expect(bookings.locator(".booking .when")).to_contain_text("10:00")
    shown.append(bookings.locator(".booking .when").inner_text())
    save_screenshot(bookings, f"{screens}-bookings")
    assert all((city in text) == elsewhere and "10:00" in text for text in shown), shown
    db.session.expire_all()
    assert db.session.scalar(select(Booking.doctor_id).where(Booking.user_id == PATIENT_ID)) == doctor.id
