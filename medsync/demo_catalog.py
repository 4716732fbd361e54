"""The demo catalog: read from demo_catalog.toml (shipped in this package), checked, turned into typed objects.

A mistake in the file is a CatalogError naming the file, the entry and the problem, e.g.
``demo_catalog.toml: doctors.olena-kovalenko.clinic: Unknown clinic 'kyiv'.`` A value is checked by the admin
API's own rules (medsync.catalog_fields: a 09:30 opening or a 25-minute appointment is fine in a file exactly when
the API takes it), plus what only a file can get wrong (references between its entries, keys); what the shipped
demo happens to contain (whole hours for the original front end) is tested in tests/foundation/test_demo_catalog.py.
"""
from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from medsync.catalog_fields import (
    LONG_TEXT, ClockTime, Minutes, PositivePrice, check_opening_day, known_currency, known_zone,
)
from medsync.languages import LANGUAGES, TRANSLATED
from medsync.services.photos import AVATAR_PATH

# ISO order: Monday = 1 … Sunday = 7, as WorkingHours.weekday stores them.
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SHIPPED_FILE = "demo_catalog.toml"


class CatalogError(ValueError):
    """The demo catalog file cannot be read or breaks a rule; the message names the file and each entry."""


def photo_url(kind: str, key: str) -> str:
    """The one rule for demo photos: the avatar this service draws for the key (same origin as the Mini App)."""
    return AVATAR_PATH.format(kind=kind, slug=key)


@dataclass(frozen=True)
class DemoHours:
    iso_weekday: int
    opens: time
    closes: time
    breaks: tuple[tuple[time, time], ...]


@dataclass(frozen=True)
class DemoClinic:
    key: str
    name: str
    address: str
    timezone: str
    currency: str  # ISO 4217: its doctors' and diagnostics' prices
    default_language: str  # its doctors' texts missing in a reader's language are shown in this one first
    hours: tuple[DemoHours, ...]  # days not listed are closed


@dataclass(frozen=True)
class DemoClosure:
    """Closed from first_day to last_day inclusive: every year, as (month, day), and then it may wrap over New Year;
    or once, as dates (a closure an admin recorded, as `catalog export` writes it)."""

    clinic: str
    first_day: tuple[int, int] | date
    last_day: tuple[int, int] | date
    reason: str | None = None

    @property
    def every_year(self) -> bool:
        return not isinstance(self.first_day, date)

    def days(self, year: int) -> tuple[date, date]:
        """The first and last day of the closure that begins in `year` (a closure of one year: its own days)."""
        if isinstance(self.first_day, date) and isinstance(self.last_day, date):
            return self.first_day, self.last_day
        last_year = year + 1 if self.last_day < self.first_day else year
        return date(year, *self.first_day), date(last_year, *self.last_day)


@dataclass(frozen=True)
class DemoSpecialty:
    key: str
    name: str
    name_translations: dict[str, str]  # language → text, as the *_translations columns


@dataclass(frozen=True)
class DemoRating:
    score: int
    comment: str


@dataclass(frozen=True)
class DemoRota:
    """Weekly hours from `valid_from` on: (ISO weekday, start, end), clinic-local."""

    valid_from: date
    weekly: tuple[tuple[int, time, time], ...]


@dataclass(frozen=True)
class DemoOverride:
    """A doctor's other hours on one day (none: a day off)."""

    day: date
    hours: tuple[tuple[time, time], ...]
    reason: str | None = None


@dataclass(frozen=True)
class DemoAbsence:
    first_day: date
    last_day: date
    reason: str | None = None


@dataclass(frozen=True)
class DemoTestHours:
    """A test at one clinic: its duration there (None: the test's) and its rotas (None: not named, left as stored)."""

    duration_minutes: int | None
    rotas: tuple[DemoRota, ...] | None


@dataclass(frozen=True)
class DemoDoctor:
    key: str
    full_name: str
    specialty: str
    clinic: str
    price: Decimal
    appointment_minutes: int
    experience: str | None
    certificates: str | None  # one per line
    services: str | None  # one per line
    bio: str | None
    ratings: tuple[DemoRating, ...]
    photo_url: str
    experience_translations: dict[str, str]
    services_translations: dict[str, str]
    bio_translations: dict[str, str]
    active: bool = True
    # The doctor's schedule; None: the file does not name it (what is stored stays), () : none.
    rotas: tuple[DemoRota, ...] | None = None
    overrides: tuple[DemoOverride, ...] | None = None
    absences: tuple[DemoAbsence, ...] | None = None


