"""The staff pages that edit a clinic and a test: an admin changes a clinic's opening hours and a test's price (light
and dark), sees a bad value named beside its field, is told when someone else saved first, and adds new ones; a
test's hours at a clinic are checked, then confirmed."""
from __future__ import annotations

import re
from datetime import datetime, time
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from medsync.extensions import db
from medsync.models import Booking, Clinic, ClinicDiagnostic, DiagnosticType, Rota
from medsync.services import bookings
from tests.browser.conftest import open_day, save_screenshot, tap_main_button
from tests.conftest import PATIENT


def profile(member, language_code: str = "en") -> dict:
    return {"id": member.telegram_id, "first_name": "Oksana", "last_name": "Admin", "language_code": language_code}


def fresh(model, row_id: int):
    db.session.expire_all()
    row = db.session.get(model, row_id)
    db.session.commit()
    return row


def week_of(clinic: Clinic) -> dict[int, tuple[time, time, list[tuple[time, time]]]]:
    return {day.weekday: (day.opens_at, day.closes_at, [(pause.starts_at, pause.ends_at) for pause in day.breaks])
            for day in clinic.hours}


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_an_admin_changes_a_clinics_hours_and_a_tests_price(open_app, make_staff, make_clinic, make_diagnostic,
                                                          dark):
    clinic = make_clinic(name="MedSync Podil")
    diagnostic = make_diagnostic(clinics=[clinic], name="MRI", price=Decimal("2400.00"))
    admin = make_staff("admin", clinics=[clinic], name="Oksana Admin")
    theme = "dark" if dark else "light"

    page = open_app("/app/staff/clinics", user=profile(admin), dark=dark)
    page.locator(f'[data-clinic-id="{clinic.id}"] a').click()
    expect(page.locator("#weekday-1")).to_have_value("09:00–13:00, 14:00–18:00")
    page.locator("#weekday-1").fill("09:30-13:00, 14:00-19:00")
    page.locator("#weekday-6").fill("")
    tap_main_button(page, "Save")
    expect(page.locator("#toast")).to_have_text("Saved.")
    week = week_of(fresh(Clinic, clinic.id))
    assert week[1] == (time(9, 30), time(19), [(time(13), time(14))])
    assert 6 not in week and week[2] == (time(9), time(18), [(time(13), time(14))])
    page.locator("fieldset legend").scroll_into_view_if_needed()
    save_screenshot(page, f"staff-clinic-{theme}")

    page.goto("/app/staff/diagnostics")
    page.locator(f'[data-diagnostic-id="{diagnostic.id}"] a').click()
    expect(page.locator("#price")).to_have_value("2400.00")
    page.locator("#price").fill("2650,50")
    tap_main_button(page, "Save")
    expect(page.locator("#toast")).to_have_text("Saved.")
    assert fresh(DiagnosticType, diagnostic.id).price == Decimal("2650.50")
    expect(page.locator(f'[data-test-hours] [data-clinic-id="{clinic.id}"] [data-rotas]')).to_contain_text(
        "the clinic's opening hours")
    page.locator("[data-test-hours] h2").scroll_into_view_if_needed()
    save_screenshot(page, f"staff-diagnostic-{theme}")


def test_a_bad_value_is_named_beside_its_field_and_nothing_is_saved(open_app, make_staff, make_clinic):
    clinic = make_clinic(name="MedSync Podil")
    admin = make_staff("admin", clinics=[clinic])
    before = week_of(clinic)

    page = open_app(f"/app/staff/clinics/{clinic.id}", user=profile(admin))
    expect(page.locator("#name")).to_have_value("MedSync Podil")
    page.locator("#name").fill("MedSync Podil Renamed")
    page.locator("#timezone").fill("Europe/Atlantis")
    page.locator("#weekday-2").fill("18:00-09:00")
    tap_main_button(page, "Save")

    expect(page.locator('[data-error-for="timezone"]')).to_contain_text("Not a time zone we know")
    expect(page.locator('[data-error-for="weekday-2"]')).to_have_text("Closes before it opens.")
    expect(page.locator("#timezone")).to_have_attribute("aria-invalid", "true")
    stored = fresh(Clinic, clinic.id)
    assert stored.name == "MedSync Podil" and stored.timezone == "Europe/Kyiv" and week_of(stored) == before

    page.locator("#weekday-2").fill("9-13")
    tap_main_button(page, "Save")
    expect(page.locator('[data-error-for="weekday-2"]')).to_have_text(
        "Write hours as 09:00-13:00, several separated by commas.")


def test_someone_elses_newer_save_is_refused_not_overwritten(open_app, make_staff, make_clinic, make_diagnostic):
    clinic = make_clinic()
    diagnostic = make_diagnostic(clinics=[clinic], price=Decimal("2400.00"))
    admin = make_staff("admin", clinics=[clinic])

    page = open_app(f"/app/staff/diagnostics/{diagnostic.id}", user=profile(admin))
    expect(page.locator("#price")).to_have_value("2400.00")
    colleague = fresh(DiagnosticType, diagnostic.id)
    colleague.price = Decimal("2500.00")  # another admin's save, after this page was opened
    db.session.commit()
    page.locator("#price").fill("2600")
    tap_main_button(page, "Save")

    expect(page.locator("[data-form-error]")).to_contain_text("Someone changed this after you opened it")
    assert fresh(DiagnosticType, diagnostic.id).price == Decimal("2500.00")


