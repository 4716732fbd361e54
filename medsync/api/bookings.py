"""/api/v1 for the signed-in patient (Telegram initData): bookings, calendar export and results."""
from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import Response, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from medsync import log_context, metrics
from medsync.api.auth import current_patient_id, current_patient_profile, verified_init_data
from medsync.api.json_body import require_json_object
from medsync.api.limits import limit_booking_writes
from medsync.api.pages import page_body
from medsync.api.refusals import BOOKING_WRITES, JSON_BODY, PATIENT_AUTH, refusals
from medsync.api.schemas import (
    BookingCreateSchema, BookingListQuerySchema, BookingPageSchema, BookingSchema, CancelSchema,
    IdempotencyHeaderSchema, PageQuerySchema, RescheduleSchema, ResultPageSchema, ResultSentSchema,
)
from medsync.extensions import db
from medsync.models import Booking
from medsync.services import bookings, results
from medsync.services.bookings import PatientDetails
from medsync.services.calendar import booking_ics, ics_file_name

blp = Blueprint(
    "patient", __name__, url_prefix="/api/v1",
    description="The patient's own bookings and results. Needs `Authorization: tma <initData>`; "
                "someone else's booking or result answers 404.",
)


@blp.before_request
def require_patient() -> None:
    """Every route here needs a verified patient: refuse (401) before validating anything else."""
    if request.method != "OPTIONS":  # CORS preflights carry no credentials
        verified_init_data()


blp.before_request(require_json_object)

TMA = [{"tma": []}]
BOOKING_ID = "<int(max=2147483647):booking_id>"
BINARY = {"type": "string", "format": "binary"}
NO_BOOKING = "No booking of this patient has this id (someone else's is not found either)."
CHANGE_REFUSED = ("The booking can no longer be changed: already cancelled, no longer active, or too close to the "
                  "visit (`CANCEL_CUTOFF`).")


@blp.route("/bookings")
class Bookings(MethodView):
    decorators = [metrics.booking_attempt("made", "api"), limit_booking_writes]

    @blp.arguments(BookingCreateSchema)
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.response(201, BookingSchema)
    @refusals(blp, {
        401: PATIENT_AUTH, 404: "No such doctor or diagnostic.",
        409: "The time is not free (taken, passed, inside the minimum notice, past the horizon, outside the hours, "
             "off the slot grid) or the patient already holds a booking then.",
        422: "A field is missing or malformed; or the doctor works at another clinic, or the clinic does not offer "
             "the diagnostic (`clinic_id`); or the `Idempotency-Key` was used for a different booking.",
        429: BOOKING_WRITES, **JSON_BODY,
    })
    @blp.doc(security=TMA)
    def post(self, fields: dict[str, Any], headers: dict[str, Any]) -> bookings.BookingDetails:
        """Book a free slot of a doctor or a diagnostic; the same `Idempotency-Key` returns the first booking."""
        profile = current_patient_profile()
        details = fields["patient"]
        booking = bookings.book(
            user_id=profile.telegram_id, profile=profile, clinic_id=fields["clinic_id"],
            starts_at=fields["starts_at"],
            doctor_id=fields.get("doctor_id"), diagnostic_id=fields.get("diagnostic_id"),
            patient=PatientDetails(
                first_name=details["first_name"], last_name=details["last_name"], phone=details["phone"],
                email=details.get("email") or None, message=details.get("message") or None,
            ),
            idempotency_key=headers.get("idempotency_key"),
        )
        log_context.bind(booking_id=booking.id)
        db.session.commit()
        return booking


@blp.route("/me/bookings")
class MyBookings(MethodView):
    @blp.arguments(BookingListQuerySchema, location="query")
    @blp.response(200, BookingPageSchema)
    @refusals(blp, {401: PATIENT_AUTH})
    @blp.doc(security=TMA)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """My bookings: upcoming (soonest first), past or all (latest first); paginated."""
        page = bookings.list_for_user(
            current_patient_id(), when=query["when"], page=query["page"], per_page=query["per_page"]
        )
        return page_body(page)


@blp.route(f"/bookings/{BOOKING_ID}")
class BookingById(MethodView):
    @blp.response(200, BookingSchema)
    @refusals(blp, {401: PATIENT_AUTH, 404: NO_BOOKING})
    @blp.doc(security=TMA)
    def get(self, booking_id: int) -> Booking:
        """One of my bookings."""
        return bookings.get_booking(booking_id, user_id=current_patient_id())