@dataclass(frozen=True)
class DemoDiagnostic:
    key: str
    name: str
    price: Decimal  # at the clinics without a price in `prices`
    prices: dict[str, Decimal]  # clinic key → the clinic's own price, in its currency
    duration_minutes: int
    clinics: tuple[str, ...]
    description: str | None
    photo_url: str
    name_translations: dict[str, str]
    description_translations: dict[str, str]
    at: dict[str, DemoTestHours] = field(default_factory=dict)  # clinic key → its hours and duration there


@dataclass(frozen=True)
class DemoCatalog:
    specialties: tuple[DemoSpecialty, ...]
    clinics: tuple[DemoClinic, ...]
    closures: tuple[DemoClosure, ...]
    doctors: tuple[DemoDoctor, ...]
    diagnostics: tuple[DemoDiagnostic, ...]


def load_demo_catalog(path: Path | None = None) -> DemoCatalog:
    """The catalog in `path` (default: the shipped demo_catalog.toml); raises CatalogError naming what is wrong."""
    source = resources.files("medsync").joinpath(SHIPPED_FILE) if path is None else path
    name = str(path) if path is not None else SHIPPED_FILE
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{name}: cannot be read: {exc}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # a key given twice is one of these
        raise CatalogError(f"{name}: {exc}{_quoted_line(text, str(exc))}") from None
    try:
        return CatalogSchema().load(document)
    except ValidationError as exc:
        problems = [f"{name}: {where}: {message}" for where, message in _flatten(exc.messages)]
        raise CatalogError("\n".join(problems)) from None


def _tuple_or_none(items: list[Any] | None) -> tuple[Any, ...] | None:
    return None if items is None else tuple(items)


def _quoted_line(text: str, error: str) -> str:
    """The line a TOML error points at, quoted, since the parser names only its number."""
    found = re.search(r"at line (\d+)", error)
    lines = text.splitlines()
    if found is None or not 0 < int(found[1]) <= len(lines):
        return ""
    return f": {lines[int(found[1]) - 1].strip()}"


