"""A patient's details as the front desk opens them: who they are and their visits ahead and behind, at the asker's
clinics only (a patient without a visit there does not exist for the asker)."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement

from medsync import clock
from medsync.extensions import db
from medsync.models import Booking
from medsync.services import patients
from medsync.services.patient_search import PatientCard, Visit, visit_of, visits_query

VISITS_SHOWN = 10  # of each, ahead and behind, unless asked for more
VISITS_MAX = 50


@dataclass(frozen=True)
class PatientRecord:
    """A patient, their next visits (soonest first) and their past ones (latest first), each list capped; `more_*`
    says whether the cap left some out."""

    patient: PatientCard
    upcoming: list[Visit]
    past: list[Visit]
    more_upcoming: bool
    more_past: bool


def patient_record(patient_id: int, *, within: Collection[int] | None, visits: int = VISITS_SHOWN,
                   now: datetime | None = None) -> PatientRecord:
    """The patient of these clinics (None: every clinic) with `visits` of their visits there each way, any status;
    PatientNotFound for a patient the asker has no visit of."""
    found = patients.visible(patient_id, within=within)
    now = now or clock.now()
    upcoming = _visits(patient_id, within, Booking.starts_at >= now, (Booking.starts_at, Booking.id), visits)
    past = _visits(patient_id, within, Booking.starts_at < now, (Booking.starts_at.desc(), Booking.id.desc()), visits)
    return PatientRecord(
        patient=PatientCard(found.id, found.first_name, found.last_name, found.phone, found.email, found.has_telegram),
        upcoming=upcoming[:visits], past=past[:visits],
        more_upcoming=len(upcoming) > visits, more_past=len(past) > visits,
    )


def _visits(patient_id: int, within: Collection[int] | None, when: ColumnElement[bool],
            order: tuple[ColumnElement[object], ...], visits: int) -> list[Visit]:
    """One more than `visits` of them: whether there are more costs no count."""
    query = visits_query(Booking.patient_id == patient_id, when).order_by(*order).limit(visits + 1)
    if within is not None:
        query = query.where(Booking.clinic_id.in_(list(within)))
    return [visit_of(row) for row in db.session.execute(query).mappings()]


def clinics_shown(record: PatientRecord) -> dict[int, list[int]]:
    """The bookings the record shows, by clinic: what the privacy audit names."""
    shown: dict[int, list[int]] = {}
    for visit in [*record.upcoming, *record.past]:
        shown.setdefault(visit.clinic_id, []).append(visit.id)
    return shown

