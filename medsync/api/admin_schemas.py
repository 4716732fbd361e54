"""Marshmallow schemas of the admin API: what a clinic admin sends (each bad value a 422 naming its field) and the
catalog rows as they edit them (English texts beside their translations, the version to send back in If-Match)."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from medsync.api.schemas import DB_INT, PaginationSchema, Text, between, length_between, one_of
from medsync.catalog_fields import (
    LONG_TEXT, SLUG, ClockTime, Minutes, PositivePrice, check_opening_day, known_currency, known_zone,
)
from medsync.api.urls import photo_url
from medsync.languages import LANGUAGES, TRANSLATED
from medsync.services.catalog_editing import OpeningHours, opening_hours
from medsync.services.photos import photo_or_avatar


def Translations() -> fields.Dict:  # noqa: N802 - reads like a field class
    """{language: text} for the translated languages; null removes a language, others stay as they are."""
    return fields.Dict(
        keys=fields.String(validate=one_of(list(TRANSLATED))),
        values=Text(min_length=1, max_length=LONG_TEXT, allow_none=True),
        metadata={"description": f"Texts in {', '.join(TRANSLATED)} (English is the field itself); null removes "
                                 "one language, the others stay."},
    )


class BreakTimeSchema(Schema):
    starts = ClockTime(required=True)
    ends = ClockTime(required=True)


class OpeningDaySchema(Schema):
    """A clinic's opening hours on one ISO weekday (1 = Monday), with its breaks."""

    weekday = fields.Integer(required=True, validate=between(1, 7))
    opens = ClockTime(required=True)
    closes = ClockTime(required=True)
    breaks = fields.List(fields.Nested(BreakTimeSchema), load_default=list)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_kwargs: Any) -> None:
        check_opening_day(data["opens"], data["closes"], [(item["starts"], item["ends"]) for item in data["breaks"]])

    @post_load
    def _hours(self, data: dict[str, Any], **_kwargs: Any) -> OpeningHours:
        breaks = tuple(sorted((item["starts"], item["ends"]) for item in data["breaks"]))
        return OpeningHours(data["weekday"], data["opens"], data["closes"], breaks)


class ClinicWriteSchema(Schema):
    slug = fields.String(validate=[validate.Regexp(SLUG), length_between(1, 64)])
    name = Text(required=True, min_length=1, max_length=200)
    address = Text(required=True, min_length=1, max_length=300)
    timezone = fields.String(required=True, validate=known_zone, metadata={"example": "Europe/Kyiv"})
    currency = fields.String(required=True, validate=known_currency, metadata={"example": "UAH"})
    default_language = fields.String(validate=one_of(list(LANGUAGES)))
    hours = fields.List(fields.Nested(OpeningDaySchema), metadata={"description": "The whole week: closed days absent."})

    @validates_schema
    def _one_day_each(self, data: dict[str, Any], **_kwargs: Any) -> None:
        weekdays = [day.weekday for day in data.get("hours", ())]
        if len(weekdays) != len(set(weekdays)):
            raise ValidationError(_("Each weekday at most once."), field_name="hours")


class SpecialtyWriteSchema(Schema):
    slug = fields.String(validate=[validate.Regexp(SLUG), length_between(1, 64)])
    name = Text(required=True, min_length=1, max_length=120)
    name_translations = Translations()


class DoctorWriteSchema(Schema):
    slug = fields.String(validate=[validate.Regexp(SLUG), length_between(1, 64)])
    clinic_id = fields.Integer(required=True, validate=DB_INT)
    specialty_id = fields.Integer(required=True, validate=DB_INT)
    full_name = Text(required=True, min_length=1, max_length=200)
    price = PositivePrice(required=True)
    appointment_minutes = Minutes(required=True)
    bio = Text(max_length=LONG_TEXT, allow_none=True)
    bio_translations = Translations()
    experience = Text(max_length=LONG_TEXT, allow_none=True)
    experience_translations = Translations()
    certificates = Text(max_length=LONG_TEXT, allow_none=True)
    services = Text(max_length=LONG_TEXT, allow_none=True, metadata={"description": "One service per line."})
    services_translations = Translations()


class DoctorPatchSchema(DoctorWriteSchema):
    active = fields.Boolean(metadata={"description": "false: hidden from the catalog and from booking; the doctor's "
                                                     "bookings stay."})


class DiagnosticWriteSchema(Schema):
    slug = fields.String(validate=[validate.Regexp(SLUG), length_between(1, 64)])
    name = Text(required=True, min_length=1, max_length=120)
    name_translations = Translations()
    description = Text(max_length=LONG_TEXT, allow_none=True)
    description_translations = Translations()
    price = PositivePrice(required=True)
    duration_minutes = Minutes(required=True)
    clinic_ids = fields.List(fields.Integer(validate=DB_INT), required=True, validate=length_between(1, 1000),
                             metadata={"description": "The clinics offering it."})


class PhotoUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "JPEG, PNG or WebP (by content), at most 5 MB."})


def patch_of(schema: type[Schema]) -> Schema:
    """The schema of a PATCH: every field optional, but the days, breaks … inside a field stay whole. A class of its
    own, so the OpenAPI document names it apart from the POST's ("DoctorPatchPatch" beside "DoctorPatch")."""
    patch = type(f"{schema.__name__.removesuffix('Schema')}PatchSchema", (schema,), {})
    return patch(partial=tuple(name for name, field in schema().fields.items() if field.required))


class IfMatchSchema(Schema):
    """The version the client edited (its ETag); older than the row's → 412."""

    if_match = fields.String(data_key="If-Match", load_default=None, metadata={"example": '"3"'})


# --- what the admin sees -------------------------------------------------------------------------------------


def Price() -> fields.Float:  # noqa: N802 - reads like a field class
    return fields.Float(metadata={"description": "In the clinic's currency."})


class ClinicAdminSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    version = fields.Integer(metadata={"description": "Send it back as If-Match to edit this version."})
    name = fields.String()
    address = fields.String()
    timezone = fields.String()
    currency = fields.String()
    default_language = fields.String()
    hours = fields.Function(lambda clinic: OpeningDaySchema(many=True).dump(_hours_of(clinic)),
                            metadata={"type": "array", "items": {"type": "object"}})


class AffectedVisitSchema(Schema):
    booking_id = fields.Integer()
    starts_at = fields.DateTime(metadata={"description": "ISO 8601 in clinic time."})
    doctor_id = fields.Integer(allow_none=True)
    diagnostic_id = fields.Integer(allow_none=True)
    patient_name = fields.String()
    messaged = fields.Boolean(metadata={"description": "The patient is told in the chat; false: to be called."})


class ClinicEditSchema(ClinicWriteSchema):
    """A clinic's change: its new opening hours may take time from booked visits (as a doctor's hours do)."""

    dry_run = fields.Boolean(load_default=False, metadata={
        "description": "Only say which visits the new hours would cancel; nothing is written."})
    reason = Text(load_default=None, allow_none=True, max_length=500, metadata={
        "description": "Why, for the patients whose visits the new hours cancel."})


class ClinicChangeSchema(ClinicAdminSchema):
    affected = fields.List(fields.Integer(), metadata={
        "description": "Visits outside the new opening hours, cancelled by the clinic (or, in a dry run, that would "
                       "be); [] when the hours were not changed."})
    visits = fields.List(fields.Nested(AffectedVisitSchema), metadata={"description": "The same, described."})


def _hours_of(clinic: Any) -> list[dict[str, Any]]:
    return [{"weekday": day.weekday, "opens": day.opens, "closes": day.closes,
             "breaks": [{"starts": start, "ends": end} for start, end in day.breaks]} for day in opening_hours(clinic)]


class SpecialtyAdminSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    version = fields.Integer()
    name = fields.String()
    name_translations = fields.Dict(keys=fields.String(), values=fields.String())


class DoctorAdminSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    version = fields.Integer(metadata={"description": "Send it back as If-Match to edit this version."})
    active = fields.Boolean()
    clinic_id = fields.Integer()
    specialty_id = fields.Integer()
    full_name = fields.String()
    price = Price()
    appointment_minutes = fields.Integer()
    photo_url = fields.Function(
        lambda doctor: photo_url(photo_or_avatar(doctor.photo_url, kind="doctors", slug=doctor.slug)),
        metadata={"type": "string", "format": "uri"})
    has_photo = fields.Function(lambda doctor: doctor.photo_url is not None, metadata={"type": "boolean"})
    bio = fields.String(allow_none=True)
    bio_translations = fields.Dict(keys=fields.String(), values=fields.String())
    experience = fields.String(allow_none=True)
    experience_translations = fields.Dict(keys=fields.String(), values=fields.String())
    certificates = fields.String(allow_none=True)
    services = fields.String(allow_none=True)
    services_translations = fields.Dict(keys=fields.String(), values=fields.String())


class DoctorAdminPageSchema(Schema):
    items = fields.List(fields.Nested(DoctorAdminSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


class DiagnosticAdminSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    version = fields.Integer()
    name = fields.String()
    name_translations = fields.Dict(keys=fields.String(), values=fields.String())
    description = fields.String(allow_none=True)
    description_translations = fields.Dict(keys=fields.String(), values=fields.String())
    price = Price()
    duration_minutes = fields.Integer()
    clinic_ids = fields.Function(lambda diagnostic: [clinic.id for clinic in diagnostic.clinics],
                                 metadata={"type": "array", "items": {"type": "integer"}})
