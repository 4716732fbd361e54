"""Every message a refused field can get is in the catalog: marshmallow's own (medsync.api.field_messages), and our
validators' (gettext'ed where they are written). A marshmallow upgrade that words a message anew fails here."""
from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from pathlib import Path

from babel.messages.pofile import read_po
from marshmallow import Schema, fields, validate

from medsync.api import language, schemas, staff
from medsync.api.field_messages import MARSHMALLOW_MESSAGES
from medsync.i18n import CATALOGS

ROOT = Path(__file__).resolve().parents[2]


def our_schemas() -> list[type[Schema]]:
    return [member for module in (schemas, staff, language) for _, member in inspect.getmembers(module, inspect.isclass)
            if issubclass(member, Schema) and member.__module__ == module.__name__]


def fields_of(schema: Schema) -> Iterator[fields.Field]:
    for field in schema.fields.values():
        yield from _with_inner(field)


def _with_inner(field: fields.Field) -> Iterator[fields.Field]:
    yield field
    if isinstance(field, fields.Nested):
        yield from fields_of(field.schema)
    if isinstance(field, fields.List):
        yield from _with_inner(field.inner)


def test_every_message_marshmallow_can_give_for_our_fields_is_in_the_catalog():
    said = set()
    for schema_class in our_schemas():
        schema = schema_class()
        said |= {schema.error_messages["type"], schema.error_messages["unknown"]}
        for field in fields_of(schema):
            for key, message in field.error_messages.items():
                if key == "format":  # "cannot be formatted": a dump's, never a request's
                    continue
                if key == "invalid_awareness" and not isinstance(field, (fields.AwareDateTime, fields.NaiveDateTime)):
                    continue  # only a field that asks for an offset (or none) refuses one
                said.add(message.format(obj_type=getattr(field, "OBJ_TYPE", ""),
                                        awareness=getattr(field, "AWARENESS", ""), input=""))
    with (CATALOGS / "messages.pot").open("rb") as template:
        catalog = {message.id for message in read_po(template)}

    assert said - catalog == set()
    assert set(MARSHMALLOW_MESSAGES) <= catalog


def test_every_validator_of_our_fields_words_its_refusal_through_gettext():
    worded_by_marshmallow = [
        f"{schema_class.__name__}.{field.name}: {type(validator).__name__}"
        for schema_class in our_schemas() for field in fields_of(schema_class())
        for validator in field.validators
        if isinstance(validator, validate.Validator) and isinstance(getattr(validator, "error", None), (str, type(None)))
        and not isinstance(field, fields.Email)  # its own message, from error_messages (checked above)
    ]
    assert worded_by_marshmallow == []


def test_no_gettext_call_hides_in_an_f_string():
    """pybabel does not look inside f-strings: a text translated there never reaches the catalog."""
    hidden = [f"{path.relative_to(ROOT)}:{number}" for directory in ("medsync", "workers")
              for path in (ROOT / directory).rglob("*.py")
              for number, line in enumerate(path.read_text().splitlines(), 1)
              if re.search(r"""\bf["'].*\{\s*(_|_l|gettext|ngettext|pgettext|lazy_gettext)\(""", line)]
    assert hidden == []