@blp.route(f"/bookings/{BOOKING_ID}/cancel")
class CancelBooking(MethodView):
    decorators = [metrics.booking_attempt("cancelled", "api"), limit_booking_writes]

    @blp.arguments(CancelSchema, required=False)
    @blp.response(200, BookingSchema)
    @refusals(blp, {401: PATIENT_AUTH, 404: NO_BOOKING, 409: CHANGE_REFUSED, 429: BOOKING_WRITES, **JSON_BODY})
    @blp.doc(security=TMA)
    def post(self, fields: dict[str, Any], booking_id: int) -> bookings.BookingDetails:
        """Cancel my booking; too close to the visit (CANCEL_CUTOFF) → 409."""
        user_id = current_patient_id()
        shown = bookings.details(bookings.cancel(booking_id, user_id=user_id, reason=fields.get("reason") or None))
        db.session.commit()
        return shown


@blp.route(f"/bookings/{BOOKING_ID}/reschedule")
class RescheduleBooking(MethodView):
    decorators = [metrics.booking_attempt("moved", "api"), limit_booking_writes]

    @blp.arguments(RescheduleSchema)
    @blp.response(200, BookingSchema)
    @refusals(blp, {
        401: PATIENT_AUTH, 404: NO_BOOKING,
        409: CHANGE_REFUSED + " Or the new time is not free, as for a new booking.",
        429: BOOKING_WRITES, **JSON_BODY,
    })
    @blp.doc(security=TMA)
    def post(self, fields: dict[str, Any], booking_id: int) -> bookings.BookingDetails:
        """Move my booking to another free slot: a new booking linked to the cancelled old one."""
        user_id = current_patient_id()
        shown = bookings.reschedule(booking_id, user_id=user_id, starts_at=fields["starts_at"])
        db.session.commit()
        return shown


@blp.route(f"/bookings/{BOOKING_ID}/calendar.ics")
class BookingCalendar(MethodView):
    @blp.response(200, BINARY, content_type="text/calendar",
                  description="An iCalendar event: stable UID, SEQUENCE bumped on reschedule.")
    @refusals(blp, {401: PATIENT_AUTH, 404: NO_BOOKING})
    @blp.doc(security=TMA)
    def get(self, booking_id: int) -> Response:
        """My booking as an .ics file."""
        booking = bookings.get_booking(booking_id, user_id=current_patient_id())
        return Response(
            booking_ics(booking), mimetype="text/calendar",
            headers={"Content-Disposition": f'attachment; filename="{ics_file_name(booking)}"'},
        )


@blp.route("/me/results")
class MyResults(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, ResultPageSchema)
    @refusals(blp, {401: PATIENT_AUTH})
    @blp.doc(security=TMA)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """My test results, newest first; paginated."""
        return page_body(results.list_for_user(current_patient_id(), page=query["page"], per_page=query["per_page"]))


@blp.route("/results/<int(max=2147483647):result_id>/file")
class ResultFile(MethodView):
    @blp.response(200, BINARY, content_type="application/pdf", description="The result PDF, as an attachment.")
    @refusals(blp, {401: PATIENT_AUTH, 404: "No result of this patient has this id, or its file is gone.",
                    500: "The stored file failed its integrity check (tampered with or truncated): nothing is served."})
    @blp.doc(security=TMA)
    def get(self, result_id: int) -> Response:
        """Download my result's PDF (stored encrypted, decrypted in memory)."""
        result = results.get_result(result_id, user_id=current_patient_id())
        content = results.file_content(result)
        response = send_file(BytesIO(content), mimetype="application/pdf", as_attachment=True,
                             download_name=result.file_name)
        response.headers["Cache-Control"] = "private, no-store"
        return response


@blp.route("/results/<int(max=2147483647):result_id>/send")
class SendResult(MethodView):
    decorators = [limit_booking_writes]

    @blp.response(202, ResultSentSchema)
    @refusals(blp, {401: PATIENT_AUTH, 404: "No result of this patient has this id.", 429: BOOKING_WRITES})
    @blp.doc(security=TMA)
    def post(self, result_id: int) -> dict[str, Any]:
        """Send my result's PDF to my Telegram chat (the bot sends it through the outbox)."""
        results.send_to_chat(result_id, user_id=current_patient_id())
        db.session.commit()
        return {"result_id": result_id, "status": "queued"}
