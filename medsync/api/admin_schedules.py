"""Administration of who works when (/api/v1/admin, on the admin blueprint and behind its gate): a doctor's weekly
hours, day overrides and absences, a clinic's closures, a test's hours and duration at a clinic, and the visits a
change took from patients no message reached (the front desk calls them).

A change that takes time from booked patients is first asked with `dry_run: true` (the visits it would cancel, and
nothing written); without it, those visits are cancelled by the clinic in the same transaction and each patient is
messaged (medsync.services.schedules). Views parse, ask access for the object's clinic, call the service, dump.
"""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_babel import gettext as _
from marshmallow import Schema, fields

from medsync.api import access
from medsync.api.admin import ADMIN_AUTH, ADMIN_ROLE, ADMIN_SECURITY, blp
from medsync.api.refusals import JSON_BODY, refusals
from medsync.api.schemas import CalendarDay, PatientToCallSchema, Text, ToCallQuerySchema, between
from medsync.errors import NotFound
from medsync.extensions import db
from medsync.models import Clinic, Doctor, StaffRole
from medsync.services import call_list, privacy_audit, schedules

BAD_HOURS = ("A field is invalid, each named: hours that end before they start, intervals of one day that overlap, a "
             "weekday outside 1-7, a time off the grid (whole hours for a 60-minute doctor, half hours for 30 …), "
             "`valid_from` in the past, a last day before the first.")
NO_DOCTOR = "No such doctor at the caller's clinics."
NO_CLINIC = "No such clinic among the caller's."


class ClockTime(fields.Time):
    """A clinic-local wall time, `HH:MM`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", metadata={"example": "09:00", **kwargs.pop("metadata", {})}, **kwargs)


class WeeklyIntervalSchema(Schema):
    weekday = fields.Integer(required=True, validate=between(1, 7),
                             metadata={"description": "ISO weekday: 1 = Monday … 7 = Sunday."})
    starts = ClockTime(required=True)
    ends = ClockTime(required=True)


class HoursSchema(Schema):
    valid_from = CalendarDay(load_default=None, metadata={"description": "The first day (clinic-local) these hours "
                                                                           "hold; default: today."})
    weekly = fields.List(fields.Nested(WeeklyIntervalSchema), required=True,
                         metadata={"description": "Every interval of the week; a weekday without one is a day off."})
    dry_run = fields.Boolean(load_default=False,
                             metadata={"description": "Only say which visits the new hours would cancel."})


class TestHoursSchema(HoursSchema):
    duration_minutes = fields.Integer(load_default=None, validate=between(1, 24 * 60),
                                      metadata={"description": "The test's duration at this clinic."})


class RotaSchema(Schema):
    id = fields.Integer()
    valid_from = fields.Date()
    weekly = fields.Function(lambda rota: [{"weekday": item.weekday, "starts": item.starts_at.strftime("%H:%M"),
                                            "ends": item.ends_at.strftime("%H:%M")} for item in rota.intervals],
                             metadata={"type": "array", "items": {"type": "object"}})


class AffectedVisitSchema(Schema):
    booking_id = fields.Integer()
    starts_at = fields.DateTime(metadata={"description": "ISO 8601 in clinic time."})
    doctor_id = fields.Integer(allow_none=True)
    diagnostic_id = fields.Integer(allow_none=True)
    patient_name = fields.String()
    messaged = fields.Boolean(metadata={"description": "The patient is told in the chat; false: to be called."})


class RotasSchema(Schema):
    rotas = fields.List(fields.Nested(RotaSchema), metadata={
        "description": "The rota in force today and the later ones; none: the clinic's opening hours."})
    duration_minutes = fields.Integer(allow_none=True, metadata={"description": "A test's duration there."})
    affected = fields.List(fields.Integer(), metadata={"description": "Visits the change cancelled (or would)."})
    visits = fields.List(fields.Nested(AffectedVisitSchema), metadata={"description": "The same, described."})


class IntervalSchema(Schema):
    starts = ClockTime(required=True)
    ends = ClockTime(required=True)


class OverrideCreateSchema(Schema):
    day = CalendarDay(required=True)
    hours = fields.List(fields.Nested(IntervalSchema), required=True,
                        metadata={"description": "That day's hours; `[]`: a day off."})
    reason = Text(load_default=None, allow_none=True, max_length=500)
    dry_run = fields.Boolean(load_default=False)


class OverrideSchema(Schema):
    id = fields.Integer()
    day = fields.Date()
    hours = fields.Function(lambda override: [{"starts": item.starts_at.strftime("%H:%M"),
                                               "ends": item.ends_at.strftime("%H:%M")} for item in override.intervals],
                            metadata={"type": "array", "items": {"type": "object"}})
    reason = fields.String(allow_none=True)


class DaysCreateSchema(Schema):
    first_day = CalendarDay(required=True)
    last_day = CalendarDay(required=True)
    reason = Text(load_default=None, allow_none=True, max_length=500)
    dry_run = fields.Boolean(load_default=False)


class ClosureCreateSchema(Schema):
    day = CalendarDay(required=True, metadata={"description": "The (first) day the clinic is closed."})
    last_day = CalendarDay(load_default=None, metadata={"description": "The last one; default: `day`."})
    reason = Text(load_default=None, allow_none=True, max_length=500)
    dry_run = fields.Boolean(load_default=False)


class DaysSchema(Schema):
    id = fields.Integer()
    first_day = fields.Date()
    last_day = fields.Date()
    reason = fields.String(allow_none=True)


class ChangeSchema(Schema):
    id = fields.Integer(allow_none=True, metadata={"description": "What was written; null in a dry run."})
    affected = fields.List(fields.Integer(), metadata={"description": "The visits cancelled (or that would be)."})
    visits = fields.List(fields.Nested(AffectedVisitSchema), metadata={"description": "The same, described."})


def _doctor_at_reachable_clinic(doctor_id: int) -> Doctor:
    """The doctor, if they work at one of the caller's clinics; else they do not exist for the caller."""
    doctor = db.session.get(Doctor, doctor_id)
    if doctor is None:
        raise NotFound(_("Doctor not found."))
    access.require_clinic(doctor.clinic_id)
    return doctor


