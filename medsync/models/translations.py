"""Translations of a catalog text: a JSONB `{language: text}` beside the English column (see medsync.languages).

JSONB on the row rather than a translations table: every read of a catalog row (the catalog snapshot, a
booking's service in a chat message) has its translations without another query or join, and a clinic admin
still edits one language alone (`row.bio_translations["pl"] = …`, tracked as a change by MutableDict). The
database keeps each value an object of non-blank texts under the translated languages only.
"""
from __future__ import annotations

from sqlalchemy import CheckConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import MappedColumn, mapped_column

from medsync.languages import TRANSLATED


def translations_column() -> MappedColumn:
    return mapped_column(MutableDict.as_mutable(JSONB), default=dict, server_default=text("'{}'::jsonb"))


def translations_check(column: str) -> CheckConstraint:
    """Refuses anything but an object whose keys are translated languages and whose values are non-blank texts."""
    return CheckConstraint(translations_rule(column), name=f"{column}_valid")


def translations_rule(column: str) -> str:
    languages = ", ".join(f"'{language}'" for language in TRANSLATED)
    return (
        f"CASE WHEN jsonb_typeof({column}) = 'object' "
        f"THEN ({column} - ARRAY[{languages}]) = '{{}}'::jsonb "
        f"AND NOT jsonb_path_exists({column}, '$.* ? (@.type() != \"string\" || !(@ like_regex \"[^[:space:]]\"))') "
        "ELSE false END"
    )
