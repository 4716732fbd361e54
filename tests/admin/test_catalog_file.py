"""`flask medsync catalog export` and `catalog import FILE [--dry-run]`: the whole catalog as one TOML file, applied
by key; export → import changes nothing; the demo catalog is such a file."""
from __future__ import annotations

import tomllib
from datetime import date, time, timedelta
from decimal import Decimal
from importlib.resources import files

import tomli_w
from sqlalchemy import func, select, text

from medsync import clock
from medsync.extensions import db
from medsync.models import (
    AuditEntry, Booking, ClinicClosure, ClinicDiagnostic, DiagnosticType, Doctor, DoctorAbsence, OutboxMessage,
)
from medsync.services import schedules, seed
from tests.foundation.test_seed import snapshot

UPLOADED = "/app/photos/uploads/" + "a" * 64 + "-192.webp"


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["medsync", "catalog", *args])


def edited_demo() -> None:
    """The demo catalog as a clinic's admins went on to edit it."""
    seed.seed_demo_catalog()
    doctors = db.session.scalars(select(Doctor).order_by(Doctor.id)).all()
    doctors[0].active = False
    doctors[1].photo_url = UPLOADED
    doctors[1].bio_translations = {**doctors[1].bio_translations, "pl": "Zmieniony opis."}
    doctors[2].bio = None
    db.session.add(ClinicClosure(clinic_id=doctors[0].clinic_id, first_day=date(2027, 3, 8), last_day=date(2027, 3, 9),
                                 reason="Renovation"))
    offer = db.session.scalars(select(ClinicDiagnostic)).first()
    offer.price = Decimal("1234.50")
    db.session.commit()


def test_export_then_import_changes_nothing(app, app_context, frozen_now, tmp_path):
    edited_demo()
    before = snapshot()
    entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
    exported = tmp_path / "catalog.toml"

    written = run(app, "export", "--output", str(exported))
    imported = run(app, "import", str(exported))

    assert written.exit_code == 0, written.output
    assert imported.exit_code == 0, imported.output
    assert imported.stdout.strip() == "nothing changed"
    db.session.expire_all()
    assert snapshot() == before
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == entries
    document = tomllib.loads(exported.read_text())
    first = db.session.scalars(select(Doctor).order_by(Doctor.id)).first()
    assert document["doctors"][first.slug]["active"] is False
    assert {"clinic": document["closures"][-1]["clinic"], "first_day": "2027-03-08", "last_day": "2027-03-09",
            "reason": "Renovation"} in document["closures"]


def test_an_import_prints_what_it_changed_and_audits_it(app, app_context, frozen_now, tmp_path):
    seed.seed_demo_catalog()
    db.session.commit()
    exported = tmp_path / "catalog.toml"
    run(app, "export", "-o", str(exported))
    doctor = db.session.scalars(select(Doctor).order_by(Doctor.id)).first()
    old_price = f"{doctor.price:.2f}"
    exported.write_text(exported.read_text().replace(f'price = "{old_price}"', 'price = "999.00"', 1))

    result = run(app, "import", str(exported))

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"changed doctors.{doctor.slug}: price", "1 changes"]
    db.session.expire_all()
    assert db.session.get(Doctor, doctor.id).price == Decimal("999.00")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "doctor.import")
                              .order_by(AuditEntry.id.desc()).limit(1))
    assert (entry.actor_id, entry.before, entry.after) == ("cli", {"price": old_price}, {"price": "999.00"})


def test_a_dry_run_says_what_would_change_and_writes_nothing(app, app_context, frozen_now):
    result = run(app, "import", "--dry-run", str(files("medsync").joinpath("demo_catalog.toml")))

    assert result.exit_code == 0, result.output
    assert "added doctors.olena-kovalenko" in result.stdout
    assert result.stdout.strip().splitlines()[-1].startswith("dry run: ")
    assert db.session.scalar(select(func.count()).select_from(Doctor)) == 0
    assert db.session.scalar(select(func.count()).select_from(DiagnosticType)) == 0


