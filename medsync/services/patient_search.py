"""Finding a patient at the front desk: by part of a name or phone, among the patients of the asker's clinics (those
with a visit there), each with their next visits and their last one.

One statement per search, built once per shape (how many words; every clinic or some) and its values bound at each
execution: building and hashing a statement of this size costs more Python than PostgreSQL spends running it.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Integer, Lateral, Select, Subquery, bindparam, exists, func, select, true

from medsync import clock
from medsync.errors import InvalidRequest
from medsync.extensions import db
from medsync.models import Booking, BookingStatus, Clinic, DiagnosticType, Doctor, Patient
from medsync.models.booking import is_booked, service_name
from medsync.services.erasure import ERASED_PHONE
from medsync.services.pagination import Page, paged

SEARCH_MIN_LENGTH = 3
SEARCH_CAP = 100  # matches a search lists at most (see `search`)
UPCOMING_SHOWN = 5
_PHONE_LIKE = re.compile(r"[\d\s()+\-.]+")


@dataclass(frozen=True)
class PatientCard:
    """Who a patient is, as the desk reads them in a list: plain values, nothing a commit expires."""

    id: int
    first_name: str
    last_name: str
    phone: str
    email: str | None
    has_telegram: bool

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Visit:
    """One of a patient's visits as the desk lists it: when (in the clinic's time), where, for what, how it stands."""

    id: int
    starts_at: datetime  # in the clinic's zone
    clinic_id: int
    service_name: str
    status: str


@dataclass(frozen=True)
class Found:
    """A patient as the search lists them: who, their next visits and their last one at the asker's clinics."""

    patient: PatientCard
    upcoming: list[Visit]
    last_visit: Visit | None


def search(query: str, *, within: Collection[int] | None, page: int = 1, per_page: int = 20,
           now: datetime | None = None) -> Page[Found]:
    """Patients whose name or phone holds every word of the query (each as typed, in any case; a phone written with
    spaces or dashes as its digits), by name, SEARCH_CAP of them at most, each with their next UPCOMING_SHOWN visits
    and their last visit at the asker's clinics (None: every clinic); through the pg_trgm index, the words bound as
    parameters."""
    words = search_words(query)
    statements = _statements(len(words), within is not None)
    values: dict[str, Any] = {f"word_{number}": f"%{_escaped(word)}%" for number, word in enumerate(words)}
    values["now"] = now or clock.now()
    if within is not None:
        values["clinic_ids"] = sorted(within)

    def rows_for(number: int, size: int) -> list[tuple[Found, int]]:
        rows = db.session.execute(statements.rows, {**values, "page_limit": size, "page_offset": (number - 1) * size})
        return _found(rows.mappings())

    def count() -> int:
        return db.session.scalar(statements.count, values) or 0

    return paged(rows_for, count, lambda row: row[0], page=page, per_page=per_page)


def search_words(query: str) -> list[str]:
    """The words to look for; a query shorter than SEARCH_MIN_LENGTH is a 422 naming `q`."""
    query = " ".join(query.split())
    if len(query) < SEARCH_MIN_LENGTH:
        raise InvalidRequest(
            _("Type at least three characters of a name or phone."),
            errors={"q": [_("At least three characters.")]},
        )
    if _PHONE_LIKE.fullmatch(query) and sum(character.isdigit() for character in query) >= SEARCH_MIN_LENGTH:
        return ["".join(character for character in query if character.isdigit())]
    return query.lower().split()


def _escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class _Statements:
    rows: Select[Any]  # a page of patients, a row per upcoming visit (or one without), the list's total on each
    count: Select[Any]  # the list's total alone (a page past the end)


