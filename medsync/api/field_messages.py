"""marshmallow's (and webargs') own messages for a refused field, in the catalog.

A field error leaves the API through medsync.http_errors, which reads every message in the caller's language: our
schemas' messages are translated where they are written (medsync.api.schemas), and these — marshmallow's, as it
words them — are found in the catalog by their English text. tests/i18n/test_field_messages.py holds this list to
every message our schemas can give.
"""
from __future__ import annotations

from medsync.i18n import N_

MARSHMALLOW_MESSAGES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Invalid input type."),
    N_("Unknown field."),
    N_("Invalid type."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid boolean."),
    N_("Not a valid email address."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid time."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("Not a valid URL."),
    N_("Not a valid UUID."),
    N_("Not a valid tuple."),
    N_("Invalid JSON body."),
)
