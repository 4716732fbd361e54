"""Staff REST API (/api/v1/staff): the day's list, the front desk (booking callers, finding patients, moves, marks
and their undoing, notes), result upload, reminder runs, failed deliveries.

Callers are staff members (initData) or staff tokens, each within their clinics (medsync.api.access)."""
from __future__ import annotations

from io import BytesIO

from flask import request, send_file
from flask_babel import gettext as _
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validates_schema

from medsync import metrics
from medsync.api import access
from medsync.api.json_body import require_json_object
from medsync.api.pages import page_body
from medsync.api.refusals import JSON_BODY, STAFF_AUTH, STAFF_ROLE, refusals
from medsync.api.schemas import (
    DB_INT, BookingCreateSchema, BookingPatientSchema, CalendarDay, ClinicSummarySchema, ClinicTime, EmailAddress,
    OffsetDateTime, PageQuerySchema, PaginationSchema, PatientToCallSchema, Phone, QuerySchema, ResultSchema,
    ResultSentSchema, Text, ToCallQuerySchema, between, length_between, one_of,
)
from medsync.config import current_settings
from medsync.extensions import db
from medsync.i18n import current_language
from medsync.models import PATIENT_FIELD_LIMITS, Actor, BookingStatus, StaffRole
from medsync.models.booking import NOTE_LIMIT
from medsync.services import (
    bookings, call_list, catalog, clinic_day, delivery, front_desk, patient_details, patient_search, privacy_audit,
    reminders, results,
)
from medsync.services.patients import CallerDetails

blp = Blueprint("staff", __name__, url_prefix="/api/v1/staff",
                description="Clinic staff (a staff token, or a staff member's initData), within their clinics.")


@blp.before_request
def _staff_only() -> None:
    access.current_principal()


@blp.before_request
def _bodies() -> None:
    """A result upload may be as large as a result file; every other staff write sends a JSON object."""
    if request.endpoint == f"{blp.name}.BookingResults":
        request.max_content_length = current_settings().RESULT_MAX_BYTES + UPLOAD_OVERHEAD
    else:
        require_json_object()


STAFF_SECURITY = [{"bearer": []}, {"tma": []}]
UPLOAD_OVERHEAD = 64 * 1024  # multipart headers and boundaries around the file
STAFF_STATUSES = [BookingStatus.BOOKED.value, BookingStatus.ARRIVED.value, BookingStatus.FULFILLED.value,
                  BookingStatus.NOSHOW.value, BookingStatus.CANCELLED.value]
NO_BOOKING = "No such booking among the caller's (a doctor: their own visits)."


class DayQuerySchema(PageQuerySchema):
    date = CalendarDay(load_default=None, metadata={"description": "Clinic-local date; default: each clinic's today."})
    clinic_id = fields.Integer(load_default=None, validate=DB_INT,
                               metadata={"description": "One clinic; default: every clinic of the token."})
    status = fields.String(load_default=None, validate=one_of([status.value for status in BookingStatus]))


class StaffBookingSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    starts_at = ClinicTime(metadata={"description": "ISO 8601 in clinic time."})
    ends_at = ClinicTime()
    clinic_id = fields.Integer()
    clinic_name = fields.String(attribute="clinic.name")
    timezone = fields.String(attribute="clinic.timezone")
    doctor_id = fields.Integer(allow_none=True)
    diagnostic_id = fields.Integer(allow_none=True)
    service_name = fields.String()
    patient = fields.Function(lambda booking: StaffBookingPatientSchema().dump(booking), metadata={"type": "object"})
    cancel_reason = fields.String(allow_none=True)
    cancelled_by = fields.String(allow_none=True)
    confirmed = fields.Function(lambda booking: booking.confirmed_at is not None, metadata={
        "type": "boolean", "description": "The patient said they will come (the reminder's \"I'll come\")."})
    note = fields.String(allow_none=True, metadata={"description": "The front desk's note: never sent to the patient."})


class StaffBookingPatientSchema(BookingPatientSchema):
    """Who the visit is for, as given at booking, and whether they can be reached in Telegram."""

    id = fields.Integer(attribute="patient_id")
    has_telegram = fields.Function(lambda booking: booking.user_id is not None, metadata={"type": "boolean"})


