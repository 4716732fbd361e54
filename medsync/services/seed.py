"""Importing a catalog file (demo_catalog.toml's format): clinics, hours, closures, specialties, doctors and
diagnostics upserted by key (their slug), so importing the same file twice changes nothing.

`import_catalog` says what it changed, one line per entry ("changed doctors.olena-kovalenko: price"), and writes
an audit entry for each (actor "cli"). The demo catalog is one such file: `seed-demo` imports it. Nothing is
deleted but what the file says of an entry it names (a clinic's hours, a diagnostic's clinics, the demo's yearly
closures, a doctor's `rotas`, `overrides` and `absences` and a test's `rotas` at a clinic when the entry lists
them: the list is then the whole of them); entries and lists the file does not name stay as they are.

Schedules are checked by the admin API's rules (`schedules.check_weekly` …: the grid of the doctor's or test's
length, no overlaps); a file's rota may start in the past (it records the rota in force). An import never cancels
a booked visit silently: when what it writes (hours, overrides, absences, closures) leaves booked visits from now
on outside their schedule, it is refused naming them, unless asked to cancel them (`affected="cancel"`: cancelled
by the clinic and each patient told, as the admin API's confirmed change does); a dry run lists them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import delete, select

from medsync import clock
from medsync.demo_catalog import (
    CatalogError, DemoAbsence, DemoCatalog, DemoClosure, DemoDoctor, DemoHours, DemoOverride, DemoRota,
    load_demo_catalog,
)
from medsync.errors import InvalidRequest
from medsync.extensions import db
from medsync.models import (
    Clinic, ClinicClosure, ClinicDiagnostic, DayOverride, DiagnosticType, Doctor, DoctorAbsence, DoctorRating,
    OverrideInterval, Rota, RotaInterval, Specialty, WorkingBreak, WorkingHours,
)
from medsync.services import audit, bookings, schedules
from medsync.services.catalog import catalog_changed

DEMO_CLOSURE_REASON = "Public holiday (demo)"  # a yearly closure of a catalog file, recreated for this year and next
_KINDS = {Clinic: "clinics", Specialty: "specialties", Doctor: "doctors", DiagnosticType: "diagnostics"}


@dataclass
class Changes:
    """What an import changed, one line per entry, in the file's order."""

    lines: list[str] = field(default_factory=list)

    def note(self, line: str) -> None:
        self.lines.append(line)


def seed_demo_catalog(path: Path | None = None) -> dict[str, int]:
    """Create or refresh the catalog in `path` (default: the shipped demo); returns how many of each it holds."""
    demo = load_demo_catalog(path)  # before any write: a mistake in the file leaves the database untouched
    import_catalog(demo)
    return {
        "clinics": len(demo.clinics), "specialties": len(demo.specialties), "doctors": len(demo.doctors),
        "diagnostics": len(demo.diagnostics),
    }


Affected = Literal["refuse", "list", "cancel"]


def import_catalog(demo: DemoCatalog, *, actor_id: str = "cli", affected: Affected = "refuse") -> Changes:
    """Apply a loaded catalog file by key; flushed, not committed (a dry run rolls back). Booked visits the new
    schedules leave out are refused (CatalogError), listed (a dry run) or cancelled by the clinic (`affected`)."""
    changes = Changes()
    now = clock.now()
    # Every clinic's row locked first, as a schedule change locks it: bookings wait for the import (they are
    # checked on its schedules once it commits), and none slips between what is stranded before and after.
    db.session.execute(select(Clinic.id).order_by(Clinic.id).with_for_update())
    stranded_before = _stranded(now)
    clinics = {
        item.key: _upsert(changes, Clinic, item.key, actor_id, name=item.name, address=item.address,
                          timezone=item.timezone, currency=item.currency, default_language=item.default_language)
        for item in demo.clinics
    }
    specialties = {
        item.key: _upsert(changes, Specialty, item.key, actor_id, name=item.name,
                          name_translations=item.name_translations)
        for item in demo.specialties
    }
    db.session.flush()
    for item in demo.clinics:
        _sync_hours(changes, clinics[item.key], item.key, item.hours)
    _sync_closures(changes, clinics, demo.closures)
    for item in demo.doctors:
        _import_doctor(changes, item, clinics, specialties, actor_id)
    for item in demo.diagnostics:
        diagnostic = _upsert(
            changes, DiagnosticType, item.key, actor_id, name=item.name, name_translations=item.name_translations,
            description=item.description, description_translations=item.description_translations, price=item.price,
            photo_url=item.photo_url, duration_minutes=item.duration_minutes,
        )
        db.session.flush()
        _sync_offers(changes, diagnostic, item.key, {clinics[key].id: item.prices.get(key) for key in item.clinics})
        for clinic_key, hours in item.at.items():
            _sync_test_hours(changes, clinics[clinic_key], diagnostic, f"diagnostics.{item.key}.at.{clinic_key}", hours)
    db.session.flush()
    _take_from_booked(changes, _stranded(now), stranded_before, affected, actor_id)
    if changes.lines:
        for clinic in clinics.values():
            schedules.schedule_changed(clinic.id)
        catalog_changed()
    return changes