def _flatten(messages: Any, path: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """marshmallow's nested messages as (dotted entry, message) pairs; a list's items are counted from 1."""
    if isinstance(messages, dict):
        found = []
        for key, nested in messages.items():
            if key == "value":  # a Dict field's value: the entry itself
                step = ()
            elif key == "key":
                step = ("(key)",)
            elif isinstance(key, int):
                step = (f"#{key + 1}",)
            else:
                step = (str(key),)
            found += _flatten(nested, path + step)
        return found
    if isinstance(messages, list) and all(isinstance(item, str) for item in messages):
        return [(".".join(path) or "(file)", message) for message in messages]
    return [(".".join(path) or "(file)", str(messages))]


# --- fields: each turns the file's text into the value the seed stores ----------------------------


def _key() -> fields.Str:
    return fields.Str(validate=[
        validate.Regexp(r"[a-z0-9]+(-[a-z0-9]+)*\Z",
                        error="A key is lowercase letters, digits and single dashes, e.g. 'olena-kovalenko'."),
        validate.Length(max=64),
    ])


def _text(max_length: int | None = None, *, required: bool = True) -> fields.Str:
    return fields.Str(required=required, validate=[validate.Length(min=1, max=max_length),
                                                   validate.Regexp(r"\s*\S", error="Must not be blank.")])


class Prose(fields.Str):
    """Text that may be wrapped over several lines in the file; line breaks and runs of spaces become one space."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        folded = " ".join(super()._deserialize(value, attr, data, **kwargs).split())
        if not folded:
            raise ValidationError("Must not be blank.")
        if len(folded) > LONG_TEXT:
            raise ValidationError(f"At most {LONG_TEXT} characters.")
        return folded


class Lines(fields.List):
    """A list of one-line texts, stored as one text with a line per item."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(_text(), **{"required": True, **kwargs})

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        items = super()._deserialize(value, attr, data, **kwargs)
        if not items:
            raise ValidationError("List at least one.")
        if any("\n" in item for item in items):
            raise ValidationError("One line per item.")
        return "\n".join(items)


class MonthDay(fields.Str):
    """"MM-DD", a day that comes every year (so not 29 February); or "YYYY-MM-DD", a day that comes once."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple[int, int] | date:
        text = super()._deserialize(value, attr, data, **kwargs)
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                raise ValidationError(f"{text!r} is not a date.") from None
        match = re.fullmatch(r"([0-9]{2})-([0-9]{2})", text)
        try:
            # 2025 has no 29 February: a closure that repeats every year needs its day in every year.
            day = date(2025, int(match[1]), int(match[2])) if match else None
        except ValueError:
            day = None
        if day is None:
            raise ValidationError(f"{text!r} is not a day of every year written as 'MM-DD', e.g. '12-31'.")
        return day.month, day.day


class Interval(fields.Str):
    """"09:00-13:00": a clinic-local start and end, each HH:MM as the admin API's."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple[time, time]:
        text = super()._deserialize(value, attr, data, **kwargs)
        parts = text.split("-")
        if len(parts) != 2:
            raise ValidationError(f"{text!r} is not an interval written as 'HH:MM-HH:MM', e.g. '09:00-13:00'.")
        clock = ClockTime()
        return clock.deserialize(parts[0].strip()), clock.deserialize(parts[1].strip())


# --- schemas: one per kind of entry ---------------------------------------------------------------


def translatable(texts: type[Schema]) -> type[Schema]:
    """A base for an entry whose texts (`texts`' fields, in English) may be given again under each translated
    language (`uk.name = "…"`); any of them may be missing there. Loaded as `<field>_translations` dicts."""
    by_language = Schema.from_dict(
        {language: fields.Nested(texts) for language in TRANSLATED}, name=f"Translated{texts.__name__}"
    )

    class Translatable(by_language):  # type: ignore[misc, valid-type]
        @post_load
        def _translations(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
            given = {language: data.pop(language) for language in TRANSLATED if language in data}
            for name in texts().fields:
                data[f"{name}_translations"] = {
                    language: item[name] for language, item in given.items() if name in item
                }
            return data

    return Translatable


class SpecialtyTexts(Schema):
    name = _text(120, required=False)


class DoctorTexts(Schema):
    experience = Prose()
    services = Lines(required=False)
    bio = Prose()


class DiagnosticTexts(Schema):
    name = _text(120, required=False)
    description = Prose()


class HoursSchema(Schema):
    opens = ClockTime(required=True)
    closes = ClockTime(required=True)
    breaks = fields.List(fields.List(ClockTime(), validate=validate.Length(equal=2, error="A break is [start, end].")),
                         load_default=list)

    @validates_schema
    def _inside_opening_hours(self, data: dict[str, Any], **_: Any) -> None:
        check_opening_day(data["opens"], data["closes"], [tuple(pause) for pause in data["breaks"]])

    @post_load
    def _in_order(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "breaks": tuple(tuple(pause) for pause in sorted(data["breaks"]))}


class ClinicSchema(Schema):
    name = _text(200)
    address = _text(300)
    timezone = fields.Str(required=True, validate=known_zone)
    currency = fields.Str(required=True, validate=known_currency)
    default_language = fields.Str(required=True, validate=validate.OneOf(
        LANGUAGES, error="Not one of the catalog languages ({choices}): {input}."))
    hours = fields.Dict(keys=fields.Str(validate=validate.OneOf(WEEKDAYS, error="Not a weekday: {input}.")),
                        values=fields.Nested(HoursSchema), required=True)

    @post_load
    def _weekly(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        days = sorted((WEEKDAYS.index(day) + 1, hours) for day, hours in data["hours"].items())
        data["hours"] = tuple(DemoHours(weekday, **hours) for weekday, hours in days)
        return data


class ClosureSchema(Schema):
    clinic = fields.Str(required=True)
    first_day = MonthDay(required=True)
    last_day = MonthDay(required=True)
    reason = _text(required=False)

    @validates_schema
    def _one_kind(self, data: dict[str, Any], **_: Any) -> None:
        first, last = data["first_day"], data["last_day"]
        if isinstance(first, date) != isinstance(last, date):
            raise ValidationError("Both days every year ('MM-DD') or both once ('YYYY-MM-DD').", "last_day")
        if isinstance(first, date) and last < first:
            raise ValidationError("The last day comes before the first.", "last_day")


class RotaSchema(Schema):
    valid_from = fields.Date(required=True)
    weekly = fields.Dict(keys=fields.Str(validate=validate.OneOf(WEEKDAYS, error="Not a weekday: {input}.")),
                         values=fields.List(Interval()), required=True)

    @post_load
    def _rota(self, data: dict[str, Any], **_: Any) -> DemoRota:
        weekly = sorted((WEEKDAYS.index(day) + 1, starts, ends) for day, items in data["weekly"].items()
                        for starts, ends in items)
        return DemoRota(data["valid_from"], tuple(weekly))


class OverrideSchema(Schema):
    day = fields.Date(required=True)
    hours = fields.List(Interval(), required=True, metadata={"description": "[]: a day off."})
    reason = _text(500, required=False)

    @post_load
    def _override(self, data: dict[str, Any], **_: Any) -> DemoOverride:
        return DemoOverride(data["day"], tuple(sorted(data["hours"])), data.get("reason"))


class AbsenceSchema(Schema):
    first_day = fields.Date(required=True)
    last_day = fields.Date(required=True)
    reason = _text(500, required=False)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data["last_day"] < data["first_day"]:
            raise ValidationError("Must not be before the first day.", "last_day")

    @post_load
    def _absence(self, data: dict[str, Any], **_: Any) -> DemoAbsence:
        return DemoAbsence(data["first_day"], data["last_day"], data.get("reason"))


class TestHoursSchema(Schema):
    # As the admin API's PUT …/clinics/{id}/diagnostics/{id}/hours.
    duration_minutes = fields.Int(strict=True, load_default=None, validate=validate.Range(
        min=1, max=24 * 60, error="Must be greater than or equal to {min} and less than or equal to {max}."))
    rotas = fields.List(fields.Nested(RotaSchema), load_default=None)

    @post_load
    def _hours(self, data: dict[str, Any], **_: Any) -> DemoTestHours:
        rotas = data["rotas"]
        return DemoTestHours(data["duration_minutes"], None if rotas is None else tuple(rotas))


class RatingSchema(Schema):
    score = fields.Int(required=True, strict=True, validate=validate.Range(1, 5, error="A score is 1 to 5."))
    comment = _text()

    @post_load
    def _rating(self, data: dict[str, Any], **_: Any) -> DemoRating:
        return DemoRating(**data)


class SpecialtySchema(translatable(SpecialtyTexts)):  # type: ignore[misc]
    name = _text(120)


class DoctorSchema(translatable(DoctorTexts)):  # type: ignore[misc]
    full_name = _text(200)
    specialty = fields.Str(required=True)
    clinic = fields.Str(required=True)
    price = PositivePrice(required=True)
    appointment_minutes = Minutes(required=True, strict=True)
    experience = Prose(load_default=None)
    certificates = Lines(required=False, load_default=None)
    services = Lines(required=False, load_default=None)
    bio = Prose(load_default=None)
    ratings = fields.List(fields.Nested(RatingSchema), load_default=list)
    active = fields.Bool(load_default=True, metadata={"description": "false: hidden from patients, bookings kept."})
    rotas = fields.List(fields.Nested(RotaSchema), load_default=None)
    overrides = fields.List(fields.Nested(OverrideSchema), load_default=None)
    absences = fields.List(fields.Nested(AbsenceSchema), load_default=None)
    photo = fields.Str(load_default=None, validate=validate.Regexp(
        r"(/app/photos/uploads/[0-9a-f]{64}-[0-9]+\.webp|https://\S+)\Z",
        error="A photo is an uploaded one ('/app/photos/uploads/…') or an https:// URL."))


class DiagnosticSchema(translatable(DiagnosticTexts)):  # type: ignore[misc]
    name = _text(120)
    price = PositivePrice(required=True)
    prices = fields.Dict(keys=fields.Str(), values=PositivePrice(), load_default=dict)
    duration_minutes = Minutes(required=True, strict=True)
    clinics = fields.List(fields.Str(), required=True, validate=validate.Length(min=1))
    at = fields.Dict(keys=fields.Str(), values=fields.Nested(TestHoursSchema), load_default=dict,
                     metadata={"description": "Clinic key → the test's duration and rotas there."})
    description = Prose(load_default=None)
    photo = fields.Str(load_default=None, validate=validate.Regexp(
        r"(/app/photos/uploads/[0-9a-f]{64}-[0-9]+\.webp|https://\S+)\Z",
        error="A photo is an uploaded one ('/app/photos/uploads/…') or an https:// URL."))


class CatalogSchema(Schema):
    specialties = fields.Dict(keys=_key(), values=fields.Nested(SpecialtySchema), required=True)
    clinics = fields.Dict(keys=_key(), values=fields.Nested(ClinicSchema), required=True)
    closures = fields.List(fields.Nested(ClosureSchema), load_default=list)
    doctors = fields.Dict(keys=_key(), values=fields.Nested(DoctorSchema), required=True)
    diagnostics = fields.Dict(keys=_key(), values=fields.Nested(DiagnosticSchema), required=True)

    @validates_schema
    def _references(self, data: dict[str, Any], **_: Any) -> None:
        """Every clinic and specialty named by another entry exists; names the database keeps unique are unique."""
        problems: dict[str, Any] = {}

        def refuse(*where: str | int, message: str) -> None:
            *parents, leaf = where
            node = problems
            for step in parents:
                node = node.setdefault(step, {})
            node.setdefault(leaf, []).append(message)

        clinics, specialties = data["clinics"], data["specialties"]
        for key, doctor in data["doctors"].items():
            if doctor["clinic"] not in clinics:
                refuse("doctors", key, "clinic", message=f"Unknown clinic {doctor['clinic']!r}.")
            if doctor["specialty"] not in specialties:
                refuse("doctors", key, "specialty", message=f"Unknown specialty {doctor['specialty']!r}.")
        for key, diagnostic in data["diagnostics"].items():
            for clinic in diagnostic["clinics"]:
                if clinic not in clinics:
                    refuse("diagnostics", key, "clinics", message=f"Unknown clinic {clinic!r}.")
            for clinic, count in Counter(diagnostic["clinics"]).items():
                if count > 1:
                    refuse("diagnostics", key, "clinics", message=f"{clinic!r} is listed {count} times.")
            for part in ("prices", "at"):
                for clinic in diagnostic[part]:
                    if clinic not in diagnostic["clinics"]:
                        refuse("diagnostics", key, part, message=f"{clinic!r} is not among the clinics offering it.")
        for number, closure in enumerate(data["closures"]):
            if closure["clinic"] not in clinics:
                refuse("closures", number, "clinic", message=f"Unknown clinic {closure['clinic']!r}.")
        for kind in ("specialties", "diagnostics"):
            # As the admin API: names differ regardless of case ("MRI" and "mri" are one name).
            names = Counter(item["name"].lower() for item in data[kind].values())
            for name, count in names.items():
                if count > 1:
                    refuse(kind, message=f"{count} entries are named {name!r}; names must differ.")
        if problems:
            raise ValidationError(problems)

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> DemoCatalog:
        return DemoCatalog(
            specialties=tuple(DemoSpecialty(key=key, **specialty) for key, specialty in data["specialties"].items()),
            clinics=tuple(DemoClinic(key=key, **clinic) for key, clinic in data["clinics"].items()),
            closures=tuple(DemoClosure(**closure) for closure in data["closures"]),
            doctors=tuple(
                DemoDoctor(key=key, **{**doctor, "ratings": tuple(doctor["ratings"]),
                                       **{part: _tuple_or_none(doctor[part]) for part in ("rotas", "overrides",
                                                                                          "absences")}},
                           photo_url=photo or photo_url("doctors", key))
                for key, doctor in data["doctors"].items() for photo in [doctor.pop("photo")]
            ),
            diagnostics=tuple(
                DemoDiagnostic(key=key, **{**diagnostic, "clinics": tuple(diagnostic["clinics"])},
                               photo_url=photo or photo_url("diagnostics", key))
                for key, diagnostic in data["diagnostics"].items() for photo in [diagnostic.pop("photo")]
            ),
        )