def test_a_bad_file_is_refused_naming_the_entry_and_nothing_is_written(app, app_context, frozen_now, tmp_path):
    seed.seed_demo_catalog()
    db.session.commit()
    exported = tmp_path / "catalog.toml"
    run(app, "export", "-o", str(exported))
    exported.write_text(exported.read_text().replace('timezone = "Europe/Kyiv"', 'timezone = "Europe/Atlantis"', 1))
    before = snapshot()

    result = run(app, "import", str(exported))

    assert result.exit_code == 1
    assert "timezone: Not a time zone we know" in result.output
    assert snapshot() == before


# --- schedules in the file -------------------------------------------------------------------------


def schedule_rows() -> dict:
    def rows(sql: str) -> list:
        return db.session.execute(text(sql)).all()

    return {
        "rotas": rows("SELECT r.doctor_id, r.clinic_id, r.diagnostic_id, r.valid_from, i.weekday, i.starts_at, i.ends_at"
                      " FROM rotas r LEFT JOIN rota_intervals i ON i.rota_id = r.id ORDER BY 1, 2, 3, 4, 5, 6"),
        "overrides": rows("SELECT o.doctor_id, o.day, o.reason, i.starts_at, i.ends_at FROM day_overrides o"
                          " LEFT JOIN override_intervals i ON i.override_id = o.id ORDER BY 1, 2, 4"),
        "absences": rows("SELECT doctor_id, first_day, last_day, reason FROM doctor_absences ORDER BY 1, 2"),
        "offers": rows("SELECT clinic_id, diagnostic_id, price, duration_minutes FROM clinic_diagnostics ORDER BY 1, 2"),
    }


def scheduled_demo() -> tuple[Doctor, DiagnosticType]:
    """The demo catalog with a doctor's rotas (in force and from next month), a day override, a day off, an absence,
    and a test's own hours and duration at one clinic."""
    seed.seed_demo_catalog()
    db.session.commit()
    doctor = db.session.scalars(select(Doctor).where(Doctor.appointment_minutes == 30).order_by(Doctor.id)).first()
    today = clock.now().astimezone(doctor.clinic.zone).date()
    monday_wednesday = [schedules.WeeklyHours(1, time(9), time(13)), schedules.WeeklyHours(1, time(14), time(17, 30)),
                        schedules.WeeklyHours(3, time(12), time(18))]
    schedules.replace_hours(doctor.id, monday_wednesday, valid_from=today, actor_id="staff:1")
    schedules.replace_hours(doctor.id, monday_wednesday[:1], valid_from=today + timedelta(days=40), actor_id="staff:1")
    schedules.add_override(doctor.id, today + timedelta(days=10), [(time(10), time(12, 30))], reason="Conference",
                           actor_id="staff:1")
    schedules.add_override(doctor.id, today + timedelta(days=11), [], actor_id="staff:1")
    schedules.add_absence(doctor.id, today + timedelta(days=20), today + timedelta(days=25), reason="Vacation",
                          actor_id="staff:1")
    offer = db.session.scalars(select(ClinicDiagnostic).order_by(ClinicDiagnostic.clinic_id)).first()
    schedules.replace_test_hours(offer.clinic_id, offer.diagnostic_id, [schedules.WeeklyHours(2, time(8), time(11))],
                                 duration_minutes=45, actor_id="staff:1")
    db.session.commit()
    return doctor, db.session.get(DiagnosticType, offer.diagnostic_id)


def test_export_then_import_with_schedules_changes_nothing(app, app_context, frozen_now, tmp_path):
    doctor, diagnostic = scheduled_demo()
    before = (snapshot(), schedule_rows())
    exported = tmp_path / "catalog.toml"

    run(app, "export", "-o", str(exported))
    imported = run(app, "import", str(exported))

    assert imported.exit_code == 0, imported.output
    assert imported.stdout.strip() == "nothing changed"
    db.session.expire_all()
    assert (snapshot(), schedule_rows()) == before
    entry = tomllib.loads(exported.read_text())["doctors"][doctor.slug]
    assert [rota["weekly"] for rota in entry["rotas"]] == [
        {"monday": ["09:00-13:00", "14:00-17:30"], "wednesday": ["12:00-18:00"]}, {"monday": ["09:00-13:00"]}]
    assert [override["hours"] for override in entry["overrides"]] == [["10:00-12:30"], []]
    assert entry["absences"][0]["reason"] == "Vacation"
    at = tomllib.loads(exported.read_text())["diagnostics"][diagnostic.slug]["at"]
    assert [(hours["duration_minutes"], hours["rotas"][0]["weekly"]) for hours in at.values()] == [
        (45, {"tuesday": ["08:00-11:00"]})]


