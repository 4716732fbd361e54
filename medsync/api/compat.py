"""The compatible /api surface, frozen for the existing MedSync Mini App front end (see API.md).

Field names, JSON types and numbering are the front end's: weekday_index 0 = Sunday, whole hours,
0-based month index, prices and ratings as numbers, taken times with an offset.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError

from medsync import clock, log_context, metrics
from medsync.api.auth import current_patient_profile
from medsync.api.json_body import json_object, require_json_object
from medsync.api.limits import limit_booking_writes
from medsync.api.schemas import CompatDiagnosticBookingSchema, CompatDoctorBookingSchema
from medsync.api.answers import Answer, cached_answer, json_response
from medsync.api.urls import photo_url, service_base
from medsync.errors import InvalidRequest, NotFound, NotOffered
from medsync.extensions import db
from medsync.services import availability, bookings, catalog
from medsync.services.bookings import PatientDetails
from medsync.services.catalog import ClinicInfo, DiagnosticInfo, DoctorInfo

blueprint = Blueprint("compat", __name__, url_prefix="/api")

# Stands for this service's base URL in a cached list. Without PUBLIC_URL photo URLs follow the request's
# host, so the base is put in per request: one cached body per snapshot, whatever Host headers arrive.
_BASE = "\u0000medsync-base\u0000"

blueprint.before_request(require_json_object)

# Built once: a schema holds no per-load state, and building one (fields bound, hooks resolved) cost more than
# loading a body with it.
_DOCTOR_BOOKING = CompatDoctorBookingSchema()
_DIAGNOSTIC_BOOKING = CompatDiagnosticBookingSchema()


def route(rule: str, **options: Any):
    """A route that answers with and without the trailing slash, never redirecting."""
    return blueprint.route(rule, strict_slashes=False, **options)


@route("/doctors/")
def list_doctors() -> ResponseReturnValue:
    return cached_json("doctors", lambda snapshot: [doctor_card(doctor, _BASE) for doctor in snapshot.doctors.values()])


@route("/doctors/<int:doctor_id>")
def show_doctor(doctor_id: int) -> ResponseReturnValue:
    doctor = catalog.get_doctor(doctor_id)
    return jsonify({
        **doctor_card(doctor), "experience": doctor.experience, "certificates": doctor.certificates,
        "services": doctor.services,
    })


@route("/specialties/")
def list_specialties() -> ResponseReturnValue:
    return cached_json("specialties", lambda snapshot: [
        {"specialty_id": specialty.id, "specialty_name": specialty.name} for specialty in snapshot.specialties
    ])


@route("/diagnostics/")
def list_diagnostics() -> ResponseReturnValue:
    return cached_json(
        "diagnostics", lambda snapshot: [diagnostic_card(item, _BASE) for item in snapshot.diagnostics.values()]
    )


@route("/diagnostics/<int:diagnostic_id>/locations")
def diagnostic_locations(diagnostic_id: int) -> ResponseReturnValue:
    diagnostic = catalog.get_diagnostic(diagnostic_id)
    if not diagnostic.clinics:
        raise NotFound(_("No clinic offers this diagnostic."))
    return jsonify([location(clinic) for clinic in diagnostic.clinics])


@route("/locations/<int:location_id>")
def show_location(location_id: int) -> ResponseReturnValue:
    return jsonify(location(catalog.get_clinic(location_id)))


@route("/working_hours/<int:location_id>")
def working_hours(location_id: int) -> ResponseReturnValue:
    clinic = catalog.current_catalog().clinics.get(location_id)
    days = clinic.hours if clinic is not None else ()
    rows = []
    for day in days:
        hours = availability.offered_hours(day.opens_at, day.closes_at)
        rows.append({"location_id": location_id, "weekday_index": day.weekday % 7, "start_time": hours.start,
                     "end_time": hours.stop})
    return jsonify(sorted(rows, key=lambda row: row["weekday_index"]))


@route("/slots/doctors/<int:doctor_id>/<int:location_id>/<int(signed=True):month_index>")
def doctor_taken_hours(doctor_id: int, location_id: int, month_index: int) -> ResponseReturnValue:
    _offered_here(location_id, doctor_id=doctor_id)
    return taken_hours(availability.doctor_schedule(doctor_id), month_index)


@route("/slots/diagnostics/<int:diagnostic_id>/<int:location_id>/<int(signed=True):month_index>")
def diagnostic_taken_hours(diagnostic_id: int, location_id: int, month_index: int) -> ResponseReturnValue:
    _offered_here(location_id, diagnostic_id=diagnostic_id)
    return taken_hours(availability.diagnostic_schedule(diagnostic_id, location_id), month_index)


def _offered_here(location_id: int, **service: int) -> None:
    """The one check (`catalog.offer_at`); the location is in the path here, so a pair that does not go together is
    a URL naming nothing: 404, as this frozen surface has always answered (tests/api/test_compat_catalog.py)."""
    try:
        catalog.offer_at(location_id, **service)
    except NotOffered as refused:
        raise NotFound(refused.message) from None


def taken_hours(schedule: availability.Schedule, month_index: int) -> Response:
    """The month's whole hours the front end must not offer, cached as the free slots are (never stale)."""
    days = month_days(month_index, schedule.clinic.zone)

    def compute(now: datetime) -> tuple[str, datetime]:
        refused, valid_until = availability.refused_hours(schedule, *days, now=now)
        return json.dumps([start.isoformat() for start in refused]) + "\n", valid_until

    return json_response(cached_answer("refused-hours", schedule, days, None, compute), "no-cache")


