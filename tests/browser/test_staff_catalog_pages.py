"""The staff pages of the catalog: doctors (search, active or not), a doctor (details, photo), clinics, tests and the
audit log — inside Telegram in light and dark, and in Ukrainian."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from medsync.extensions import db
from medsync.models import AuditEntry, Doctor
from medsync.services import audit
from tests.browser.conftest import save_screenshot, tap_main_button


def profile(member, language_code: str = "en") -> dict:
    return {"id": member.telegram_id, "first_name": "Oksana", "last_name": "Admin", "language_code": language_code}


def fresh(doctor_id: int) -> Doctor:
    db.session.expire_all()
    doctor = db.session.get(Doctor, doctor_id)
    db.session.commit()
    return doctor


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_an_admin_finds_a_doctor_changes_the_price_and_uploads_a_photo(open_app, make_staff, make_doctor, tmp_path,
                                                                       dark):
    doctor = make_doctor(full_name="Dr. Maria Lysenko", price=Decimal("650.00"))
    make_doctor(clinic=doctor.clinic, full_name="Dr. Petro Bondar")
    admin = make_staff("admin", clinics=[doctor.clinic], name="Oksana Admin")

    page = open_app("/app/staff/doctors", user=profile(admin), dark=dark)
    expect(page.locator("[data-list] [data-doctor-id]")).to_have_count(2)
    page.locator("[data-doctor-search]").fill("lysenko")
    expect(page.locator("[data-list] [data-doctor-id]")).to_have_count(1)
    page.locator(f'[data-doctor-id="{doctor.id}"] a').click()

    expect(page.locator("#full_name")).to_have_value("Dr. Maria Lysenko")
    page.locator("#price").fill("700")
    tap_main_button(page, "Save")
    expect(page.locator("#toast")).to_have_text("Saved.")
    assert fresh(doctor.id).price == Decimal("700.00")

    portrait = tmp_path / "portrait.png"
    Image.new("RGB", (300, 400), (30, 120, 200)).save(portrait)
    page.locator("[data-photo-file]").set_input_files(str(portrait))
    expect(page.locator("#toast")).to_have_text("The photo is saved.")
    assert fresh(doctor.id).photo_url.startswith("/app/photos/uploads/")
    # The API names it under PUBLIC_URL (the test's is not a real host); the photo itself is served: test_catalog_editing.
    expect(page.locator("[data-doctor-photo]")).to_have_attribute(
        "src", re.compile(r"/app/photos/uploads/[0-9a-f]{64}-192\.webp$"))
    save_screenshot(page, f"staff-doctor-{'dark' if dark else 'light'}")


def test_an_admin_adds_a_doctor_and_a_bad_price_is_named(open_app, make_staff, make_doctor):
    colleague = make_doctor()
    admin = make_staff("admin", clinics=[colleague.clinic])

    page = open_app("/app/staff/doctors/new", user=profile(admin))
    page.locator("#full_name").fill("Dr. Iryna Melnyk")
    page.locator("#specialty_id").select_option(str(colleague.specialty_id))
    page.locator("#price").fill("0")
    page.locator("#appointment_minutes").fill("30")
    tap_main_button(page, "Save")
    expect(page.locator('[data-error-for="price"]')).to_have_text("Must be more than 0.")

    page.locator("#price").fill("800")
    tap_main_button(page, "Save")
    page.wait_for_url(re.compile(r".*/app/staff/doctors/[0-9]+$"))
    added = db.session.scalar(select(Doctor).where(Doctor.full_name == "Dr. Iryna Melnyk"))
    db.session.commit()
    assert added.price == Decimal("800.00") and added.clinic_id == colleague.clinic_id
    patients = open_app("/app/see_a_doctor", telegram=False)
    expect(patients.get_by_text("Dr. Iryna Melnyk")).to_be_visible()


def test_reception_sees_a_doctor_but_cannot_change_them(open_app, make_staff, make_doctor):
    doctor = make_doctor()
    reception = make_staff("reception", clinics=[doctor.clinic])

    page = open_app(f"/app/staff/doctors/{doctor.id}", user=profile(reception))

    expect(page.locator("#full_name")).to_have_value(doctor.full_name)
    expect(page.locator("#full_name")).to_be_disabled()
    expect(page.locator("[data-save]")).to_be_hidden()
    admin_only = page.locator(".staff-nav [data-needs=admin]")
    expect(admin_only).not_to_have_count(0)
    for entry in admin_only.all():
        expect(entry).to_be_hidden()


def test_clinics_tests_and_the_audit_log_in_ukrainian(open_app, make_staff, make_clinic, make_diagnostic, app):
    clinic = make_clinic(name="MedSync Podil")
    make_diagnostic(clinics=[clinic], name="MRI")
    admin = make_staff("admin", clinics=[clinic], name="Oksana Admin")
    audit.record("clinic.update", actor_id=admin.actor_id, object_type="clinic", object_id=clinic.id,
                 clinic_id=clinic.id, before={"name": "Podil"}, after={"name": "MedSync Podil"})
    db.session.commit()

    page = open_app("/app/staff/clinics", user=profile(admin, "uk"))
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.locator(f'[data-clinic-id="{clinic.id}"]')).to_contain_text("Europe/Kyiv · UAH")
    save_screenshot(page, "staff-clinics-uk")
    page.goto("/app/staff/diagnostics")
    expect(page.locator("[data-list] [data-diagnostic-id]")).to_contain_text("MRI")
    page.goto("/app/staff/audit")
    entry = page.locator("[data-list] [data-audit-id]")
    expect(entry).to_contain_text('name: "Podil" → "MedSync Podil"')
    expect(entry).to_contain_text("Oksana Admin")
    save_screenshot(page, "staff-audit-uk")
    assert db.session.scalar(select(AuditEntry.id)) is not None