def test_an_admin_adds_a_clinic_and_a_test_offered_there(open_app, make_staff, make_clinic):
    home = make_clinic(name="MedSync Podil")
    admin = make_staff("admin", clinics=[home])

    page = open_app("/app/staff/clinics", user=profile(admin))
    page.locator("[data-add]").click()
    page.locator("#name").fill("MedSync Obolon")
    page.locator("#address").fill("Obolonskyi Ave 1, Kyiv")
    page.locator("#timezone").fill("Europe/Kyiv")
    page.locator("#currency").fill("uah")
    for weekday in range(1, 6):
        page.locator(f"#weekday-{weekday}").fill("08:00-20:00")
    tap_main_button(page, "Save")
    page.wait_for_url(re.compile(r".*/app/staff/clinics/[0-9]+$"))
    added = db.session.scalar(select(Clinic).where(Clinic.name == "MedSync Obolon"))
    db.session.commit()
    assert added.currency == "UAH" and sorted(week_of(added)) == [1, 2, 3, 4, 5]
    expect(page.locator("[data-closures-link]")).to_have_attribute("href", f"/app/staff/clinics/{added.id}/closures")

    page.goto("/app/staff/diagnostics/new")
    page.locator("#name").fill("Ultrasound")
    page.locator("#price").fill("900")
    page.locator("#duration_minutes").fill("20")
    page.get_by_label("MedSync Obolon").check()
    tap_main_button(page, "Save")
    page.wait_for_url(re.compile(r".*/app/staff/diagnostics/[0-9]+$"))
    test = db.session.scalar(select(DiagnosticType).where(DiagnosticType.name == "Ultrasound"))
    db.session.commit()
    assert test.price == Decimal("900.00") and [clinic.id for clinic in test.clinics] == [added.id]


def test_a_tests_hours_at_a_clinic_are_checked_then_confirmed(open_app, make_staff, make_clinic, make_diagnostic):
    clinic = make_clinic()
    diagnostic = make_diagnostic(clinics=[clinic])
    admin = make_staff("admin", clinics=[clinic])

    page = open_app(f"/app/staff/diagnostics/{diagnostic.id}", user=profile(admin))
    hours = page.locator(f'[data-test-hours] [data-clinic-id="{clinic.id}"] form')
    # The form shows the stored hours and duration once they are read (an edit typed before would be overwritten).
    expect(page.locator(f'[data-test-hours] [data-clinic-id="{clinic.id}"] [data-rotas]')).not_to_have_text("")
    hours.locator(f"#c{clinic.id}-weekday-2").fill("10:00-12:00")
    hours.locator(f"#c{clinic.id}-duration_minutes").fill("20")
    hours.get_by_role("button", name="Check").click()
    expect(hours.locator("[data-preview]")).to_have_text("No booked visit is affected.")
    hours.locator("[data-preview]").scroll_into_view_if_needed()
    save_screenshot(page, "staff-diagnostic-hours")
    hours.get_by_role("button", name="Confirm").click()
    expect(page.locator("#toast")).to_have_text("Saved.")
    rota = db.session.scalar(select(Rota).where(Rota.clinic_id == clinic.id, Rota.diagnostic_id == diagnostic.id))
    offer = db.session.get(ClinicDiagnostic, (clinic.id, diagnostic.id))
    db.session.commit()
    assert [(item.weekday, item.starts_at, item.ends_at) for item in rota.intervals] == [(2, time(10), time(12))]
    assert offer.duration_minutes == 20


def test_clinic_hours_that_strand_a_visit_are_previewed_then_confirmed(open_app, make_staff, make_clinic, make_doctor,
                                                                      make_user):
    clinic = make_clinic(name="MedSync Podil")
    doctor = make_doctor(clinic=clinic)
    admin = make_staff("admin", clinics=[clinic])
    day = open_day(clinic, 2)
    visit = bookings.book(user_id=make_user().telegram_id, clinic_id=clinic.id, doctor_id=doctor.id,
                          starts_at=datetime.combine(day, time(15), clinic.zone), patient=PATIENT)
    db.session.commit()

    page = open_app(f"/app/staff/clinics/{clinic.id}", user=profile(admin))
    expect(page.locator("#name")).to_have_value("MedSync Podil")
    page.locator(f"#weekday-{day.isoweekday()}").fill("09:00-13:00")
    tap_main_button(page, "Save")
    preview = page.locator("[data-preview]")
    expect(preview).to_contain_text("These booked visits will be cancelled and their patients told:")
    expect(preview.locator(f'[data-visit-id="{visit.id}"]')).to_contain_text("15:00 — Taras Shevchenko")
    assert fresh(Booking, visit.id).status == "booked"
    assert week_of(fresh(Clinic, clinic.id))[day.isoweekday()][1] == time(18)

    tap_main_button(page, "Confirm")
    expect(page.locator("#toast")).to_have_text(
        "Saved. The affected visits are cancelled and their patients are being told.")
    assert fresh(Booking, visit.id).status == "cancelled"
    assert week_of(fresh(Clinic, clinic.id))[day.isoweekday()] == (time(9), time(13), [])
    expect(preview).to_be_empty()
