"""Catalog editing by clinic admins: clinics (with their opening hours), specialties, doctors, diagnostics.

Values arrive validated field by field (the admin API's schemas); what depends on stored data is checked here, each
refusal a 422 naming its field, before anything is written. Every write is flushed with its audit entry (the
changed fields before and after) in the caller's transaction, which commits once. Translated texts (`*_translations`)
are merged one language at a time: `{"pl": "…"}` sets Polish, `{"pl": null}` removes it, other languages stay.

Each edited row has a version the ORM bumps and checks in its UPDATE: `expected_version` (the API's If-Match) older
than the row's is refused with 412 (API.md's contract; the issue says 409 for the same case); two writes racing past
that check are told 409 by the UPDATE itself. Catalog readers see a change as soon as it commits (the catalog
snapshot follows every flushed catalog row: medsync.services.catalog).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from medsync import clock
from medsync.errors import DomainError, InvalidRequest, NotFound
from medsync.extensions import db
from medsync.models import (
    Booking, Clinic, ClinicDiagnostic, DiagnosticType, Doctor, Specialty, StaffMember, StaffToken, WorkingBreak,
    WorkingHours,
)
from medsync.services import audit, photo_uploads, schedules
from medsync.services.pagination import Page, paginate

CLINIC_FIELDS = ("name", "address", "timezone", "currency", "default_language")
SPECIALTY_FIELDS = ("name", "name_translations")
DOCTOR_FIELDS = (
    "clinic_id", "specialty_id", "full_name", "price", "appointment_minutes", "bio", "bio_translations", "experience",
    "experience_translations", "certificates", "services", "services_translations", "photo_url", "active",
)
DIAGNOSTIC_FIELDS = ("name", "name_translations", "description", "description_translations", "price",
                     "duration_minutes")


_KINDS = {Clinic: "clinic", Specialty: "specialty", Doctor: "doctor", DiagnosticType: "diagnostic"}


class StaleVersion(DomainError):
    http_status = 412
    default_message = _l("Someone changed this after you opened it. Reload it to see their change, then make yours "
                         "again.")


class EditedMeanwhile(DomainError):
    default_message = _l("Someone changed this at the same moment. Reload it to see their change, then make yours "
                         "again.")


class DoctorNotFound(NotFound):
    default_message = _l("Doctor not found.")


class ClinicNotFound(NotFound):
    default_message = _l("Clinic not found.")


class SpecialtyNotFound(NotFound):
    default_message = _l("Specialty not found.")


class DiagnosticNotFound(NotFound):
    default_message = _l("Diagnostic not found.")


@dataclass(frozen=True)
class OpeningHours:
    """A clinic's hours on one ISO weekday, with its breaks."""

    weekday: int
    opens: time
    closes: time
    breaks: tuple[tuple[time, time], ...] = ()

    def text(self) -> str:
        breaks = ", ".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in self.breaks)
        return f"{self.weekday} {self.opens:%H:%M}-{self.closes:%H:%M}" + (f" ({breaks})" if breaks else "")


# --- clinics -------------------------------------------------------------------------------------------------


def get_clinic(clinic_id: int) -> Clinic:
    clinic = db.session.get(Clinic, clinic_id, options=[selectinload(Clinic.hours)])
    if clinic is None:
        raise ClinicNotFound()
    return clinic


def clinics(clinic_ids: Collection[int] | None) -> list[Clinic]:
    """The clinics in reach (None: every clinic), by name."""
    query = select(Clinic).options(selectinload(Clinic.hours)).order_by(Clinic.name, Clinic.id)
    if clinic_ids is not None:
        query = query.where(Clinic.id.in_(list(clinic_ids)))
    return list(db.session.scalars(query))


