"""Marshmallow schemas of the /api/v1 requests and responses (and the compatible booking body)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from medsync import clock
from medsync.api.urls import photo_url
from medsync.errors import error_body
from medsync.i18n import N_
from medsync.models import PATIENT_FIELD_LIMITS, BookingStatus
from medsync.models.booking import PatientActions
from medsync.services import catalog, results
from medsync.services.availability import MAX_RANGE_DAYS
from medsync.storable_text import is_storable

# Validators say what they refuse through gettext (marshmallow formats the lazy text when it refuses, in the
# request's language); marshmallow's own field messages are translated on the way out (medsync.http_errors).


def between(low: Any, high: Any) -> validate.Range:
    return validate.Range(min=low, max=high,
                          error=_l("Must be greater than or equal to {min} and less than or equal to {max}."))


def at_most(longest: int) -> validate.Length:
    return validate.Length(max=longest, error=_l("Longer than maximum length {max}."))


def length_between(shortest: int, longest: int) -> validate.Length:
    return validate.Length(min=shortest, max=longest, error=_l("Length must be between {min} and {max}."))


def one_of(choices: list[str]) -> validate.OneOf:
    return validate.OneOf(choices, error=_l("Must be one of: {choices}."))


DB_INT = between(1, 2**31 - 1)
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
CALENDAR_DAYS = between(date(EARLIEST_YEAR, 1, 1), date(LATEST_YEAR, 12, 31))
# What the document says of those years (OpenAPI 3.0 has no minimum for a date string; a pattern says it exactly).
YEARS_PATTERN = "^(20[0-9]{2}|2100)-"
# Exactly what str.strip() removes (str.isspace()), so that a pattern in the document can say "not blank" as the
# server means it; tests/api/test_openapi_contract.py holds the two equal.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_NOT_NUL = "[^\\u0000]"
_VISIBLE = "[^\\u0000" + "".join(f"\\u{ord(ch):04x}" for ch in WHITESPACE) + "]"
# Patterns (ECMA 262 and Python alike) for what Text accepts: no NUL anywhere; not blank when it is required.
NO_NUL_PATTERN = f"^{_NOT_NUL}*$"
NOT_BLANK_PATTERN = f"^{_NOT_NUL}*{_VISIBLE}{_NOT_NUL}*$"


def _storable(value: str) -> None:
    """PostgreSQL text cannot hold NUL or lone surrogates: refused here, so no free text reaches the database with one."""
    if is_storable(value):
        return
    if "\x00" in value:
        raise ValidationError(_("Must not contain NUL characters."))
    raise ValidationError(_("Must be valid Unicode text."))


class Text(fields.String):
    """A string PostgreSQL can store, stripped, with a length cap (of the stripped text)."""

    def __init__(self, *, max_length: int, min_length: int = 0, **kwargs: Any) -> None:
        validators = [_storable, length_between(min_length, max_length) if min_length else at_most(max_length)]
        metadata = {"pattern": NOT_BLANK_PATTERN if min_length else NO_NUL_PATTERN, **kwargs.pop("metadata", {})}
        super().__init__(validate=validators, metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip(WHITESPACE)


class Phone(Text):
    """A phone number as people write it: digits, spaces, +, -, ( and )."""

    ALLOWED = frozenset("0123456789+-() ")

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {"description": "Digits 0-9, spaces, +, -, ( and ): 5 to "
                                                      f"{PATIENT_FIELD_LIMITS['phone']} of them.",
                                       "pattern": "^ *[0-9+()-][0-9+() -]{3,}[0-9+()-] *$"})
        super().__init__(min_length=5, max_length=PATIENT_FIELD_LIMITS["phone"], **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        phone = super()._deserialize(value, attr, data, **kwargs)
        if not self.ALLOWED.issuperset(phone):  # ASCII digits: str.isdigit() would take "²" or "٣"
            raise ValidationError(_("Only digits, spaces, +, -, ( and ) are allowed."))
        return phone


def EmailAddress(**kwargs: Any) -> fields.Email:  # noqa: N802 - reads like a field class
    return fields.Email(validate=[_storable, at_most(PATIENT_FIELD_LIMITS["email"])], **kwargs)


class NumericId(fields.Integer):
    """A database id as a JSON integer or a string of digits (the Mini App sends both); never 1.5 or true."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())
        ):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def CalendarDay(**kwargs: Any) -> fields.Date:  # noqa: N802 - reads like a field class
    """A date between EARLIEST_YEAR and LATEST_YEAR (the document says so by its pattern)."""
    metadata = {"pattern": YEARS_PATTERN, **kwargs.pop("metadata", {})}
    return fields.Date(validate=CALENDAR_DAYS, metadata=metadata, **kwargs)


