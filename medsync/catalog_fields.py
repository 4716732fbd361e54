"""What a catalog value must be, wherever it comes from: the admin API's schemas (medsync.api.admin_schemas) and a
catalog file (medsync.demo_catalog, `catalog import`) both build their fields from these, so a clinic's file is
accepted exactly when the API would accept the same values (a 09:30 opening, a 25-minute appointment), and refused
with the API's words. Marshmallow fields and validators only; nothing here reads the database."""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import time
from typing import Any
from zoneinfo import available_timezones

from babel.numbers import is_currency
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate

ZONES = frozenset(available_timezones())
LONG_TEXT = 5000
SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
SHORTEST_MINUTES, LONGEST_MINUTES = 5, 480
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


def known_zone(value: str) -> None:
    if value not in ZONES:
        raise ValidationError(_("Not a time zone we know (an IANA name such as Europe/Kyiv)."))


def known_currency(value: str) -> None:
    if not re.fullmatch(r"[A-Z]{3}", value) or not is_currency(value):
        raise ValidationError(_("Not an ISO 4217 currency code (such as UAH, EUR, PLN)."))


def PositivePrice(**kwargs: Any) -> fields.Decimal:  # noqa: N802 - reads like a field class
    """A price in the clinic's currency, more than 0, two decimals (a JSON number, or text such as "600.00")."""
    # Float bounds: the OpenAPI document states them as numbers (a Decimal's would be written as text).
    return fields.Decimal(places=2, validate=validate.Range(
        min=0, min_inclusive=False, max=99999999.99, error=_l("Must be more than 0.")),
        metadata={"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 99999999.99,
                  "description": "In the clinic's currency; more than 0."}, **kwargs)


def Minutes(**kwargs: Any) -> fields.Integer:  # noqa: N802 - reads like a field class
    """An appointment's or a test's length in minutes."""
    return fields.Integer(validate=validate.Range(
        min=SHORTEST_MINUTES, max=LONGEST_MINUTES,
        error=_l("Must be greater than or equal to {min} and less than or equal to {max}.")), **kwargs)


class ClockTime(fields.String):
    """A clinic-local time of day, "HH:MM"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(metadata={"pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "09:00"}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not _CLOCK.fullmatch(text):
            raise ValidationError(_("A time of day as HH:MM, such as 09:00."))
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else value.strftime("%H:%M")


def check_opening_day(opens: time, closes: time, breaks: Sequence[tuple[time, time]]) -> None:
    """A clinic's day: it closes after it opens; its breaks lie inside, in order, without overlapping. A refusal
    names its field (`closes` or `breaks`)."""
    if closes <= opens:
        raise ValidationError(_("Closes before it opens."), field_name="closes")
    previous_end = opens
    for starts, ends in sorted(breaks):
        if ends <= starts or starts < previous_end or ends > closes:
            raise ValidationError(_("Breaks must lie within the opening hours, in order, without overlapping."),
                                  field_name="breaks")
        previous_end = ends