def _clinic(clinic_id: int) -> Clinic:
    access.require_clinic(clinic_id)
    clinic = db.session.get(Clinic, clinic_id)
    if clinic is None:
        raise NotFound(_("Clinic not found."))
    return clinic


def _change(change: schedules.Change) -> tuple[dict[str, Any], int]:
    """A dry run answers 200 with what it would cancel; a real change 201 with what it wrote."""
    body = {"id": change.id, "affected": change.affected, "visits": schedules.describe(change.affected)}
    return body, 200 if change.id is None else 201


@blp.route("/doctors/<int:doctor_id>/hours")
class DoctorHours(MethodView):
    @blp.doc(security=ADMIN_SECURITY)
    @blp.response(200, RotasSchema)
    @refusals(blp, {401: ADMIN_AUTH, 403: ADMIN_ROLE, 404: NO_DOCTOR})
    def get(self, doctor_id: int) -> dict[str, Any]:
        """The doctor's weekly hours: the rota in force today and any that start later (none: the clinic's hours)."""
        doctor = _doctor_at_reachable_clinic(doctor_id)
        return {"rotas": schedules.rotas_of(doctor.id), "affected": []}

    @blp.doc(security=ADMIN_SECURITY)
    @blp.arguments(HoursSchema)
    @blp.response(200, RotasSchema)
    @refusals(blp, {401: ADMIN_AUTH, 403: ADMIN_ROLE, 404: NO_DOCTOR, 422: BAD_HOURS, **JSON_BODY})
    def put(self, body: dict[str, Any], doctor_id: int) -> dict[str, Any]:
        """Set the doctor's weekly hours from `valid_from` (a rota starting that day is replaced). Free slots follow at
        once: a slot is offered only where the doctor works and the clinic is open. Visits outside the new hours are
        cancelled by the clinic and their patients messaged (`affected`); with `dry_run` nothing is written."""
        doctor = _doctor_at_reachable_clinic(doctor_id)
        weekly = [schedules.WeeklyHours(item["weekday"], item["starts"], item["ends"]) for item in body["weekly"]]
        change = schedules.replace_hours(doctor.id, weekly, valid_from=body["valid_from"], actor_id=access.actor_id(),
                                         dry_run=body["dry_run"])
        db.session.commit()
        return {"rotas": schedules.rotas_of(doctor.id), "affected": change.affected,
                "visits": schedules.describe(change.affected)}