class OffsetDateTime(fields.AwareDateTime):
    """An ISO 8601 instant that must carry a UTC offset (naive or unparseable → 422)."""

    MAX_LENGTH = 40
    default_error_messages = {  # as marshmallow's own: translated on the way out
        "invalid": N_("Not a valid ISO 8601 date-time."),
        "invalid_awareness": N_("The time needs a UTC offset, e.g. 2026-12-03T09:00:00Z."),
    }

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": YEARS_PATTERN, "maxLength": self.MAX_LENGTH, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, str) and len(value) > self.MAX_LENGTH:
            raise self.make_error("invalid")
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            raise ValidationError(_("The year must be between {earliest} and {latest}.").format(
                earliest=EARLIEST_YEAR, latest=LATEST_YEAR))
        return moment


class ClinicTime(fields.DateTime):
    """A stored UTC instant shown in the clinic's own offset (the object has `.clinic.zone`)."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else value.astimezone(obj.clinic.zone).isoformat()


def PhotoUrl() -> fields.Function:  # noqa: N802 - reads like a field class
    """A catalog picture as an absolute URL that answers 200 (a stored photo or the generated avatar)."""
    return fields.Function(lambda item: photo_url(item.photo_url), metadata={"type": "string", "format": "uri"})


def Price() -> fields.Float:  # noqa: N802 - reads like a field class
    """A price in the clinic's currency, as a JSON number (the model holds a Decimal)."""
    return fields.Float(metadata={"description": "Price in the clinic's currency (`currency`)."})


def PriceText() -> fields.String:  # noqa: N802 - reads like a field class
    return fields.String(metadata={
        "description": "The price written for the request's language, in the clinic's currency.",
        "example": "1 200,00 ₴",
    })


def Currency(**kwargs: Any) -> fields.String:  # noqa: N802 - reads like a field class
    return fields.String(metadata={"description": "ISO 4217 code of the clinic's currency.", "example": "UAH"},
                         **kwargs)


# --- errors and pagination ------------------------------------------------------------------------


class ErrorSchema(Schema):
    """The one error shape."""

    code = fields.Integer(required=True, metadata={"example": 404})
    status = fields.String(required=True, metadata={"example": "Not Found"})
    message = fields.String(required=True)
    errors = fields.Dict(
        keys=fields.String(), required=True, metadata={"description": "Field name → list of messages."}
    )


ERROR_EXAMPLE = error_body(404, "Booking not found.")


class QuerySchema(Schema):
    """A query string: a parameter left empty (`?clinic_id=`, a form's "All clinics") means no filter."""

    @pre_load
    def _empty_means_absent(self, data: Any, **kwargs: Any) -> dict[str, Any]:
        # A plain dict keeps each parameter's first value: right for every query schema here, none of which has a
        # List field (one that does must keep webargs' MultiDict instead).
        return {name: data[name] for name in data if data[name] != ""}


class PageQuerySchema(QuerySchema):
    page = fields.Integer(load_default=1, validate=between(1, 100_000))
    per_page = fields.Integer(load_default=20, validate=between(1, 100))


class PaginationSchema(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "Items over all pages."})
    pages = fields.Integer(required=True)


# --- catalog -----------------------------------------------------------------------------------------


class BreakSchema(Schema):
    starts_at = fields.Function(lambda pair: pair[0].strftime("%H:%M"), metadata={"type": "string", "example": "13:00"})
    ends_at = fields.Function(lambda pair: pair[1].strftime("%H:%M"), metadata={"type": "string", "example": "14:00"})


class DayHoursSchema(Schema):
    weekday = fields.Integer(metadata={"description": "ISO weekday: 1 = Monday … 7 = Sunday."})
    opens_at = fields.Time(format="%H:%M")
    closes_at = fields.Time(format="%H:%M")
    breaks = fields.List(fields.Nested(BreakSchema))


