"""The front desk's page (issue 19's "Done when"): a receptionist books a caller without Telegram for tomorrow from the
day grid, finds them by three digits of their phone, marks them missed and takes it back to arrived, writes a note;
the caller later shares their contact in the bot and sees that visit under My bookings."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from tests.bot.conftest import message_update, post_update  # noqa: F401 - the webhook fixture
from tests.browser.conftest import save_screenshot
from tests.conftest import next_local_slot
from tests.support.desk import book_by_phone


def profile(member) -> dict:
    return {"id": member.telegram_id, "first_name": "Iryna", "last_name": "Desk", "language_code": "en"}


def test_the_front_desks_day_from_booking_a_caller_to_their_own_telegram(
    open_app, frozen_now, make_clinic, make_doctor, make_staff, post_update, client, tma_headers
):
    frozen_now(datetime.now(timezone.utc))  # the server's clock: now, until the visit's time comes
    clinic = make_clinic(name="MedSync Podil")
    doctor = make_doctor(clinic=clinic, full_name="Dr. Olena Kovalenko")
    member = make_staff("reception", clinics=[clinic])
    visit_time = next_local_slot(clinic, days_ahead=1, hour=10)
    day = visit_time.date().isoformat()

    page = open_app(f"/app/staff/desk?clinic={clinic.id}&date={day}", user=profile(member), width=1000)
    page.locator(f'[data-free="{visit_time.isoformat()}"][data-doctor-id="{doctor.id}"]').click()
    form = page.locator("[data-desk-book-form]")
    form.locator("[name=first_name]").fill("Olha")
    form.locator("[name=last_name]").fill("Kobylianska")
    form.locator("[name=phone]").fill("067 123 45 67")
    form.locator("button[type=submit]").click()
    cell = page.locator("[data-visit-id]")
    expect(cell).to_have_text("Olha Kobylianska ☎️")
    save_screenshot(page, "front-desk-day")

    page.locator("[data-desk-query]").fill("567")
    page.locator("[data-desk-find-form] button[type=submit]").click()
    expect(page.locator("[data-desk-found] [data-patient-id]")).to_contain_text("Olha Kobylianska ☎️")
    page.locator("[data-open-patient]").click()
    expect(page.locator("[data-desk-patient-upcoming] [data-patient-visit]")).to_contain_text(
        f"{day} 10:00 · Dr. Olena Kovalenko · booked")
    expect(page.locator("[data-desk-patient-contact]")).to_have_text("+380671234567")

    # Nobody came… then she did. The desk opens its page on the visit's day (Telegram signs a page's initData when
    # it opens, and a day and a half later the first page's would have expired).
    frozen_now(visit_time + timedelta(minutes=40))
    page = open_app(f"/app/staff/desk?clinic={clinic.id}&date={day}", user=profile(member), width=1000)
    cell = page.locator("[data-visit-id]")
    cell.click()
    page.locator('[data-move="noshow"]').click()
    expect(page.locator("[data-desk-visit-summary]")).to_contain_text("missed")
    page.locator("[data-desk-reason]").fill("Came 40 minutes late")
    page.locator('[data-move="arrived"]').click()
    expect(page.locator("[data-desk-visit-summary]")).to_contain_text("arrived")
    page.locator("[data-desk-note]").fill("Bring the old X-ray next time")
    page.locator("[data-desk-save-note]").click()
    expect(page.locator("[data-desk-note]")).to_have_value("Bring the old X-ray next time")
    save_screenshot(page, "front-desk-visit")

    contact = {"phone_number": "380671234567", "first_name": "Olha", "user_id": 700_000_001}
    post_update(message_update(700_000_001, contact=contact))
    mine = client.get("/api/v1/me/bookings?when=all", headers=tma_headers(700_000_001)).json["items"]
    assert [(booking["status"], booking["doctor"]["full_name"]) for booking in mine] == [
        ("arrived", "Dr. Olena Kovalenko")]


def test_the_desk_page_shows_a_refusal_as_the_api_words_it(open_app, frozen_now, make_clinic, make_doctor, make_staff):
    frozen_now(datetime.now(timezone.utc))
    clinic = make_clinic()
    doctor = make_doctor(clinic=clinic)
    member = make_staff("reception", clinics=[clinic])
    visit_time = next_local_slot(clinic, days_ahead=1, hour=11)

    page = open_app(f"/app/staff/desk?clinic={clinic.id}&date={visit_time.date().isoformat()}", user=profile(member),
                    width=1000)
    page.locator(f'[data-free="{visit_time.isoformat()}"][data-doctor-id="{doctor.id}"]').click()
    form = page.locator("[data-desk-book-form]")
    form.locator("[name=first_name]").fill("Olha")
    form.locator("[name=last_name]").fill("Kobylianska")
    form.locator("[name=phone]").fill("12345")
    form.locator("button[type=submit]").click()

    expect(page.locator("[data-staff-error]")).to_have_text("Please check the patient's details.")


def test_a_search_sent_before_the_page_knows_its_caller_runs_once_it_does(
    open_app, frozen_now, make_clinic, make_doctor, make_staff
):
    frozen_now(datetime.now(timezone.utc))
    clinic = make_clinic()
    doctor = make_doctor(clinic=clinic)
    book_by_phone(doctor, next_local_slot(clinic))
    member = make_staff("reception", clinics=[clinic])
    page = open_app("/app/staff/desk", user=profile(member), width=1000)
    held = []
    page.route("**/api/v1/staff/me", lambda route: held.append(route))  # who the caller is stays unanswered until the search is sent
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.reload()
    page.wait_for_function("document.readyState === 'complete'")
    navigations.clear()

    page.locator("[data-desk-query]").fill("kobyl")
    page.locator("[data-desk-find-form] button[type=submit]").click()
    assert held, "the page asked who its caller is"
    held[0].continue_()

    expect(page.locator("[data-desk-found] [data-patient-id]")).to_contain_text("Olha Kobylianska")
    assert navigations == [], "the search reloaded the page"