@blp.route("/doctors/<int:doctor_id>/overrides")
class DoctorOverrides(MethodView):
    @blp.doc(security=ADMIN_SECURITY)
    @blp.response(200, OverrideSchema(many=True))
    @refusals(blp, {401: ADMIN_AUTH, 403: ADMIN_ROLE, 404: NO_DOCTOR})
    def get(self, doctor_id: int) -> list[Any]:
        """The doctor's day overrides from today on."""
        return schedules.overrides_of(_doctor_at_reachable_clinic(doctor_id).id)

    @blp.doc(security=ADMIN_SECURITY)
    @blp.arguments(OverrideCreateSchema)
    @blp.response(201, ChangeSchema)
    @blp.alt_response(200, schema=ChangeSchema, description="A dry run: the visits it would cancel, nothing written.")
    @refusals(blp, {401: ADMIN_AUTH, 403: ADMIN_ROLE, 404: NO_DOCTOR, 422: BAD_HOURS, **JSON_BODY})
    def post(self, body: dict[str, Any], doctor_id: int) -> tuple[dict[str, Any], int]:
        """Other hours for the doctor on one day (`hours: []`: a day off), replacing an override of that day; the
        visits it takes time from are cancelled by the clinic (`affected`)."""
        doctor = _doctor_at_reachable_clinic(doctor_id)
        hours = [(item["starts"], item["ends"]) for item in body["hours"]]
        change = schedules.add_override(doctor.id, body["day"], hours, reason=body["reason"],
                                        actor_id=access.actor_id(), dry_run=body["dry_run"])
        db.session.commit()
        return _change(change)


@blp.route("/doctors/<int:doctor_id>/overrides/<int:override_id>")
class DoctorOverride(MethodView):
    @blp.doc(security=ADMIN_SECURITY)
    @blp.response(204)
    @refusals(blp, {401: ADMIN_AUTH, 403: ADMIN_ROLE, 404: "No such doctor, or no such override of theirs."})
    def delete(self, doctor_id: int, override_id: int) -> None:
        """The doctor works their rota's hours that day again."""
        schedules.remove_override(_doctor_at_reachable_clinic(doctor_id).id, override_id, actor_id=access.actor_id())
        db.session.commit()


@blp.route("/doctors/<int:doctor_id>/absences")
class DoctorAbsences(MethodView):
    @blp.doc(security=ADMIN_SECURITY)
    @blp.response(200, DaysSchema(many=True))
    @refusals(blp, {401: ADMIN_AUTH, 403: ADMIN_ROLE, 404: NO_DOCTOR})
    def get(self, doctor_id: int) -> list[Any]:
        """The doctor's absences that have not ended yet."""
        return schedules.absences_of(_doctor_at_reachable_clinic(doctor_id).id)

    @blp.doc(security=ADMIN_SECURITY)
    @blp.arguments(DaysCreateSchema)
    @blp.response(201, ChangeSchema)
    @blp.alt_response(200, schema=ChangeSchema, description="A dry run: the visits it would cancel, nothing written.")
    @refusals(blp, {401: ADMIN_AUTH, 403: ADMIN_ROLE, 404: NO_DOCTOR, 422: BAD_HOURS, **JSON_BODY})
    def post(self, body: dict[str, Any], doctor_id: int) -> tuple[dict[str, Any], int]:
        """The doctor is away from `first_day` to `last_day` (vacation, illness, training): their visits then are
        cancelled by the clinic with the reason, and each patient with Telegram is messaged with other times to
        book (this doctor after the return, a colleague of the specialty, the Mini App)."""
        doctor = _doctor_at_reachable_clinic(doctor_id)
        change = schedules.add_absence(doctor.id, body["first_day"], body["last_day"], reason=body["reason"],
                                       actor_id=access.actor_id(), dry_run=body["dry_run"])
        db.session.commit()
        return _change(change)


@blp.route("/doctors/<int:doctor_id>/absences/<int:absence_id>")
class DoctorAbsence(MethodView):
    @blp.doc(security=ADMIN_SECURITY)
    @blp.response(204)
    @refusals(blp, {401: ADMIN_AUTH, 403: ADMIN_ROLE, 404: "No such doctor, or no such absence of theirs."})
    def delete(self, doctor_id: int, absence_id: int) -> None:
        """The absence is lifted: the doctor's days are offered again (cancelled visits stay cancelled)."""
        schedules.remove_absence(_doctor_at_reachable_clinic(doctor_id).id, absence_id, actor_id=access.actor_id())
        db.session.commit()