def _upsert(changes: Changes, model: type, slug: str, actor_id: str, **values: Any) -> Any:
    """The row with this slug, created or brought to `values`; its changes noted and audited."""
    kind = _KINDS[model]
    row = db.session.scalar(select(model).where(model.slug == slug))
    if row is None:
        row = model(slug=slug, **values)
        db.session.add(row)
        db.session.flush()
        changes.note(f"added {kind}.{slug}")
        _audit(kind, row, actor_id, None, audit.snapshot(row, values))
        return row
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if changed:
        before = audit.snapshot(row, changed)
        for name in changed:
            setattr(row, name, values[name])
        changes.note(f"changed {kind}.{slug}: {', '.join(changed)}")
        _audit(kind, row, actor_id, before, audit.snapshot(row, changed))
    return row


def _audit(kind: str, row: Any, actor_id: str, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    object_type = {"clinics": "clinic", "specialties": "specialty", "doctors": "doctor"}.get(kind, "diagnostic")
    clinic_id = row.id if kind == "clinics" else getattr(row, "clinic_id", None)
    audit.record(f"{object_type}.import", actor_id=actor_id, object_type=object_type, object_id=row.id,
                 clinic_id=clinic_id, before=before, after=after)


def _import_doctor(changes: Changes, item: DemoDoctor, clinics: dict, specialties: dict, actor_id: str) -> Doctor:
    doctor = _upsert(
        changes, Doctor, item.key, actor_id, full_name=item.full_name, clinic_id=clinics[item.clinic].id,
        specialty_id=specialties[item.specialty].id, price=item.price, photo_url=item.photo_url,
        bio=item.bio, bio_translations=item.bio_translations, experience=item.experience,
        experience_translations=item.experience_translations, certificates=item.certificates,
        services=item.services, services_translations=item.services_translations,
        appointment_minutes=item.appointment_minutes, active=item.active,
    )
    db.session.flush()
    has_ratings = db.session.scalar(select(DoctorRating.id).where(DoctorRating.doctor_id == doctor.id).limit(1))
    if has_ratings is None and item.ratings:
        db.session.add_all(
            DoctorRating(doctor_id=doctor.id, score=rating.score, comment=rating.comment) for rating in item.ratings
        )
        changes.note(f"added {len(item.ratings)} ratings to doctors.{item.key}")
    where = f"doctors.{item.key}"
    if item.rotas is not None:
        _sync_rotas(changes, where, select(Rota).where(Rota.doctor_id == doctor.id),
                    lambda: Rota(doctor_id=doctor.id), item.rotas, doctor.appointment_minutes)
    if item.overrides is not None:
        _sync_overrides(changes, where, doctor, item.overrides)
    if item.absences is not None:
        _sync_absences(changes, where, doctor, item.absences)
    return doctor


# --- schedules: rotas, overrides, absences, a test's hours at a clinic -----------------------------


def _sync_rotas(changes: Changes, where: str, owned: Any, new_rota: Any, rotas: tuple[DemoRota, ...],
                length_minutes: int) -> None:
    """The owner's rotas exactly as the file lists them, by `valid_from` (an unchanged one is left as it is)."""
    for number, rota in enumerate(rotas, start=1):
        _checked(f"{where}.rotas.#{number}", lambda: schedules.check_weekly(
            [schedules.WeeklyHours(*interval) for interval in rota.weekly], length_minutes))
    stored = {row.valid_from: row for row in db.session.scalars(owned)}
    wanted = {rota.valid_from: rota for rota in rotas}
    changed = False
    for valid_from, row in stored.items():
        if valid_from not in wanted or _weekly(row) != wanted[valid_from].weekly:
            db.session.delete(row)
            changed = True
    db.session.flush()
    for valid_from, rota in wanted.items():
        if valid_from in stored and _weekly(stored[valid_from]) == rota.weekly:
            continue
        row = new_rota()
        row.valid_from = valid_from
        row.intervals = [RotaInterval(weekday=weekday, starts_at=starts, ends_at=ends)
                         for weekday, starts, ends in rota.weekly]
        db.session.add(row)
        changed = True
    if changed:
        changes.note(f"changed {where}: rotas")


def _weekly(row: Rota) -> tuple[tuple[Any, ...], ...]:
    return tuple(sorted((item.weekday, item.starts_at, item.ends_at) for item in row.intervals))


def _sync_overrides(changes: Changes, where: str, doctor: Doctor, overrides: tuple[DemoOverride, ...]) -> None:
    """The doctor's day overrides exactly as the file lists them, by day."""
    for number, override in enumerate(overrides, start=1):
        errors = schedules.interval_errors([(index, *hours) for index, hours in enumerate(override.hours)],
                                           doctor.appointment_minutes)
        if errors:
            raise CatalogError(f"{where}.overrides.#{number}.hours: {_words(errors)}")
    stored = {row.day: row for row in db.session.scalars(select(DayOverride).where(DayOverride.doctor_id == doctor.id))}
    wanted = {override.day: override for override in overrides}
    changed = False
    for day, row in stored.items():
        hours = tuple((item.starts_at, item.ends_at) for item in row.intervals)
        if day not in wanted or (hours, row.reason) != (wanted[day].hours, wanted[day].reason):
            db.session.delete(row)
            changed = True
    db.session.flush()
    for day, override in wanted.items():
        row = stored.get(day)
        if row is not None and (tuple((item.starts_at, item.ends_at) for item in row.intervals), row.reason) == (
                override.hours, override.reason):
            continue
        db.session.add(DayOverride(doctor_id=doctor.id, day=day, reason=override.reason, intervals=[
            OverrideInterval(starts_at=starts, ends_at=ends) for starts, ends in override.hours]))
        changed = True
    if changed:
        changes.note(f"changed {where}: overrides")


def _sync_absences(changes: Changes, where: str, doctor: Doctor, absences: tuple[DemoAbsence, ...]) -> None:
    """The doctor's absences exactly as the file lists them, by their days."""
    for number, absence in enumerate(absences, start=1):
        _checked(f"{where}.absences.#{number}", lambda: schedules.check_days(absence.first_day, absence.last_day))
    stored = {(row.first_day, row.last_day): row
              for row in db.session.scalars(select(DoctorAbsence).where(DoctorAbsence.doctor_id == doctor.id))}
    wanted = {(absence.first_day, absence.last_day): absence for absence in absences}
    changed = False
    for days, row in stored.items():
        if days not in wanted:
            db.session.delete(row)
            changed = True
        elif row.reason != wanted[days].reason:
            row.reason = wanted[days].reason
            changed = True
    for days, absence in wanted.items():
        if days not in stored:
            db.session.add(DoctorAbsence(doctor_id=doctor.id, first_day=absence.first_day, last_day=absence.last_day,
                                         reason=absence.reason))
            changed = True
    if changed:
        changes.note(f"changed {where}: absences")


def _sync_test_hours(changes: Changes, clinic: Clinic, diagnostic: DiagnosticType, where: str, hours: Any) -> None:
    """The test's duration at the clinic (when given) and its rotas there (when listed)."""
    offer = db.session.get(ClinicDiagnostic, (clinic.id, diagnostic.id))
    if hours.duration_minutes is not None and offer.duration_minutes != hours.duration_minutes:
        offer.duration_minutes = hours.duration_minutes
        changes.note(f"changed {where}: duration_minutes")
    if hours.rotas is not None:
        owned = select(Rota).where(Rota.clinic_id == clinic.id, Rota.diagnostic_id == diagnostic.id)
        _sync_rotas(changes, where, owned, lambda: Rota(clinic_id=clinic.id, diagnostic_id=diagnostic.id),
                    hours.rotas, offer.duration_minutes or diagnostic.duration_minutes)


def _checked(where: str, check: Any) -> None:
    """Run one of the admin API's schedule checks; its refusal named as a catalog file's mistake."""
    try:
        check()
    except InvalidRequest as refused:
        raise CatalogError(f"{where}: {_words(refused.errors) or refused.message}") from None


def _words(errors: Any) -> str:
    if isinstance(errors, dict):
        return "; ".join(f"{key}: {_words(value)}" for key, value in errors.items())
    if isinstance(errors, list | tuple):
        return " ".join(_words(item) for item in errors)
    return str(errors)


# --- booked visits a schedule takes time from --------------------------------------------------------


def _stranded(now: Any) -> dict[int, set[int]]:
    """Per clinic, the visits booked from `now` on that its schedules (as this transaction sees them) leave out."""
    return {clinic_id: set(schedules.stranded_bookings(clinic_id, since=now))
            for clinic_id in db.session.scalars(select(Clinic.id))}


def _take_from_booked(changes: Changes, after: dict[int, set[int]], before: dict[int, set[int]],
                      affected: Affected, actor_id: str) -> None:
    """The visits the import left out of their schedule: refused, listed, or cancelled by the clinic."""
    for clinic_id, stranded in sorted(after.items()):
        new = sorted(stranded - before.get(clinic_id, set()))
        if not new:
            continue
        clinic = db.session.get(Clinic, clinic_id)
        listed = ", ".join(map(str, new))
        if affected == "refuse":
            raise CatalogError(
                f"clinics.{clinic.slug}: the file's schedules leave {len(new)} booked visits out (bookings {listed}); "
                "nothing was written. Import with --cancel-affected to cancel them by the clinic and tell their "
                "patients, or change the file.")
        if affected == "cancel":
            cancelled = bookings.cancel_by_clinic(new, reason=None, actor_id=actor_id,
                                                  change={"kind": "hours", "clinic_id": clinic_id})
            changes.note(f"cancelled {len(cancelled)} booked visits at clinics.{clinic.slug}: "
                         f"{', '.join(map(str, cancelled))}")
        else:
            changes.note(f"would cancel {len(new)} booked visits at clinics.{clinic.slug}: {listed}")


def _sync_hours(changes: Changes, clinic: Clinic, key: str, hours: tuple[DemoHours, ...]) -> None:
    """The clinic's week as the file writes it (only when it differs: an unchanged week is left as it is)."""
    stored = db.session.scalars(select(WorkingHours).where(WorkingHours.clinic_id == clinic.id)).all()
    current = sorted((row.weekday, row.opens_at, row.closes_at, tuple((b.starts_at, b.ends_at) for b in row.breaks))
                     for row in stored)
    wanted = sorted((day.iso_weekday, day.opens, day.closes, tuple(day.breaks)) for day in hours)
    if current == wanted:
        return
    db.session.execute(delete(WorkingHours).where(WorkingHours.clinic_id == clinic.id))
    db.session.expire(clinic, ["hours"])
    for day in hours:
        row = WorkingHours(clinic_id=clinic.id, weekday=day.iso_weekday, opens_at=day.opens, closes_at=day.closes)
        row.breaks = [WorkingBreak(starts_at=start, ends_at=end) for start, end in day.breaks]
        db.session.add(row)
    changes.note(f"changed clinics.{key}: hours")


def _sync_closures(changes: Changes, clinics: dict[str, Clinic], closures: tuple[DemoClosure, ...]) -> None:
    """Yearly closures for this year and the next (the file's are the only ones of their kind); closures of one
    year added when missing (others an admin recorded stay)."""
    this_year = clock.now().year
    yearly: set[tuple[int, date, date]] = set()
    once: dict[tuple[int, date, date], str | None] = {}
    for closure in closures:
        clinic_id = clinics[closure.clinic].id
        if closure.every_year:
            yearly.update((clinic_id, *closure.days(year)) for year in (this_year, this_year + 1))
        else:
            once[(clinic_id, *closure.days(this_year))] = closure.reason
    stored = db.session.scalars(select(ClinicClosure)).all()
    by_days = {(row.clinic_id, row.first_day, row.last_day): row for row in stored}
    names = {clinic.id: key for key, clinic in clinics.items()}
    for row in stored:
        if row.reason == DEMO_CLOSURE_REASON and (row.clinic_id, row.first_day, row.last_day) not in yearly:
            db.session.delete(row)
            changes.note(f"removed a closure of clinics.{names.get(row.clinic_id, row.clinic_id)}: "
                         f"{row.first_day}..{row.last_day}")
    wanted = {days: DEMO_CLOSURE_REASON for days in yearly}
    wanted.update(once)
    for (clinic_id, first_day, last_day), reason in wanted.items():
        if (clinic_id, first_day, last_day) not in by_days:
            db.session.add(ClinicClosure(clinic_id=clinic_id, first_day=first_day, last_day=last_day, reason=reason))
            changes.note(f"added a closure of clinics.{names[clinic_id]}: {first_day}..{last_day}")


def _sync_offers(changes: Changes, diagnostic: DiagnosticType, key: str, prices: dict[int, Any]) -> None:
    """Offered at exactly the file's clinics, each at its own price or the diagnostic's."""
    stored = {row.clinic_id: row for row in db.session.scalars(
        select(ClinicDiagnostic).where(ClinicDiagnostic.diagnostic_id == diagnostic.id))}
    changed = False
    for clinic_id, row in stored.items():
        if clinic_id not in prices:
            db.session.delete(row)
            changed = True
        elif row.price != prices[clinic_id]:
            row.price = prices[clinic_id]
            changed = True
    for clinic_id in prices.keys() - stored.keys():
        db.session.add(ClinicDiagnostic(clinic_id=clinic_id, diagnostic_id=diagnostic.id, price=prices[clinic_id]))
        changed = True
    if changed:
        db.session.expire(diagnostic, ["clinics"])
        changes.note(f"changed diagnostics.{key}: clinics and prices")