class CallerSchema(Schema):
    """A patient the desk found (`id`), or one told on the phone (name and phone; found by the phone, else new)."""

    id = fields.Integer(strict=True, validate=DB_INT)
    first_name = Text(min_length=1, max_length=PATIENT_FIELD_LIMITS["first_name"])
    last_name = Text(min_length=1, max_length=PATIENT_FIELD_LIMITS["last_name"])
    phone = Phone()  # read in the clinic's country unless it starts with its country code
    email = EmailAddress(allow_none=True)

    # What the document adds to the generated schema: the rule of _someone below, as JSON Schema.
    DOCUMENTED = {"anyOf": [{"required": ["id"]}, {"required": ["first_name", "last_name", "phone"]}]}

    @validates_schema
    def _someone(self, data, **kwargs) -> None:
        if "id" in data:
            return
        missing = [name for name in ("first_name", "last_name", "phone") if not data.get(name)]
        if missing:
            raise ValidationError({name: [_("Required without the patient's id.")] for name in missing})


class StaffBookingCreateSchema(BookingCreateSchema):
    patient = fields.Nested(CallerSchema, required=True)


class StaffMoveSchema(Schema):
    starts_at = OffsetDateTime(required=True)
    reason = Text(load_default=None, allow_none=True, max_length=500,
                  metadata={"description": "Told to the patient with the new time."})


class NoteSchema(Schema):
    note = Text(required=True, allow_none=True, max_length=NOTE_LIMIT,
                metadata={"description": "Staff-only; empty or null removes it."})


class PatientQuerySchema(PageQuerySchema):
    q = fields.String(required=True, validate=length_between(patient_search.SEARCH_MIN_LENGTH, 100),
                      metadata={"description": "Part of a name or phone, at least three characters."})


class PatientVisitSchema(Schema):
    """One of a patient's visits as the desk lists it."""

    id = fields.Integer()
    starts_at = fields.DateTime(metadata={"description": "ISO 8601 in clinic time."})
    clinic_id = fields.Integer()
    service_name = fields.String()
    status = fields.String()


class FoundPatientSchema(Schema):
    id = fields.Integer(attribute="patient.id")
    first_name = fields.String(attribute="patient.first_name")
    last_name = fields.String(attribute="patient.last_name")
    phone = fields.String(attribute="patient.phone")
    email = fields.String(attribute="patient.email", allow_none=True)
    has_telegram = fields.Boolean(attribute="patient.has_telegram")
    upcoming = fields.List(fields.Nested(PatientVisitSchema), metadata={
        "description": "The next booked visits at the caller's clinics, soonest first (five at most)."})
    last_visit = fields.Nested(PatientVisitSchema, allow_none=True, metadata={
        "description": "The latest visit that was due before now (not cancelled), at the caller's clinics."})


class PatientDetailsQuerySchema(QuerySchema):
    visits = fields.Integer(load_default=patient_details.VISITS_SHOWN,
                            validate=between(1, patient_details.VISITS_MAX),
                            metadata={"description": "How many visits of each list (ahead, behind)."})


class PatientRecordSchema(Schema):
    id = fields.Integer(attribute="patient.id")
    first_name = fields.String(attribute="patient.first_name")
    last_name = fields.String(attribute="patient.last_name")
    phone = fields.String(attribute="patient.phone")
    email = fields.String(attribute="patient.email", allow_none=True)
    has_telegram = fields.Boolean(attribute="patient.has_telegram")
    upcoming = fields.List(fields.Nested(PatientVisitSchema), metadata={
        "description": "Visits from now on at the caller's clinics, any status, soonest first."})
    past = fields.List(fields.Nested(PatientVisitSchema), metadata={
        "description": "Visits before now at the caller's clinics, any status, latest first."})
    more_upcoming = fields.Boolean(metadata={"description": "More visits ahead than `visits` shows."})
    more_past = fields.Boolean(metadata={"description": "More visits behind than `visits` shows."})