class ClosureSchema(Schema):
    first_day = fields.Date()
    last_day = fields.Date()
    reason = fields.String(allow_none=True)


class ClinicSummarySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    address = fields.String()
    timezone = fields.String(metadata={"description": "IANA time zone; slots are shown in its offset."})
    currency = Currency()


class UpcomingClosures(fields.List):
    """The clinic's closures that have not ended yet (seen from the clinic's today)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> list[Any] | None:
        today = clock.now().astimezone(obj.zone).date()
        return super()._serialize(obj.upcoming_closures(today), attr, obj, **kwargs)


class ClinicSchema(ClinicSummarySchema):
    hours = fields.List(fields.Nested(DayHoursSchema), metadata={"description": "Closed weekdays are absent."})
    closures = UpcomingClosures(fields.Nested(ClosureSchema), metadata={"description": "Closures not yet ended."})


class SpecialtySchema(Schema):
    id = fields.Integer()
    name = fields.String()


class DoctorSchema(Schema):
    id = fields.Integer()
    full_name = fields.String()
    specialty = fields.Nested(SpecialtySchema)
    clinic = fields.Nested(ClinicSummarySchema)
    price = Price()
    currency = Currency(attribute="clinic.currency")
    price_text = PriceText()
    photo_url = PhotoUrl()
    appointment_minutes = fields.Integer()
    avg_rating = fields.Float(metadata={"description": "0 when unrated."})
    rating_count = fields.Integer()


class DoctorDetailSchema(DoctorSchema):
    bio = fields.String(allow_none=True)
    experience = fields.String(allow_none=True)
    certificates = fields.String(allow_none=True)
    services = fields.Function(
        lambda doctor: [line.strip() for line in (doctor.services or "").splitlines() if line.strip()],
        metadata={"type": "array", "items": {"type": "string"}},
    )


class DoctorFilterSchema(QuerySchema):
    """Which doctors: the API's list and the Mini App's doctors page filter alike."""

    specialty_id = fields.Integer(validate=DB_INT)
    clinic_id = fields.Integer(validate=DB_INT)
    q = Text(max_length=100, metadata={"description": "Case-insensitive text in the name, specialty or services."})


class DoctorQuerySchema(PageQuerySchema, DoctorFilterSchema):
    pass


class DoctorPageSchema(Schema):
    items = fields.List(fields.Nested(DoctorSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


class DiagnosticPriceSchema(Schema):
    """What a test costs at one clinic."""

    clinic_id = fields.Integer(attribute="clinic.id")
    price = Price()
    currency = Currency(attribute="clinic.currency")
    price_text = PriceText()


class DiagnosticSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    price = fields.Float(metadata={"description": "The price at clinics that set none of their own; what each "
                                                  "clinic charges, in its currency, is in `prices`."})
    prices = fields.List(fields.Nested(DiagnosticPriceSchema), attribute="offers",
                         metadata={"description": "One per clinic offering the test."})
    photo_url = PhotoUrl()
    duration_minutes = fields.Integer()
    clinics_count = fields.Function(lambda diagnostic: len(diagnostic.clinics), metadata={"type": "integer"})


# --- slots ------------------------------------------------------------------------------------------


class SlotQuerySchema(QuerySchema):
    date_from = CalendarDay(data_key="from", metadata={"description": "First clinic-local day; default today."})
    date_to = CalendarDay(data_key="to", metadata={
        "description": f"Last day, inclusive; default `from` + 6 days. Not before `from`, and at most {MAX_RANGE_DAYS} "
                       f"days from `from` to `to` inclusive: otherwise 422 (a rule between two parameters, which "
                       "OpenAPI 3.0 cannot state as a schema)."
    })


class DiagnosticSlotQuerySchema(SlotQuerySchema):
    clinic_id = fields.Integer(required=True, validate=DB_INT)


class SlotSchema(Schema):
    starts_at = fields.DateTime(metadata={"description": "In the clinic's offset."})
    ends_at = fields.DateTime()


# --- bookings ---------------------------------------------------------------------------------------


class PatientSchema(Schema):
    first_name = Text(required=True, min_length=1, max_length=PATIENT_FIELD_LIMITS["first_name"])
    last_name = Text(required=True, min_length=1, max_length=PATIENT_FIELD_LIMITS["last_name"])
    phone = Phone(required=True)
    email = EmailAddress(allow_none=True)
    message = Text(allow_none=True, max_length=PATIENT_FIELD_LIMITS["message"])


class BookingCreateSchema(Schema):
    doctor_id = fields.Integer(strict=True, validate=DB_INT, allow_none=True)
    diagnostic_id = fields.Integer(strict=True, validate=DB_INT, allow_none=True)
    clinic_id = fields.Integer(strict=True, required=True, validate=DB_INT)
    starts_at = OffsetDateTime(required=True, metadata={
        "description": "A free slot's start, with an offset. A time that is not free — taken, passed, inside the "
                       "minimum notice, past the booking horizon, outside the hours, off the slot grid, or one the "
                       "patient already holds elsewhere — is refused with 409.",
    })
    patient = fields.Nested(PatientSchema, required=True)

    # What the document adds to the generated schema: the rule of _one_service below, as JSON Schema.
    DOCUMENTED = {"oneOf": [
        {"required": [name], "properties": {name: {"type": "integer"}}} for name in ("doctor_id", "diagnostic_id")
    ]}

    @validates_schema
    def _one_service(self, data: dict[str, Any], **kwargs: Any) -> None:
        if (data.get("doctor_id") is None) == (data.get("diagnostic_id") is None):
            raise ValidationError(_("Give exactly one of doctor_id or diagnostic_id."), "doctor_id")


class IdempotencyHeaderSchema(Schema):
    idempotency_key = Text(
        data_key="Idempotency-Key", min_length=1, max_length=128,
        metadata={"description": "Repeat a create with the same key to get the first booking back."},
    )


class BookingListQuerySchema(PageQuerySchema):
    when = fields.String(load_default="upcoming", validate=one_of(["upcoming", "past", "all"]))


class CancelSchema(Schema):
    reason = Text(allow_none=True, max_length=500)


class RescheduleSchema(Schema):
    starts_at = OffsetDateTime(required=True)


class BookedDoctorSchema(Schema):
    id = fields.Integer()
    full_name = fields.String()


class BookedDiagnosticSchema(Schema):
    id = fields.Integer()
    # In the reader's language, as the catalog shows it (a booking holds the test's row or its snapshot in English).
    name = fields.Function(lambda diagnostic: catalog.diagnostic_name(diagnostic.id), metadata={"type": "string"})


class BookingPatientSchema(Schema):
    first_name = fields.String(attribute="patient_first_name")
    last_name = fields.String(attribute="patient_last_name")
    phone = fields.String(attribute="patient_phone")
    email = fields.String(attribute="patient_email", allow_none=True)
    message = fields.String(attribute="patient_message", allow_none=True)


class BookingSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"enum": [status.value for status in BookingStatus]})
    service_name = fields.String()
    clinic = fields.Nested(ClinicSummarySchema)
    doctor = fields.Nested(BookedDoctorSchema, allow_none=True)
    diagnostic = fields.Nested(BookedDiagnosticSchema, allow_none=True)
    starts_at = ClinicTime()
    ends_at = ClinicTime()
    patient = fields.Function(lambda booking: BookingPatientSchema().dump(booking),
                              metadata={"type": "object"})
    cancel_reason = fields.String(allow_none=True)
    cancelled_by = fields.String(allow_none=True)
    rescheduled_from_id = fields.Integer(allow_none=True)
    calendar_sequence = fields.Integer(attribute="ical_sequence")
    can_cancel = fields.Function(lambda booking: booking.can_cancel(clock.now()), metadata={
        "type": "boolean", "description": "The patient may still cancel it here (booked, outside the cutoff)."})
    can_move = fields.Function(lambda booking: booking.can_move(clock.now()), metadata={
        "type": "boolean", "description": "The patient may still reschedule it here."})
    actions = fields.Function(
        lambda booking: [action.value for action in booking.patient_actions(clock.now())],
        metadata={"type": "array", "items": {"type": "string", "enum": [action.value for action in PatientActions]},
                  "description": "What the patient may do with it now, in the order to offer them: `cancel` and "
                                 "`move` while they may change it, `calendar` (the .ics) while it is booked."})
    too_late_to_change = fields.Function(lambda booking: booking.too_late_to_change(clock.now()), metadata={
        "type": "boolean", "description": "Booked, but too close to the visit to change here: the patient calls the "
                                          "clinic (`CANCEL_CUTOFF`)."})


class BookingPageSchema(Schema):
    items = fields.List(fields.Nested(BookingSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


class ResultSchema(Schema):
    id = fields.Integer()
    booking_id = fields.Integer()
    title = fields.Function(results.title_of, metadata={
        "type": "string", "description": "The test's name, or a visit summary's title in the caller's language."})
    file_name = fields.String()
    content_type = fields.String()
    size_bytes = fields.Integer()
    created_at = fields.DateTime()


class ResultSentSchema(Schema):
    result_id = fields.Integer()
    status = fields.String(metadata={"example": "queued"})


class ResultPageSchema(Schema):
    items = fields.List(fields.Nested(ResultSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


# --- the compatible front end's booking body -----------------------------------------------------


class CompatBookingSchema(Schema):
    """POST /api/{doctors|diagnostics}/book_slot; ids may arrive as numbers or numeric strings."""

    class Meta:
        unknown = EXCLUDE

    location_id = NumericId(required=True, validate=DB_INT)
    booking_date_time = OffsetDateTime(required=True)
    user_name = Text(required=True, min_length=1, max_length=PATIENT_FIELD_LIMITS["first_name"])
    user_surname = Text(required=True, min_length=1, max_length=PATIENT_FIELD_LIMITS["last_name"])
    user_phone = Phone(required=True)
    user_email = EmailAddress(required=True, allow_none=True)
    user_message = Text(allow_none=True, max_length=PATIENT_FIELD_LIMITS["message"])

    @pre_load
    def _blank_email_is_none(self, data: Any, **kwargs: Any) -> Any:
        """The Mini App's form sends "" when the optional email is left empty."""
        if isinstance(data, dict) and data.get("user_email") == "":
            return {**data, "user_email": None}
        return data