@lru_cache(maxsize=128)
def _statements(words: int, scoped: bool) -> _Statements:
    """The search's statements for this many words, within clinics (`scoped`) or not."""
    patterns = [Patient.search.like(bindparam(f"word_{number}"), escape="\\") for number in range(words)]
    # Every match first, through the pg_trgm index (MATERIALIZED: left to itself, the planner reads the whole table
    # hoping a LIMIT stops it early, and for a rare phone fragment it does not); then at most SEARCH_CAP of them, of
    # the asker's clinics, taken as found and only then ordered: sorting every holder of three common digits would
    # cost a network of patients; the desk narrows with a few more characters.
    # A patient emptied by an erasure or by retention keeps only a placeholder phone: nobody to find.
    matches = (select(Patient.id).where(*patterns, ~Patient.phone.startswith(ERASED_PHONE, autoescape=True))
               .cte("matches").prefix_with("MATERIALIZED"))
    capped = select(matches.c.id).limit(SEARCH_CAP)
    if scoped:
        capped = capped.where(exists().where(Booking.patient_id == matches.c.id, _at_clinics()))
    capped = capped.subquery("capped")
    listed = (select(Patient.id, Patient.first_name, Patient.last_name, Patient.phone, Patient.email,
                     Patient.user_id.is_not(None).label("has_telegram"), func.count().over().label("total"))
              .join(capped, capped.c.id == Patient.id)
              .order_by(Patient.last_name, Patient.first_name, Patient.id)
              .limit(bindparam("page_limit", type_=Integer)).offset(bindparam("page_offset", type_=Integer))
              .subquery("listed"))
    now = bindparam("now")
    upcoming = _visits(listed, scoped, Booking.starts_at >= now, is_booked(Booking.status),
                       order=(Booking.starts_at, Booking.id), limit=UPCOMING_SHOWN, name="upcoming")
    last = _visits(listed, scoped, Booking.starts_at < now, Booking.status != BookingStatus.CANCELLED.value,
                   order=(Booking.starts_at.desc(), Booking.id.desc()), limit=1, name="last_visit")
    rows = (select(listed, *_prefixed(upcoming, "next_"), *_prefixed(last, "last_"))
            .select_from(listed.outerjoin(upcoming, true()).outerjoin(last, true()))
            .order_by(listed.c.last_name, listed.c.first_name, listed.c.id, upcoming.c.starts_at, upcoming.c.id))
    return _Statements(rows=rows, count=select(func.count()).select_from(capped))


def _at_clinics() -> ColumnElement[bool]:
    return Booking.clinic_id.in_(bindparam("clinic_ids", expanding=True))


def _visits(listed: Subquery, scoped: bool, *conditions: ColumnElement[bool],
            order: tuple[ColumnElement[Any], ...], limit: int, name: str) -> Lateral:
    """A listed patient's visits (at the asker's clinics)."""
    query = visits_query(Booking.patient_id == listed.c.id, *conditions).order_by(*order).limit(limit)
    if scoped:
        query = query.where(_at_clinics())
    return query.lateral(name)


def visits_query(*conditions: ColumnElement[bool]) -> Select[Any]:
    """Visits with what they are for and their clinic's zone: the columns `visit_of` reads."""
    return (
        select(Booking.id, Booking.starts_at, Booking.clinic_id, Booking.status, Clinic.timezone,
               Doctor.full_name.label("doctor_name"), DiagnosticType.name.label("diagnostic_name"),
               DiagnosticType.name_translations.label("diagnostic_translations"))
        .join(Clinic, Clinic.id == Booking.clinic_id)
        .outerjoin(Doctor, Doctor.id == Booking.doctor_id)
        .outerjoin(DiagnosticType, DiagnosticType.id == Booking.diagnostic_id)
        .where(*conditions)
    )


def _prefixed(visits: Lateral, prefix: str) -> list[ColumnElement[Any]]:
    return [column.label(prefix + column.name) for column in visits.c]


def _found(rows: Any) -> list[tuple[Found, int]]:
    """The listed patients with their visits, in their order (rows as mappings); (found, total of the list) each."""
    found: dict[int, tuple[Found, int]] = {}
    for row in rows:
        patient_id = row["id"]
        if patient_id not in found:
            patient = PatientCard(patient_id, row["first_name"], row["last_name"], row["phone"], row["email"],
                                  row["has_telegram"])
            found[patient_id] = (Found(patient, [], visit_of(row, "last_")), row["total"])
        visit = visit_of(row, "next_")
        if visit is not None:
            found[patient_id][0].upcoming.append(visit)
    return list(found.values())


def visit_of(values: Mapping[str, Any], prefix: str = "") -> Visit | None:
    """The visit the columns of `visits_query` (under `prefix`) describe, or None (a patient without one there)."""
    if values[prefix + "id"] is None:
        return None
    return Visit(
        id=values[prefix + "id"],
        starts_at=values[prefix + "starts_at"].astimezone(ZoneInfo(values[prefix + "timezone"])),
        clinic_id=values[prefix + "clinic_id"], status=values[prefix + "status"],
        service_name=service_name(values[prefix + "doctor_name"], values[prefix + "diagnostic_name"],
                                  values[prefix + "diagnostic_translations"] or {}),
    )