def create_clinic(values: Mapping[str, Any], *, actor_id: str) -> Clinic:
    """A new clinic; the staff member or token that made it administers it from now on."""
    clinic = Clinic(slug=values.get("slug") or _free_slug(Clinic, values["name"]))
    _ensure_free_slug(Clinic, clinic.slug)
    _apply(clinic, CLINIC_FIELDS, values)
    db.session.add(clinic)
    _replace_hours(clinic, values.get("hours", ()))
    _flush()
    _give_creator(actor_id, clinic)
    _audited("clinic.create", clinic, None, actor_id=actor_id, clinic_id=clinic.id)
    return clinic


def update_clinic(clinic_id: int, values: Mapping[str, Any], *, expected_version: int | None, actor_id: str,
                  dry_run: bool = False, reason: str | None = None, now: datetime | None = None) -> list[int]:
    """Change a clinic. New opening hours are a schedule change (services.schedules): the visits from `now` on that
    they leave outside the clinic's hours are cancelled by the clinic with `reason`, each patient messaged, in this
    transaction (`schedules.strand`), and the trail's entry lists them. A `dry_run` writes nothing at all and
    returns the visits the edit would cancel; a real edit returns those it cancelled."""
    if "hours" not in values:
        clinic = get_clinic(clinic_id)
        _check_version(clinic, expected_version)
        if dry_run:
            return []
        before = _clinic_snapshot(clinic)
        _apply(clinic, CLINIC_FIELDS, values)
        _flush()
        _audited("clinic.update", clinic, before, actor_id=actor_id, clinic_id=clinic.id)
        return []
    schedules.lock_schedule(clinic_id)  # before the row is read: its opening hours are a schedule
    clinic = get_clinic(clinic_id)
    _check_version(clinic, expected_version)
    before = _clinic_snapshot(clinic)

    def write() -> Clinic:
        _apply(clinic, CLINIC_FIELDS, values)
        _replace_hours(clinic, values["hours"])
        _touch(clinic)
        _flush()
        return clinic

    _written, affected = schedules.strand(
        write, clinic.id, reason=reason, actor_id=actor_id, dry_run=dry_run, now=now or clock.now(),
        change={"kind": "hours", "clinic_id": clinic.id},
    )
    if not dry_run:
        _audited("clinic.update", clinic, before, actor_id=actor_id, clinic_id=clinic.id,
                 cancelled=affected)
    return affected


def opening_hours(clinic: Clinic) -> list[OpeningHours]:
    return [OpeningHours(row.weekday, row.opens_at, row.closes_at,
                         tuple((item.starts_at, item.ends_at) for item in row.breaks)) for row in clinic.hours]


def _replace_hours(clinic: Clinic, hours: Iterable[OpeningHours]) -> None:
    clinic.hours.clear()
    db.session.flush()  # the old rows go before the new ones take their (clinic, weekday)
    for day in hours:
        row = WorkingHours(weekday=day.weekday, opens_at=day.opens, closes_at=day.closes)
        row.breaks = [WorkingBreak(starts_at=start, ends_at=end) for start, end in day.breaks]
        clinic.hours.append(row)


def _clinic_snapshot(clinic: Clinic) -> dict[str, Any]:
    return {**audit.snapshot(clinic, CLINIC_FIELDS), "hours": [day.text() for day in opening_hours(clinic)]}


def _give_creator(actor_id: str, clinic: Clinic) -> None:
    """A clinic is administered by whoever made it: their member or token gets it among its clinics."""
    kind, _sep, number = actor_id.partition(":")
    owner = {"staff": StaffMember, "staff-token": StaffToken}.get(kind)
    row = db.session.get(owner, int(number)) if owner is not None and number.isdigit() else None
    if row is not None and row.clinics is not None and clinic not in row.clinics:
        row.clinics.append(clinic)
        db.session.flush()


# --- specialties ---------------------------------------------------------------------------------------------


def specialties() -> list[Specialty]:
    return list(db.session.scalars(select(Specialty).order_by(Specialty.name)))


def get_specialty(specialty_id: int) -> Specialty:
    specialty = db.session.get(Specialty, specialty_id)
    if specialty is None:
        raise SpecialtyNotFound()
    return specialty


