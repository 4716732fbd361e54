"""An admin erases a patient without Telegram from the front desk page (issue 20): the button shows only to admins and
only for patients without Telegram, asks with what the erasure would do, and erases only once confirmed."""
from __future__ import annotations

from datetime import datetime, timezone

from playwright.sync_api import expect

from medsync.extensions import db
from medsync.models import Patient
from tests.browser.conftest import telegram_record
from tests.conftest import next_local_slot
from tests.support.desk import book_by_phone


def _profile(member) -> dict:
    return {"id": member.telegram_id, "first_name": "Oksana", "last_name": "Admin", "language_code": "en"}


def _find(page, query: str):
    page.locator("[data-desk-query]").fill(query)
    page.locator("[data-desk-find-form] button[type=submit]").click()
    return page.locator("[data-desk-found] [data-patient-id]")


def test_an_admin_erases_a_phone_patient_after_confirming_what_it_will_do(open_app, frozen_now, make_doctor,
                                                                         make_staff, make_booking):
    frozen_now(datetime.now(timezone.utc))
    doctor = make_doctor()
    booked = book_by_phone(doctor, next_local_slot(doctor.clinic))
    make_booking(doctor=doctor, starts_at=next_local_slot(doctor.clinic, hour=11))  # Taras, with Telegram
    db.session.commit()
    admin = make_staff("admin", clinics=[doctor.clinic], name="Oksana Admin")

    page = open_app("/app/staff/desk", user=_profile(admin), width=1000)
    found = _find(page, "kobyl")
    expect(found).to_contain_text("Olha Kobylianska")
    page.evaluate("window.__tg.confirmAnswer = false")
    found.locator("[data-patient-erase]").click()
    expect(found.locator("[data-patient-erase]")).to_be_enabled()
    db.session.expire_all()
    assert db.session.get(Patient, booked.patient_id).last_name == "Kobylianska"  # declined: nothing erased

    page.evaluate("window.__tg.confirmAnswer = true")
    found.locator("[data-patient-erase]").click()
    expect(found).to_have_text("The patient's data is erased.")

    confirms = [popup["message"] for popup in telegram_record(page)["popups"] if popup["kind"] == "confirm"]
    assert confirms[-1] == ("Erase all data of Olha Kobylianska at their request? Visits ahead cancelled: 1; results "
                            "deleted: 0. Past visits stay without name or phone. This cannot be undone.")
    db.session.expire_all()
    assert db.session.get(Patient, booked.patient_id).last_name == ""
    expect(_find(page, "shevch")).to_contain_text("Taras Shevchenko")
    expect(page.locator("[data-patient-erase]")).to_have_count(0)  # a patient with Telegram erases their own data


def test_reception_is_not_offered_the_erasure(open_app, frozen_now, make_doctor, make_staff):
    frozen_now(datetime.now(timezone.utc))
    doctor = make_doctor()
    book_by_phone(doctor, next_local_slot(doctor.clinic))
    desk = make_staff("reception", clinics=[doctor.clinic])

    page = open_app("/app/staff/desk", user=_profile(desk), width=1000)
    found = _find(page, "kobyl")

    expect(found).to_contain_text("Olha Kobylianska")
    expect(page.locator("[data-patient-erase]")).to_have_count(0)