@blp.route("/clinics/<int:clinic_id>/closures")
class ClinicClosures(MethodView):
    @blp.doc(security=ADMIN_SECURITY)
    @blp.response(200, DaysSchema(many=True))
    @refusals(blp, {401: ADMIN_AUTH, 403: ADMIN_ROLE, 404: NO_CLINIC})
    def get(self, clinic_id: int) -> list[Any]:
        """The clinic's closures that have not ended yet."""
        return schedules.closures_of(_clinic(clinic_id).id)

    @blp.doc(security=ADMIN_SECURITY)
    @blp.arguments(ClosureCreateSchema)
    @blp.response(201, ChangeSchema)
    @blp.alt_response(200, schema=ChangeSchema, description="A dry run: the visits it would cancel, nothing written.")
    @refusals(blp, {401: ADMIN_AUTH, 403: ADMIN_ROLE, 404: NO_CLINIC, 422: BAD_HOURS, **JSON_BODY})
    def post(self, body: dict[str, Any], clinic_id: int) -> tuple[dict[str, Any], int]:
        """The whole clinic is closed on `day` (to `last_day`): a public holiday. Its visits then, every doctor's
        and test's, are cancelled by the clinic and their patients messaged, as for an absence."""
        clinic = _clinic(clinic_id)
        change = schedules.add_closure(clinic.id, body["day"], body["last_day"], reason=body["reason"],
                                       actor_id=access.actor_id(), dry_run=body["dry_run"])
        db.session.commit()
        return _change(change)


@blp.route("/clinics/<int:clinic_id>/closures/<int:closure_id>")
class ClinicClosure(MethodView):
    @blp.doc(security=ADMIN_SECURITY)
    @blp.response(204)
    @refusals(blp, {401: ADMIN_AUTH, 403: ADMIN_ROLE, 404: "No such clinic, or no such closure of it."})
    def delete(self, clinic_id: int, closure_id: int) -> None:
        schedules.remove_closure(_clinic(clinic_id).id, closure_id, actor_id=access.actor_id())
        db.session.commit()


@blp.route("/clinics/<int:clinic_id>/diagnostics/<int:diagnostic_id>/hours")
class TestHours(MethodView):
    @blp.doc(security=ADMIN_SECURITY)
    @blp.response(200, RotasSchema)
    @refusals(blp, {401: ADMIN_AUTH, 403: ADMIN_ROLE, 404: "No such clinic among the caller's, or it does not "
                                                               "offer this test."})
    def get(self, clinic_id: int, diagnostic_id: int) -> dict[str, Any]:
        """The test's days and hours at the clinic (none: the clinic's hours) and its duration there."""
        clinic = _clinic(clinic_id)
        return {"rotas": schedules.test_rotas_of(clinic.id, diagnostic_id),
                "duration_minutes": schedules.test_duration(clinic.id, diagnostic_id), "affected": []}

    @blp.doc(security=ADMIN_SECURITY)
    @blp.arguments(TestHoursSchema)
    @blp.response(200, RotasSchema)
    @refusals(blp, {401: ADMIN_AUTH, 403: ADMIN_ROLE, 404: "No such clinic among the caller's, or it does not "
                                                               "offer this test.", 422: BAD_HOURS, **JSON_BODY})
    def put(self, body: dict[str, Any], clinic_id: int, diagnostic_id: int) -> dict[str, Any]:
        """Set the test's days and hours at the clinic from `valid_from` (and its duration there); visits outside
        them are cancelled by the clinic (`affected`); with `dry_run` nothing is written."""
        clinic = _clinic(clinic_id)
        weekly = [schedules.WeeklyHours(item["weekday"], item["starts"], item["ends"]) for item in body["weekly"]]
        change = schedules.replace_test_hours(
            clinic.id, diagnostic_id, weekly, valid_from=body["valid_from"], duration_minutes=body["duration_minutes"],
            actor_id=access.actor_id(), dry_run=body["dry_run"],
        )
        db.session.commit()
        return {"rotas": schedules.test_rotas_of(clinic.id, diagnostic_id),
                "duration_minutes": schedules.test_duration(clinic.id, diagnostic_id), "affected": change.affected,
                "visits": schedules.describe(change.affected)}


@blp.route("/clinics/<int:clinic_id>/to-call")
class VisitsToCall(MethodView):
    @blp.doc(security=ADMIN_SECURITY)
    @blp.arguments(ToCallQuerySchema, location="query")
    @blp.response(200, PatientToCallSchema(many=True))
    @refusals(blp, {401: ADMIN_AUTH, 403: ADMIN_ROLE, 404: NO_CLINIC})
    def get(self, query: dict[str, Any], clinic_id: int) -> list[Any]:
        """The clinic's patients the front desk calls, each with why (as GET /api/v1/staff/clinics/{id}/to-call):
        visits it cancelled whose patient no message reached, reminders due of patients without Telegram. The read is
        audited (`patients.read`, the bookings shown)."""
        staff = access.require_role(StaffRole.RECEPTION)
        rows = call_list.to_call(_clinic(clinic_id).id, days=query["days"])
        privacy_audit.bookings_listed(staff.actor_id, {clinic_id: [row.booking_id for row in rows]},
                                      listing=privacy_audit.TO_CALL)
        db.session.commit()
        return rows