def test_a_files_schedules_are_applied_once_by_key(app, app_context, frozen_now, tmp_path):
    doctor, _diagnostic = scheduled_demo()
    exported = tmp_path / "catalog.toml"
    run(app, "export", "-o", str(exported))
    document = tomllib.loads(exported.read_text())
    entry = document["doctors"][doctor.slug]
    entry["rotas"] = entry["rotas"][:1]
    entry["rotas"][0]["weekly"]["friday"] = ["09:30-12:00"]
    del entry["overrides"][1]
    exported.write_text(tomli_w.dumps(document))

    first = run(app, "import", str(exported))
    again = run(app, "import", str(exported))

    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines() == [f"changed doctors.{doctor.slug}: rotas",
                                         f"changed doctors.{doctor.slug}: overrides", "2 changes"]
    assert again.stdout.strip() == "nothing changed"
    db.session.expire_all()
    assert [(rota.valid_from, len(rota.intervals)) for rota in schedules.rotas_of(doctor.id)] == [
        (clock.now().astimezone(doctor.clinic.zone).date(), 4)]


def test_a_rota_off_the_doctors_grid_is_refused_as_the_api_refuses_it(app, app_context, frozen_now, tmp_path):
    doctor, _diagnostic = scheduled_demo()
    exported = tmp_path / "catalog.toml"
    run(app, "export", "-o", str(exported))
    exported.write_text(exported.read_text().replace('"14:00-17:30"', '"14:00-17:20"'))
    before = schedule_rows()

    result = run(app, "import", str(exported))

    assert result.exit_code == 1
    assert f"doctors.{doctor.slug}.rotas.#1: weekly: 1: ends: Must be on the 30-minute grid" in result.output
    db.session.expire_all()
    assert schedule_rows() == before


def test_an_import_that_takes_a_booked_visit_is_refused_unless_asked_to_cancel_it(
    app, app_context, frozen_now, tmp_path, make_booking, make_user,
):
    seed.seed_demo_catalog()
    db.session.commit()
    doctor = db.session.scalars(select(Doctor).order_by(Doctor.id)).first()
    booking = make_booking(doctor=doctor, user=make_user())
    exported = tmp_path / "catalog.toml"
    run(app, "export", "-o", str(exported))
    document = tomllib.loads(exported.read_text())
    day = booking.starts_at.astimezone(doctor.clinic.zone).date().isoformat()
    document["doctors"][doctor.slug]["absences"] = [{"first_day": day, "last_day": day, "reason": "Illness"}]
    exported.write_text(tomli_w.dumps(document))

    dry = run(app, "import", "--dry-run", str(exported))
    refused = run(app, "import", str(exported))
    db.session.expire_all()
    still = (db.session.get(Booking, booking.id).status, db.session.scalar(select(func.count()).select_from(DoctorAbsence)))
    cancelled = run(app, "import", "--cancel-affected", str(exported))

    assert f"would cancel 1 booked visits at clinics.{doctor.clinic.slug}: {booking.id}" in dry.stdout
    assert refused.exit_code == 1
    assert f"leave 1 booked visits out (bookings {booking.id})" in refused.output
    assert still == ("booked", 0)
    assert cancelled.exit_code == 0, cancelled.output
    assert f"cancelled 1 booked visits at clinics.{doctor.clinic.slug}: {booking.id}" in cancelled.stdout
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "cancelled"
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.booking_id == booking.id,
                                                            OutboxMessage.kind == "cancellation"))
    assert message.payload["schedule_change"]["kind"] == "hours"
