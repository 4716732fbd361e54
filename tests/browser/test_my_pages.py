"""My bookings (cancel, the cutoff, reschedule through the bot's deep link) and My results in the Mini App."""
from __future__ import annotations

import dataclasses
from datetime import datetime, time, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from medsync.extensions import db
from medsync.models import Booking, MessageKind, OutboxMessage
from medsync.services import results
from tests.browser.conftest import PATIENT_ID, choose_slot, open_day, tap_main_button, telegram_record, wait_for_popup
from tests.conftest import PDF


def fresh(booking_id: int) -> Booking:
    db.session.expire_all()
    booking = db.session.get(Booking, booking_id)
    db.session.commit()
    return booking


def test_a_patient_cancels_from_my_bookings_and_its_reminders_are_skipped(open_app, make_user, make_booking):
    patient = make_user(telegram_id=PATIENT_ID)
    booking = make_booking(user=patient)
    other = make_booking(user=make_user())  # someone else's never shows

    page = open_app("/app/bookings")
    card = page.locator(f'[data-booking-id="{booking.id}"]')
    expect(card).to_contain_text(booking.service_name)
    expect(page.locator(f'[data-booking-id="{other.id}"]')).to_have_count(0)
    card.get_by_role("button", name="Cancel").click()
    expect(page.locator("#toast")).to_have_text("Your booking is cancelled.")

    (confirm,) = telegram_record(page)["popups"]
    assert confirm["kind"] == "confirm" and confirm["message"].startswith("Cancel your visit on ")
    assert fresh(booking.id).status == "cancelled" and fresh(booking.id).cancelled_by == "patient"
    reminders = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.booking_id == booking.id, OutboxMessage.kind == MessageKind.REMINDER.value)).all()
    assert reminders and {row.status for row in reminders} == {"skipped"}
    expect(page.get_by_text("You have no upcoming bookings.")).to_be_visible()
    page.get_by_role("button", name="Past").click()
    expect(page.locator(f'[data-booking-id="{booking.id}"]')).to_contain_text("Cancelled")


def test_inside_the_cutoff_my_bookings_offers_no_cancel_or_reschedule_and_says_to_call(
    app, monkeypatch, open_app, make_user, make_booking
):
    settings = app.config["SETTINGS"]
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(settings, CANCEL_CUTOFF=timedelta(days=90)))
    booking = make_booking(user=make_user(telegram_id=PATIENT_ID))

    page = open_app("/app/bookings")

    card = page.locator(f'[data-booking-id="{booking.id}"]')
    expect(card.locator("[data-too-late]")).to_have_text(
        "It is too late to cancel or move this visit online. To change it, please call the clinic.")
    expect(card.get_by_role("button", name="Cancel")).to_have_count(0)
    expect(card.get_by_role("link", name="Reschedule")).to_have_count(0)
    expect(card.get_by_role("button", name="Add to calendar")).to_be_visible()


def test_a_reschedule_link_opened_inside_the_cutoff_says_the_booking_can_no_longer_be_moved(
    app, monkeypatch, open_app, make_user, make_booking
):
    settings = app.config["SETTINGS"]
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(settings, CANCEL_CUTOFF=timedelta(days=90)))
    booking = make_booking(user=make_user(telegram_id=PATIENT_ID))  # still booked, but the server says: not movable

    page = open_app(f"/app/reschedule/{booking.id}")

    expect(page.locator("[data-slots-status]")).to_have_text("This booking can no longer be moved.")
    expect(page.locator("button.time")).to_have_count(0)


def test_a_cancel_that_became_too_late_while_the_page_was_open_shows_the_servers_reason(
    app, monkeypatch, open_app, make_user, make_booking
):
    booking = make_booking(user=make_user(telegram_id=PATIENT_ID))
    page = open_app("/app/bookings")
    cancel = page.locator(f'[data-booking-id="{booking.id}"]').get_by_role("button", name="Cancel")
    expect(cancel).to_be_visible()
    settings = app.config["SETTINGS"]
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(settings, CANCEL_CUTOFF=timedelta(days=90)))

    cancel.click()
    popups = wait_for_popup(page, 2)

    assert popups[1] == {"kind": "popup",
                         "message": "It is too late to cancel this booking online. Please call the clinic."}
    assert "error" in telegram_record(page)["haptics"]
    assert fresh(booking.id).status == "booked"