class FoundPatientPageSchema(Schema):
    items = fields.List(fields.Nested(FoundPatientSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


class StaffBookingPageSchema(Schema):
    items = fields.List(fields.Nested(StaffBookingSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


class StatusChangeSchema(Schema):
    status = fields.String(required=True, validate=one_of(STAFF_STATUSES))
    reason = Text(load_default=None, allow_none=True, max_length=500, metadata={
        "description": "Why: told to the patient when cancelling; required to take a mark back (booked, or arrived "
                       "after noshow), and kept in the audit trail."})


class ResultUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "The result as a PDF."})


class UploadedResultSchema(ResultSchema):
    sha256 = fields.String()


class ReminderRunSchema(Schema):
    date = CalendarDay(load_default=None)
    clinic_id = fields.Integer(load_default=None, validate=DB_INT)
    booking_ids = fields.List(fields.Integer(validate=DB_INT), load_default=None,
                              validate=length_between(1, 1000))


class ReminderRunResultSchema(Schema):
    queued = fields.Integer()


class StaffCallerSchema(Schema):
    actor_id = fields.String(metadata={"description": "How the caller signs the audit trail."})
    name = fields.String(allow_none=True)
    role = fields.String(allow_none=True, metadata={"description": "admin, reception or doctor; null: a token issued "
                                                                   "without a role."})
    holds = fields.List(fields.String(), metadata={"description": "Every role whose rights the caller holds (an "
                                                                   "admin holds reception's, reception a doctor's)."})
    doctor_id = fields.Integer(allow_none=True)
    clinics = fields.List(fields.Nested(ClinicSummarySchema), metadata={"description": "The clinics the caller acts "
                                                                                        "for."})


class FailedDeliverySchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    booking_id = fields.Integer()
    chat_id = fields.Integer()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    failed_at = fields.DateTime(attribute="updated_at")
    patient_name = fields.Function(
        lambda message: f"{message.booking.patient_first_name} {message.booking.patient_last_name}"
    )
    patient_phone = fields.String(attribute="booking.patient_phone")


class FailedDeliveryPageSchema(Schema):
    items = fields.List(fields.Nested(FailedDeliverySchema))
    pagination = fields.Nested(PaginationSchema)


@blp.route("/me")
class StaffCaller(MethodView):
    @blp.doc(security=STAFF_SECURITY)
    @blp.response(200, StaffCallerSchema)
    @refusals(blp, {401: STAFF_AUTH, 403: STAFF_ROLE})
    def get(self):
        """Who the caller is: role, the roles whose rights they hold, their clinics (the staff pages show what
        these allow)."""
        staff = access.current_principal()
        clinics = catalog.current_catalog(current_language()).clinics
        return {
            "actor_id": staff.actor_id, "name": staff.name, "role": staff.role.value if staff.role else None,
            "holds": [role.value for role in StaffRole if staff.holds(role)], "doctor_id": staff.doctor_id,
            "clinics": [clinic for clinic_id, clinic in sorted(clinics.items()) if staff.sees_clinic(clinic_id)],
        }


@blp.route("/bookings")
class DayBookings(MethodView):
    @blp.doc(security=STAFF_SECURITY)
    @blp.arguments(DayQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, StaffBookingPageSchema)
    @refusals(blp, {401: STAFF_AUTH, 403: STAFF_ROLE})
    def get(self, date, clinic_id, status, page, per_page):
        """The day's bookings, in each clinic's own calendar, by clinic and start time; paginated (`page`,
        `per_page` ≤ 100). The read is audited (`patients.read`, the bookings shown)."""
        staff = access.current_principal()
        page = clinic_day.bookings_page(
            date, within=staff.clinic_ids, clinic_id=clinic_id, status=BookingStatus(status) if status else None,
            doctor_id=staff.doctor_id if staff.role is StaffRole.DOCTOR else None, page=page, per_page=per_page,
        )
        # Patients' names, phones and notes were read: the trail says who saw whose (ids only).
        privacy_audit.patients_listed(staff.actor_id, page.items, day=date, listing=privacy_audit.DAY)
        db.session.commit()
        return page_body(page)

    @blp.doc(security=STAFF_SECURITY)
    @blp.arguments(StaffBookingCreateSchema)
    @blp.response(201, StaffBookingSchema)
    @refusals(blp, {
        401: STAFF_AUTH, 403: STAFF_ROLE,
        404: "No such clinic, doctor, diagnostic or patient among the caller's clinics.",
        409: "The time is not free (taken, passed, outside the hours, off the grid…) or the patient holds a visit then.",
        422: "A field is missing or malformed; the phone is not a number of the clinic's country (`patient`: its "
             "`phone`); the doctor works elsewhere or the clinic does not offer the test (`clinic_id`).",
        **JSON_BODY,
    })
    def post(self, fields):
        """Book a caller (with or without Telegram) into a free slot, as a patient books: same rules, same races."""
        staff = access.require_role(StaffRole.RECEPTION)
        caller = fields["patient"]
        booking = front_desk.book_for_caller(
            within=staff.clinic_ids, clinic_id=fields["clinic_id"], starts_at=fields["starts_at"],
            doctor_id=fields.get("doctor_id"), diagnostic_id=fields.get("diagnostic_id"), actor_id=staff.actor_id,
            patient_id=caller.get("id"),
            caller=None if "id" in caller else CallerDetails(
                caller["first_name"], caller["last_name"], caller["phone"], caller.get("email") or None),
        )
        db.session.commit()
        return bookings.get_booking_for_staff(booking.id)


@blp.route("/bookings/<int:booking_id>")
class StaffBooking(MethodView):
    @blp.doc(security=STAFF_SECURITY)
    @blp.arguments(NoteSchema)
    @blp.response(200, StaffBookingSchema)
    @refusals(blp, {401: STAFF_AUTH, 403: STAFF_ROLE, 404: NO_BOOKING, **JSON_BODY})
    def patch(self, change, booking_id):
        """Write the front desk's note on a visit (≤ 2,000 characters; never sent to the patient, never logged)."""
        staff = access.require_booking(bookings.get_booking_for_staff(booking_id))
        bookings.set_note(booking_id, change["note"], actor_id=staff.actor_id)
        db.session.commit()
        return bookings.get_booking_for_staff(booking_id)


@blp.route("/bookings/<int:booking_id>/reschedule")
class StaffReschedule(MethodView):
    @blp.doc(security=STAFF_SECURITY)
    @blp.arguments(StaffMoveSchema)
    @blp.response(200, StaffBookingSchema)
    @refusals(blp, {401: STAFF_AUTH, 403: STAFF_ROLE, 404: NO_BOOKING,
                    409: "Not booked any more, or the new time is not free.", **JSON_BODY})
    def post(self, change, booking_id):
        """Move a booked visit to another free time of its doctor or test; the patient is told, with the reason."""
        staff = access.require_booking(bookings.get_booking_for_staff(booking_id))
        access.require_role(StaffRole.RECEPTION)
        moved = bookings.reschedule_by_staff(booking_id, starts_at=change["starts_at"], actor_id=staff.actor_id,
                                             reason=change["reason"])
        db.session.commit()
        return bookings.get_booking_for_staff(moved.id)


@blp.route("/patients")
class Patients(MethodView):
    @blp.doc(security=STAFF_SECURITY)
    @blp.arguments(PatientQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, FoundPatientPageSchema)
    @refusals(blp, {401: STAFF_AUTH, 403: STAFF_ROLE, 422: "`q` shorter than three characters once its spaces are left out."})
    def get(self, q, page, per_page):
        """Patients of the caller's clinics whose name or phone holds the query's words, with their next visits; the
        first 100 matches at most (type more to narrow), by name. The read is audited (`patients.read`: who saw which
        patients, by id; never the query)."""
        staff = access.require_role(StaffRole.RECEPTION)
        found = patient_search.search(q, within=staff.clinic_ids, page=page, per_page=per_page)
        # Their names and phones were read: the trail says who saw whose (ids only, never the query).
        privacy_audit.patients_found(staff.actor_id, [item.patient.id for item in found.items],
                                     within=staff.clinic_ids)
        db.session.commit()
        return page_body(found)


@blp.route("/patients/<int(max=2147483647):patient_id>")
class PatientDetails(MethodView):
    @blp.doc(security=STAFF_SECURITY)
    @blp.arguments(PatientDetailsQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, PatientRecordSchema)
    @refusals(blp, {401: STAFF_AUTH, 403: STAFF_ROLE, 404: "No such patient among the caller's clinics' (none of "
                                                           "their visits is at one of them).",
                    422: f"`visits` outside 1–{patient_details.VISITS_MAX}."})
    def get(self, patient_id, visits):
        """A patient's details with their visits at the caller's clinics: ahead (soonest first) and behind (latest
        first), `visits` of each; the read is audited (who, whose, which visits it showed)."""
        staff = access.require_role(StaffRole.RECEPTION)
        record = patient_details.patient_record(patient_id, within=staff.clinic_ids, visits=visits)
        privacy_audit.patient_read(staff.actor_id, patient_id, patient_details.clinics_shown(record))
        db.session.commit()
        return record


@blp.route("/clinics/<int(max=2147483647):clinic_id>/to-call")
class PatientsToCall(MethodView):
    @blp.doc(security=STAFF_SECURITY)
    @blp.arguments(ToCallQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, PatientToCallSchema(many=True))
    @refusals(blp, {401: STAFF_AUTH, 403: STAFF_ROLE, 404: "Not one of the caller's clinics.",
                    422: "`days` outside 1–366."})
    def get(self, clinic_id, days):
        """The patients the front desk must phone, soonest visit first, each with why: the clinic cancelled their
        visit and no message reached them (`cancelled_by_clinic`), or their reminder is due and they have no
        Telegram (`reminder_due`). Names and phones were read: audited as the day's list is."""
        staff = access.require_role(StaffRole.RECEPTION)
        access.require_clinic(clinic_id)
        rows = call_list.to_call(clinic_id, days=days)
        privacy_audit.bookings_listed(staff.actor_id, {clinic_id: [row.booking_id for row in rows]},
                                      listing=privacy_audit.TO_CALL)
        db.session.commit()
        return rows


@blp.route("/bookings/<int:booking_id>/status")
class BookingStatusChange(MethodView):
    @blp.doc(security=STAFF_SECURITY)
    @blp.arguments(StatusChangeSchema)
    @blp.response(200, StaffBookingSchema)
    @refusals(blp, {
        401: STAFF_AUTH, 403: STAFF_ROLE, 404: "No such booking among the caller's (a doctor: their own visits).",
        409: "Not a move this booking can make now: statuses go forward (booked → arrived → fulfilled; booked → "
             "cancelled or noshow); arrived from the visit's day on, noshow once it was due to start; a mark is taken "
             "back (arrived → booked, noshow → booked or arrived) only on the visit's clinic-local day.",
        422: "Taking a mark back without a `reason`.",
        **JSON_BODY,
    })
    def post(self, change, booking_id):
        """Move a booking forward (arrived, fulfilled, noshow, cancelled), or take a mark back on the visit's day
        (`booked`; `arrived` after noshow) saying why."""
        staff = access.require_booking(bookings.get_booking_for_staff(booking_id))
        bookings.change_status(booking_id, BookingStatus(change["status"]), actor=Actor.STAFF,
                               actor_id=staff.actor_id, reason=change["reason"])
        db.session.commit()
        return bookings.get_booking_for_staff(booking_id)


@blp.route("/bookings/<int:booking_id>/results")
class BookingResults(MethodView):
    @blp.doc(security=STAFF_SECURITY)
    @blp.arguments(ResultUploadSchema, location="files")
    @blp.response(201, UploadedResultSchema)
    @refusals(blp, {
        401: STAFF_AUTH, 403: STAFF_ROLE, 404: "No such booking among the caller's (a doctor: their own visits).",
        413: "The upload is larger than `RESULT_MAX_BYTES`.",
        409: "The visit was cancelled, or has not begun yet (a result is taken once it has, or once the patient "
             "arrived).",
        422: "No `file`, or a file that is not a PDF by its content (whatever its name or declared type).",
    })
    def post(self, upload, booking_id):
        """Upload a result PDF; the patient receives it in the chat."""
        staff = access.require_booking(bookings.get_booking_for_staff(booking_id))
        document = upload["file"]
        # Read one byte past the cap: enough to refuse an oversized file without holding all of it.
        content = document.stream.read(current_settings().RESULT_MAX_BYTES + 1)
        result = results.store_result(booking_id, content=content, file_name=document.filename or "result.pdf",
                                      uploaded_by=staff.actor_id)
        db.session.commit()
        return result


@blp.route("/results/<int:result_id>/file")
class StaffResultFile(MethodView):
    @blp.doc(security=STAFF_SECURITY)
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf",
                  description="The result PDF, as an attachment (stored encrypted, decrypted in memory).")
    @refusals(blp, {401: STAFF_AUTH, 403: STAFF_ROLE,
                    404: "No such result among the caller's visits, or its file is gone.",
                    500: "The stored file failed its integrity check: nothing is served."})
    def get(self, result_id):
        """Download a visit's result; the read is audited (who, which result, when)."""
        result = results.get_result_for_staff(result_id)
        staff = access.require_booking(result.booking)
        content = results.file_content(result)
        privacy_audit.result_read(staff.actor_id, result, action="result.read")
        db.session.commit()
        response = send_file(BytesIO(content), mimetype="application/pdf", as_attachment=True,
                             download_name=result.file_name)
        response.headers["Cache-Control"] = "private, no-store"
        return response


@blp.route("/results/<int:result_id>/send")
class StaffResultResend(MethodView):
    @blp.doc(security=STAFF_SECURITY)
    @blp.response(202, ResultSentSchema)
    @refusals(blp, {401: STAFF_AUTH, 403: STAFF_ROLE, 404: "No such result among the caller's visits.",
                    409: "The patient has no chat (they erased their data)."})
    def post(self, result_id):
        """Send a visit's result to its patient's chat again; audited."""
        result = results.get_result_for_staff(result_id)
        staff = access.require_booking(result.booking)
        results.send_again(result)
        privacy_audit.result_read(staff.actor_id, result, action="result.resend")
        db.session.commit()
        return {"result_id": result.id, "status": "queued"}


@blp.route("/reminders/run")
class ReminderRun(MethodView):
    @blp.doc(security=STAFF_SECURITY)
    @blp.arguments(ReminderRunSchema, required=False)
    @blp.response(202, ReminderRunResultSchema)
    @refusals(blp, {401: STAFF_AUTH, 403: STAFF_ROLE, 404: "`clinic_id` is not one of the caller's clinics.",
                    **JSON_BODY})
    def post(self, run):
        """Send the chosen bookings' reminders now; each booking at most once per day of runs."""
        staff = access.require_role(StaffRole.RECEPTION)
        if run["clinic_id"] is not None:
            access.require_clinic(run["clinic_id"])
        queued = reminders.queue_manual_reminders(day=run["date"], clinic_id=run["clinic_id"],
                                                  booking_ids=run["booking_ids"], within=staff.clinic_ids)
        db.session.commit()
        metrics.reminder_run("api", len(queued))
        return {"queued": len(queued)}


@blp.route("/deliveries/failed")
class FailedDeliveries(MethodView):
    @blp.doc(security=STAFF_SECURITY)
    @blp.arguments(PageQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, FailedDeliveryPageSchema)
    @refusals(blp, {401: STAFF_AUTH, 403: STAFF_ROLE})
    def get(self, page, per_page):
        """Messages that could not be delivered (blocked bot, attempts used up): who did not get what. The read is
        audited (`patients.read`, the bookings shown)."""
        staff = access.require_role(StaffRole.RECEPTION)
        failed = delivery.failed_deliveries(within=staff.clinic_ids, page=page, per_page=per_page)
        privacy_audit.patients_listed(staff.actor_id, [message.booking for message in failed.items], day=None,
                                      listing=privacy_audit.FAILED_DELIVERIES)
        db.session.commit()
        return page_body(failed)