class CompatDoctorBookingSchema(CompatBookingSchema):
    doctor_id = NumericId(required=True, validate=DB_INT)


class CompatDiagnosticBookingSchema(CompatBookingSchema):
    diagnostic_id = NumericId(required=True, validate=DB_INT)


class DataExportSchema(Schema):
    """A patient's data export: asked for (pending), built (ready: downloadable, and sent to their chat), or failed."""

    id = fields.Integer()
    status = fields.String(metadata={"enum": ["pending", "ready", "failed"]})
    requested_at = fields.DateTime()
    ready_at = fields.DateTime(allow_none=True)
    size_bytes = fields.Integer(allow_none=True)


class ErasureSchema(Schema):
    """What erasing the patient's data did, and what they are told was kept and why."""

    status = fields.String(metadata={"example": "erased"})
    cancelled = fields.Integer(metadata={"description": "Upcoming visits cancelled (their clinics told)."})
    anonymised = fields.Integer(metadata={"description": "Bookings kept for the clinics' records, without personal "
                                                         "fields."})
    results_deleted = fields.Integer()
    message = fields.String(metadata={"description": "What was erased, what was kept and why, in the caller's "
                                                     "language."})


class ToCallQuerySchema(QuerySchema):
    days = fields.Integer(load_default=60, validate=between(1, 366),
                          metadata={"description": "Visits from the clinic's today on, this many days ahead."})


class PatientToCallSchema(Schema):
    """A visit whose patient the front desk phones, and why."""

    reason = fields.String(metadata={
        "enum": ["cancelled_by_clinic", "reminder_due"],
        "description": "cancelled_by_clinic: the clinic cancelled the visit and no message reached the patient; "
                       "reminder_due: its reminder is due and the patient has no Telegram (booked by phone)."})
    booking_id = fields.Integer()
    doctor_id = fields.Integer(allow_none=True)
    diagnostic_id = fields.Integer(allow_none=True)
    starts_at = fields.DateTime(metadata={"description": "ISO 8601 in clinic time."})
    patient_first_name = fields.String()
    patient_last_name = fields.String()
    patient_phone = fields.String()
    cancel_reason = fields.String(allow_none=True, metadata={"description": "What the clinic said when cancelling."})