def test_the_bots_reschedule_link_moves_the_booking_through_the_same_picker(open_app, make_user, make_booking):
    patient = make_user(telegram_id=PATIENT_ID)
    booking = make_booking(user=patient)
    clinic = booking.clinic
    new_day = open_day(clinic, 3, skip=(booking.starts_at.astimezone(clinic.zone).date(),))

    page = open_app(f"/app/reschedule/{booking.id}")
    expect(page.locator("[data-current]")).to_contain_text("Now: ")
    expect(page.locator("[data-service]")).to_have_text(booking.service_name)
    choose_slot(page, new_day, "11:00")
    expect(page.get_by_label("Phone")).to_have_count(0)  # a move needs no form
    tap_main_button(page, "Move my booking here")
    expect(page.get_by_role("heading", name="Your booking is moved")).to_be_visible()

    old = fresh(booking.id)
    moved = db.session.scalars(select(Booking).where(Booking.rescheduled_from_id == booking.id)).one()
    assert old.status == "cancelled"
    assert moved.status == "booked" and moved.starts_at == datetime.combine(new_day, time(11), clinic.zone)


def test_a_moved_booking_shows_once_at_its_new_time_and_never_as_a_past_cancellation(
    open_app, make_user, make_booking
):
    patient = make_user(telegram_id=PATIENT_ID)
    booking = make_booking(user=patient)
    clinic = booking.clinic
    new_day = open_day(clinic, 3, skip=(booking.starts_at.astimezone(clinic.zone).date(),))
    page = open_app(f"/app/reschedule/{booking.id}")
    choose_slot(page, new_day, "11:00")
    tap_main_button(page, "Move my booking here")
    expect(page.get_by_role("heading", name="Your booking is moved")).to_be_visible()
    moved = db.session.scalars(select(Booking).where(Booking.rescheduled_from_id == booking.id)).one()
    db.session.commit()

    page = open_app("/app/bookings")

    expect(page.locator(f'[data-booking-id="{moved.id}"]')).to_be_visible()
    expect(page.locator(f'[data-booking-id="{booking.id}"]')).to_have_count(0)
    page.get_by_role("button", name="Past").click()
    expect(page.get_by_text("You have no past bookings yet.")).to_be_visible()
    expect(page.locator("[data-booking-id]")).to_have_count(0)


def test_someone_elses_booking_cannot_be_rescheduled(open_app, make_user, make_booking):
    booking = make_booking(user=make_user(telegram_id=PATIENT_ID + 7))

    page = open_app(f"/app/reschedule/{booking.id}")
    expect(page.locator("[data-slots-status]")).to_have_text("Booking not found.")
    expect(page.locator("button.day")).to_have_count(0)


def test_my_results_open_the_pdf_or_send_it_to_the_chat(open_app, make_user, make_booking):
    booking = make_booking(user=make_user(telegram_id=PATIENT_ID))
    result = results.store_result(booking.id, content=PDF, file_name="blood.pdf", title="Blood test",
                                  now=booking.starts_at)
    db.session.commit()

    page = open_app("/app/results")
    card = page.locator(f'[data-result-id="{result.id}"]')
    expect(card).to_contain_text("Blood test")
    with page.expect_download() as download:
        card.get_by_role("button", name="Open").click()
    assert download.value.suggested_filename == "blood.pdf"
    assert open(download.value.path(), "rb").read() == PDF
    card.get_by_role("button", name="Send to my chat").click()
    expect(page.locator("#toast")).to_have_text("The bot is sending it to your chat.")
    sends = db.session.scalars(select(OutboxMessage).where(OutboxMessage.result_id == result.id)).all()
    assert len(sends) == 2 and {row.chat_id for row in sends} == {PATIENT_ID}


def test_empty_lists_say_so(open_app):
    page = open_app("/app/results")
    expect(page.get_by_text("You have no test results yet.")).to_be_visible()
    page = open_app("/app/bookings")
    expect(page.get_by_text("You have no upcoming bookings.")).to_be_visible()