def create_specialty(values: Mapping[str, Any], *, actor_id: str) -> Specialty:
    _ensure_free_name(Specialty, values["name"], None, _("Another specialty has this name."))
    specialty = Specialty(slug=values.get("slug") or _free_slug(Specialty, values["name"]))
    _ensure_free_slug(Specialty, specialty.slug)
    _apply(specialty, SPECIALTY_FIELDS, values)
    db.session.add(specialty)
    _flush()
    _audited("specialty.create", specialty, None, actor_id=actor_id, clinic_id=None)
    return specialty


def update_specialty(specialty_id: int, values: Mapping[str, Any], *, expected_version: int | None,
                     actor_id: str) -> Specialty:
    specialty = get_specialty(specialty_id)
    _check_version(specialty, expected_version)
    if "name" in values:
        _ensure_free_name(Specialty, values["name"], specialty.id, _("Another specialty has this name."))
    before = audit.snapshot(specialty, SPECIALTY_FIELDS)
    _apply(specialty, SPECIALTY_FIELDS, values)
    _flush()
    _audited("specialty.update", specialty, before, actor_id=actor_id, clinic_id=None)
    return specialty


# --- doctors -------------------------------------------------------------------------------------------------


def get_doctor(doctor_id: int, clinic_ids: Collection[int] | None = None) -> Doctor:
    """A doctor, active or not; one of another clinic than `clinic_ids` (None: any) is not found."""
    doctor = db.session.get(Doctor, doctor_id)
    if doctor is None or (clinic_ids is not None and doctor.clinic_id not in clinic_ids):
        raise DoctorNotFound()
    return doctor


def doctors_page(*, clinic_ids: Collection[int] | None, clinic_id: int | None = None, query: str | None = None,
                 active: bool | None = None, page: int = 1, per_page: int = 20) -> Page[Doctor]:
    """The doctors of these clinics (None: every clinic), active, inactive or both, whose name holds `query`."""
    found = select(Doctor).order_by(Doctor.full_name, Doctor.id)
    if clinic_ids is not None:
        found = found.where(Doctor.clinic_id.in_(list(clinic_ids)))
    if clinic_id is not None:
        found = found.where(Doctor.clinic_id == clinic_id)
    if active is not None:
        found = found.where(Doctor.active.is_(active))
    if query:
        found = found.where(func.lower(Doctor.full_name).contains(query.strip().lower(), autoescape=True))
    return paginate(found, page=page, per_page=per_page)


def create_doctor(values: Mapping[str, Any], *, actor_id: str) -> Doctor:
    _ensure_exists(Clinic, values["clinic_id"], "clinic_id", _("There is no such clinic."))
    _ensure_exists(Specialty, values["specialty_id"], "specialty_id", _("There is no such specialty."))
    doctor = Doctor(slug=values.get("slug") or _free_slug(Doctor, values["full_name"]))
    _ensure_free_slug(Doctor, doctor.slug)
    _apply(doctor, DOCTOR_FIELDS, values)
    db.session.add(doctor)
    _flush()
    _audited("doctor.create", doctor, None, actor_id=actor_id, clinic_id=doctor.clinic_id)
    return doctor


def update_doctor(doctor_id: int, values: Mapping[str, Any], *, expected_version: int | None,
                  actor_id: str) -> Doctor:
    """Change a doctor; `active: false` deactivates (hidden from the catalog and booking; bookings kept)."""
    doctor = get_doctor(doctor_id)
    _check_version(doctor, expected_version)
    if "specialty_id" in values:
        _ensure_exists(Specialty, values["specialty_id"], "specialty_id", _("There is no such specialty."))
    if values.get("clinic_id", doctor.clinic_id) != doctor.clinic_id:
        _ensure_exists(Clinic, values["clinic_id"], "clinic_id", _("There is no such clinic."))
        if db.session.scalar(select(exists().where(Booking.doctor_id == doctor.id))):
            raise InvalidRequest(_("A doctor with bookings stays at their clinic."), errors={
                "clinic_id": [_("This doctor has bookings at their clinic: add them at the other clinic instead.")]})
    before = audit.snapshot(doctor, DOCTOR_FIELDS)
    _apply(doctor, DOCTOR_FIELDS, values)
    _flush()
    _audited("doctor.update", doctor, before, actor_id=actor_id, clinic_id=doctor.clinic_id)
    return doctor


