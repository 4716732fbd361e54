"""`flask medsync catalog export` and `catalog import FILE [--dry-run]`: the whole catalog as one TOML file, applied
by key; export → import changes nothing; the demo catalog is such a file."""
from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from importlib.resources import files

from sqlalchemy import func, select

from medsync.extensions import db
from medsync.models import AuditEntry, ClinicClosure, ClinicDiagnostic, DiagnosticType, Doctor
from medsync.services import seed
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