@route("/doctors/book_slot", methods=["POST"])
@limit_booking_writes
def book_doctor() -> ResponseReturnValue:
    return _book(_DOCTOR_BOOKING, "doctor_id")


@route("/diagnostics/book_slot", methods=["POST"])
@limit_booking_writes
def book_diagnostic() -> ResponseReturnValue:
    return _book(_DIAGNOSTIC_BOOKING, "diagnostic_id")


@metrics.booking_attempt("made", "compat")
def _book(schema: Schema, service_field: str) -> ResponseReturnValue:
    """Authenticate, validate, book (the patient's user row written with the booking), commit:
    {"status": "success", "booking_id": N}."""
    body = json_object()
    init_data = body.get("userInitData")
    profile = current_patient_profile(init_data if isinstance(init_data, str) else None)
    try:
        fields = schema.load(body)
    except ValidationError as exc:
        raise InvalidRequest(_("Some fields are missing or invalid."), errors=exc.normalized_messages()) from None
    booking = bookings.book(
        user_id=profile.telegram_id, profile=profile, clinic_id=fields["location_id"],
        starts_at=fields["booking_date_time"],
        patient=PatientDetails(
            first_name=fields["user_name"], last_name=fields["user_surname"], phone=fields["user_phone"],
            email=fields["user_email"] or None, message=fields.get("user_message") or None,
        ),
        **{service_field: fields[service_field]},
    )
    log_context.bind(booking_id=booking.id)
    db.session.commit()
    return jsonify({"status": "success", "booking_id": booking.id})


class _ListAnswers:
    """A catalog list's JSON with the base left open, and its bytes for the base most recently asked."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.last: tuple[str, Answer] | None = None  # one entry: any Host header may arrive

    def for_base(self, base: str) -> Answer:
        last = self.last
        if last is None or last[0] != base:
            escaped = json.dumps(base)[1:-1]  # as a JSON string's content
            last = (base, Answer.of(self.text.replace(json.dumps(_BASE)[1:-1], escaped)))
            self.last = last
        return last[1]


def cached_json(name: str, build: Callable[[catalog.Catalog], Any]) -> Response:
    """A catalog list as JSON, serialised once per catalog snapshot (these lists are read on every screen)."""
    answers = catalog.current_catalog().rendered(f"compat:{name}", lambda snapshot: _ListAnswers(json.dumps(build(snapshot))))
    return json_response(answers.for_base(service_base()), "no-cache")


def doctor_card(doctor: DoctorInfo, base: str | None = None) -> dict[str, Any]:
    return {
        "doctor_id": doctor.id, "location_id": doctor.clinic.id, "full_name": doctor.full_name,
        "specialty_id": doctor.specialty.id, "specialty_name": doctor.specialty.name, "price": float(doctor.price),
        "photo_url": photo_url(doctor.photo_url, base), "location_name": doctor.clinic.name,
        "location_address": doctor.clinic.address, "avg_rating": doctor.avg_rating, "reviews": doctor.rating_count,
    }


def diagnostic_card(diagnostic: DiagnosticInfo, base: str | None = None) -> dict[str, Any]:
    return {
        "diagnostic_id": diagnostic.id, "type_name": diagnostic.name, "description": diagnostic.description,
        "price": float(diagnostic.price), "photo_url": photo_url(diagnostic.photo_url, base), "clinics_count": len(diagnostic.clinics),
    }


def location(clinic: ClinicInfo) -> dict[str, Any]:
    return {"location_id": clinic.id, "name": clinic.name, "address": clinic.address}


def month_days(month_index: int, zone: ZoneInfo) -> tuple[date, date]:
    """The first and last day of the next occurrence of that month (0 = January), seen from the clinic's today."""
    if not 0 <= month_index <= 11:
        raise InvalidRequest(_("month_index must be 0 (January) to 11 (December)."),
                             errors={"month_index": [_("Must be between 0 and 11.")]})
    today = clock.now().astimezone(zone).date()
    year = today.year if month_index + 1 >= today.month else today.year + 1
    following = date(year + 1, 1, 1) if month_index == 11 else date(year, month_index + 2, 1)
    return date(year, month_index + 1, 1), following - timedelta(days=1)
