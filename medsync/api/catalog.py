"""/api/v1 catalog and free slots: clinics, specialties, doctors, diagnostics. No authentication."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from medsync import clock
from medsync.api.answers import cached_answer, catalog_answer, json_response, slots_json
from medsync.api.auth import patient_id_if_signed_in
from medsync.api.pages import page_body, page_of
from medsync.api.refusals import refusals
from medsync.api.schemas import (
    ClinicSchema, ClinicSummarySchema, DiagnosticSchema, DiagnosticSlotQuerySchema, DoctorDetailSchema,
    DoctorPageSchema, DoctorQuerySchema, SlotQuerySchema, SlotSchema, SpecialtySchema,
)
from medsync.api.urls import service_base
from medsync.i18n import current_language
from medsync.services import availability, catalog

blp = Blueprint(
    "catalog", __name__, url_prefix="/api/v1",
    description="What can be booked, where and when. Served from a cache invalidated by every catalog change. "
                "Specialty and test names, descriptions and doctors' texts are in the request's language "
                "(`Accept-Language`: uk, en, ru or pl), prices written for it in the clinic's currency.",
)

DEFAULT_SLOT_DAYS = 7
# Free slots change with every booking: a public answer is revalidated by ETag every time; a patient's own never kept.
PUBLIC_SLOTS_CACHE = "public, no-cache"
# Catalog answers are the same for everyone and change rarely, but never stale: revalidated by ETag every time.
CATALOG_CACHE = "public, no-cache"
TMA = [{}, {"tma": []}]
SLOTS_AUTH = "An `Authorization: tma …` header that is given but not valid (badly signed, expired, not a Telegram user)."
SLOT_RANGE = (f"A parameter is malformed; or `to` is before `from`, or more than {availability.MAX_RANGE_DAYS} days "
              "from `from` to `to` inclusive.")
DOCTOR_PAGE = DoctorPageSchema()
# Answers in the request's language: a shared cache keeps one copy per language.
BY_LANGUAGE = "Accept-Language"


@blp.route("/clinics")
class Clinics(MethodView):
    @blp.response(200, ClinicSchema(many=True))
    def get(self) -> list[catalog.ClinicInfo]:
        """Clinics with time zone, weekly hours (with breaks) and upcoming closures."""
        return list(catalog.current_catalog().clinics.values())


@blp.route("/clinics/<int:clinic_id>")
class ClinicById(MethodView):
    @blp.response(200, ClinicSchema)
    @refusals(blp, {404: "No such clinic."})
    def get(self, clinic_id: int) -> catalog.ClinicInfo:
        """One clinic."""
        return catalog.get_clinic(clinic_id)


@blp.route("/specialties")
class Specialties(MethodView):
    @blp.response(200, SpecialtySchema(many=True))
    def get(self) -> tuple[list[catalog.SpecialtyInfo], dict[str, str]]:
        """Specialties that have at least one doctor, by name."""
        return list(catalog.current_catalog(current_language()).specialties), {"Vary": BY_LANGUAGE}


@blp.route("/doctors")
class Doctors(MethodView):
    @blp.arguments(DoctorQuerySchema(), location="query")  # one instance: a class is instantiated per request
    @blp.response(200, DoctorPageSchema)
    def get(self, query: dict[str, Any]) -> Response:
        """Doctors, filtered by specialty, clinic and text; paginated (`page`, `per_page` ≤ 100)."""
        filters = (query.get("specialty_id"), query.get("clinic_id"), query.get("q"), query["page"], query["per_page"])
        language = current_language()
        answer = catalog_answer(
            language, ("v1:doctors", service_base(), *filters), lambda _snapshot: doctor_page_json(query, language)
        )
        return json_response(answer, CATALOG_CACHE, vary=BY_LANGUAGE)


def doctor_page_json(query: dict[str, Any], language: str) -> str:
    doctors = catalog.find_doctors(
        specialty_id=query.get("specialty_id"), clinic_id=query.get("clinic_id"), query=query.get("q"),
        language=language,
    )
    page = page_body(page_of(doctors, page=query["page"], per_page=query["per_page"]))
    return current_app.json.dumps(DOCTOR_PAGE.dump(page)) + "\n"


@blp.route("/doctors/<int:doctor_id>")
class DoctorById(MethodView):
    @blp.response(200, DoctorDetailSchema)
    @refusals(blp, {404: "No such doctor."})
    def get(self, doctor_id: int) -> tuple[catalog.DoctorInfo, dict[str, str]]:
        """One doctor with biography, experience, certificates and services."""
        return catalog.get_doctor(doctor_id, current_language()), {"Vary": BY_LANGUAGE}


@blp.route("/doctors/<int:doctor_id>/slots")
class DoctorSlots(MethodView):
    @blp.arguments(SlotQuerySchema(), location="query")
    @blp.response(200, SlotSchema(many=True))
    @refusals(blp, {401: SLOTS_AUTH, 404: "No such doctor.", 422: SLOT_RANGE})
    @blp.doc(security=TMA)
    def get(self, query: dict[str, Any], doctor_id: int) -> Response:
        """Free slots of the doctor between two clinic-local days (at most 31 days), in the clinic's offset.

        With `Authorization: tma …` the times the patient already holds anywhere are left out too.
        """
        return free_slots_answer(availability.doctor_schedule(doctor_id), query)


@blp.route("/diagnostics")
class Diagnostics(MethodView):
    @blp.response(200, DiagnosticSchema(many=True))
    def get(self) -> tuple[list[catalog.DiagnosticInfo], dict[str, str]]:
        """Diagnostic tests, how many clinics offer each and at what price."""
        return list(catalog.current_catalog(current_language()).diagnostics.values()), {"Vary": BY_LANGUAGE}


@blp.route("/diagnostics/<int:diagnostic_id>")
class DiagnosticById(MethodView):
    @blp.response(200, DiagnosticSchema)
    @refusals(blp, {404: "No such diagnostic test."})
    def get(self, diagnostic_id: int) -> tuple[catalog.DiagnosticInfo, dict[str, str]]:
        """One diagnostic test."""
        return catalog.get_diagnostic(diagnostic_id, current_language()), {"Vary": BY_LANGUAGE}


@blp.route("/diagnostics/<int:diagnostic_id>/clinics")
class DiagnosticClinics(MethodView):
    @blp.response(200, ClinicSummarySchema(many=True))
    @refusals(blp, {404: "No such diagnostic test."})
    def get(self, diagnostic_id: int) -> list[catalog.ClinicInfo]:
        """The clinics that offer the test (possibly none)."""
        # A list, not the stored tuple: flask-smorest reads a returned tuple as (body, status, headers).
        return list(catalog.get_diagnostic(diagnostic_id).clinics)


@blp.route("/diagnostics/<int:diagnostic_id>/slots")
class DiagnosticSlots(MethodView):
    @blp.arguments(DiagnosticSlotQuerySchema(), location="query")
    @blp.response(200, SlotSchema(many=True))
    @refusals(blp, {
        401: SLOTS_AUTH, 404: "No such diagnostic test.",
        422: SLOT_RANGE + " Or the clinic (`clinic_id`) does not offer the test.",
    })
    @blp.doc(security=TMA)
    def get(self, query: dict[str, Any], diagnostic_id: int) -> Response:
        """Free slots of the test at a clinic (`clinic_id` required; at most 31 days), in the clinic's offset.

        With `Authorization: tma …` the times the patient already holds anywhere are left out too.
        """
        return free_slots_answer(availability.diagnostic_schedule(diagnostic_id, query["clinic_id"]), query)


def free_slots_answer(schedule: availability.Schedule, query: dict[str, Any]) -> Response:
    """The free slots, public (revalidated by ETag), or the signed-in patient's own (never stored)."""
    patient_id = patient_id_if_signed_in()
    days = slot_days(query, schedule.clinic.zone)

    def compute(now: datetime) -> tuple[str, datetime]:
        free = availability.free_spans(schedule, *days, now=now, patient_id=patient_id)
        return slots_json(free.spans, schedule), free.valid_until

    answer = cached_answer("free", schedule, days, patient_id, compute)
    return json_response(answer, PUBLIC_SLOTS_CACHE if patient_id is None else "private, no-store", vary="Authorization")


def slot_days(query: dict[str, Any], zone: ZoneInfo) -> tuple[date, date]:
    """The asked clinic-local days; from defaults to today, to to a week from `from`."""
    first = query.get("date_from") or clock.now().astimezone(zone).date()
    last = query.get("date_to") or first + timedelta(days=DEFAULT_SLOT_DAYS - 1)
    return first, last  # the range's rules (order, length) are the availability service's