def set_doctor_photo(doctor_id: int, content: bytes, *, actor_id: str) -> Doctor:
    """A checked, resized photo for the doctor (its old one stays stored for the audit trail to name)."""
    doctor = get_doctor(doctor_id)
    photo_url = photo_uploads.store_photo(content)
    return update_doctor(doctor.id, {"photo_url": photo_url}, expected_version=None, actor_id=actor_id)


# --- diagnostics ---------------------------------------------------------------------------------------------


def get_diagnostic(diagnostic_id: int) -> DiagnosticType:
    diagnostic = db.session.get(DiagnosticType, diagnostic_id, options=[selectinload(DiagnosticType.clinics)])
    if diagnostic is None:
        raise DiagnosticNotFound()
    return diagnostic


def diagnostics(clinic_ids: Collection[int] | None) -> list[DiagnosticType]:
    """The diagnostics offered at any of these clinics (None: every diagnostic), by name."""
    query = select(DiagnosticType).options(selectinload(DiagnosticType.clinics)).order_by(DiagnosticType.name)
    if clinic_ids is not None:
        offered = select(ClinicDiagnostic.diagnostic_id).where(ClinicDiagnostic.clinic_id.in_(list(clinic_ids)))
        query = query.where(or_(DiagnosticType.id.in_(offered), ~DiagnosticType.clinics.any()))
    return list(db.session.scalars(query))


def create_diagnostic(values: Mapping[str, Any], *, actor_id: str) -> DiagnosticType:
    _ensure_free_name(DiagnosticType, values["name"], None, _("Another diagnostic has this name."))
    diagnostic = DiagnosticType(slug=values.get("slug") or _free_slug(DiagnosticType, values["name"]))
    _ensure_free_slug(DiagnosticType, diagnostic.slug)
    _apply(diagnostic, DIAGNOSTIC_FIELDS, values)
    db.session.add(diagnostic)
    _flush()
    _offer_at(diagnostic, values["clinic_ids"])
    _audited("diagnostic.create", diagnostic, None, actor_id=actor_id, clinic_id=None)
    return diagnostic


def update_diagnostic(diagnostic_id: int, values: Mapping[str, Any], *, expected_version: int | None,
                      actor_id: str) -> DiagnosticType:
    diagnostic = get_diagnostic(diagnostic_id)
    _check_version(diagnostic, expected_version)
    if "name" in values:
        _ensure_free_name(DiagnosticType, values["name"], diagnostic.id, _("Another diagnostic has this name."))
    before = _diagnostic_snapshot(diagnostic)
    _apply(diagnostic, DIAGNOSTIC_FIELDS, values)
    if "clinic_ids" in values:
        _offer_at(diagnostic, values["clinic_ids"])
        _touch(diagnostic)
    _flush()
    _audited("diagnostic.update", diagnostic, before, actor_id=actor_id, clinic_id=None)
    return diagnostic


def _offer_at(diagnostic: DiagnosticType, clinic_ids: Collection[int]) -> None:
    """Offered at exactly these clinics; a clinic that stays keeps its own price."""
    wanted = set(clinic_ids)
    known = set(db.session.scalars(select(Clinic.id).where(Clinic.id.in_(wanted))))
    if wanted - known:
        raise InvalidRequest(errors={"clinic_ids": [_("There is no such clinic.")]})
    offers = {row.clinic_id: row for row in db.session.scalars(
        select(ClinicDiagnostic).where(ClinicDiagnostic.diagnostic_id == diagnostic.id))}
    for clinic_id, offer in offers.items():
        if clinic_id not in wanted:
            db.session.delete(offer)
    for clinic_id in wanted - set(offers):
        db.session.add(ClinicDiagnostic(clinic_id=clinic_id, diagnostic_id=diagnostic.id))
    db.session.flush()
    db.session.expire(diagnostic, ["clinics"])


def _diagnostic_snapshot(diagnostic: DiagnosticType) -> dict[str, Any]:
    return {**audit.snapshot(diagnostic, DIAGNOSTIC_FIELDS),
            "clinic_ids": sorted(clinic.id for clinic in diagnostic.clinics)}


# --- shared steps --------------------------------------------------------------------------------------------


def _apply(row: object, fields: Iterable[str], values: Mapping[str, Any]) -> None:
    """Set the given fields; translations merged a language at a time (None removes one)."""
    for name in fields:
        if name not in values:
            continue
        value = values[name]
        if name.endswith("_translations"):
            merged = dict(getattr(row, name) or {})
            for language, text in value.items():
                if text is None:
                    merged.pop(language, None)
                else:
                    merged[language] = text
            value = merged
        setattr(row, name, value)


def _check_version(row: Clinic | Specialty | Doctor | DiagnosticType, expected: int | None) -> None:
    if expected is not None and row.version != expected:
        raise StaleVersion()


def _touch(row: Clinic | DiagnosticType) -> None:
    """Changes kept in rows of their own (hours, offers) count as a change of the row: its version moves (its name
    is written again as it is, so the UPDATE that bumps and checks the version happens)."""
    flag_modified(row, "name")


def _flush() -> None:
    """Write now; an UPDATE that finds its row at another version lost a race with another edit (409)."""
    try:
        db.session.flush()
    except StaleDataError:
        raise EditedMeanwhile() from None


def _audited(action: str, row: Any, before: dict[str, Any] | None, *, actor_id: str, clinic_id: int | None,
             cancelled: list[int] | None = None) -> None:
    """The audit entry of a create (before: None) or a change (only the fields that changed; none, no entry), with
    the visits it `cancelled` (a clinic's new hours) when there are any."""
    object_type = action.partition(".")[0]
    if isinstance(row, Clinic):
        after = _clinic_snapshot(row)
    elif isinstance(row, DiagnosticType):
        after = _diagnostic_snapshot(row)
    else:
        after = audit.snapshot(row, DOCTOR_FIELDS if isinstance(row, Doctor) else SPECIALTY_FIELDS)
    old, new = (None, after) if before is None else audit.changes(before, after)
    if cancelled:
        new = {**new, "cancelled_bookings": cancelled}
    if before is not None and not new:
        return
    audit.record(action, actor_id=actor_id, object_type=object_type, object_id=row.id, clinic_id=clinic_id,
                 before=old, after=new)


def _ensure_exists(model: type, row_id: int, field: str, message: str) -> None:
    if db.session.get(model, row_id) is None:
        raise InvalidRequest(errors={field: [message]})


def _ensure_free_name(model: type, name: str, own_id: int | None, message: str) -> None:
    taken = db.session.scalar(select(model.id).where(func.lower(model.name) == name.lower()))
    if taken is not None and taken != own_id:
        raise InvalidRequest(errors={"name": [message]})


def _ensure_free_slug(model: type, slug: str) -> None:
    if db.session.scalar(select(model.id).where(model.slug == slug)) is not None:
        raise InvalidRequest(errors={"slug": [_("This slug is taken.")]})


def _free_slug(model: type, name: str) -> str:
    """A slug from the name ("Dr. Olena Koval" → "dr-olena-koval"), numbered when taken."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:56] or _KINDS[model]
    taken = set(db.session.scalars(select(model.slug).where(model.slug.like(f"{base}%"))))
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug
