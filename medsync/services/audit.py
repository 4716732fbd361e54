"""The audit trail: every change of the clinics' data (and every read worth knowing of), signed by who did it.

One function writes an entry, in the transaction of the change itself (a rolled-back change leaves no entry):
catalog and schedule edits, undone marks at the front desk, staff reads of a patient's results. `before` and
`after` hold the changed fields only, as JSON; never a patient's name, phone or notes (ids are enough).
"""
from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select

from medsync import clock
from medsync.extensions import db
from medsync.models import AuditEntry, StaffMember, StaffToken
from medsync.services.pagination import Page, paginate


def record(action: str, *, actor_id: str, object_type: str, object_id: int | None = None,
           clinic_id: int | None = None, before: Mapping[str, Any] | None = None,
           after: Mapping[str, Any] | None = None, now: datetime | None = None) -> AuditEntry:
    """Append one entry: `actor_id` ("staff:<id>", "staff-token:<id>", "cli") did `action` ("doctor.update",
    "result.read" …) to the object; `clinic_id` is whose admins see it (None: every clinic's)."""
    entry = new_entry(action, actor_id=actor_id, object_type=object_type, object_id=object_id, clinic_id=clinic_id,
                      before=before, after=after, now=now)
    db.session.add(entry)
    db.session.flush()
    return entry


def record_all(entries: Iterable[AuditEntry]) -> None:
    """Append several entries (made by `new_entry`) in one flush: one INSERT however many there are."""
    db.session.add_all(entries)
    db.session.flush()


def new_entry(action: str, *, actor_id: str, object_type: str, object_id: int | None = None,
              clinic_id: int | None = None, before: Mapping[str, Any] | None = None,
              after: Mapping[str, Any] | None = None, now: datetime | None = None) -> AuditEntry:
    """An entry as `record` writes it, not added yet (for `record_all`)."""
    return AuditEntry(
        at=now or clock.now(), actor_id=actor_id, action=action, object_type=object_type, object_id=object_id,
        clinic_id=clinic_id, before=_json(before), after=_json(after),
    )


def snapshot(row: object, fields: Iterable[str]) -> dict[str, Any]:
    """These attributes of a row, as the trail stores them (JSON: prices and times as text)."""
    return {field: _json_value(getattr(row, field)) for field in fields}


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields whose value differs, before and after (empty when nothing changed)."""
    before, after = _json(before) or {}, _json(after) or {}
    changed = [key for key in after if before.get(key) != after[key]]
    changed += [key for key in before if key not in after]
    return {key: before.get(key) for key in changed}, {key: after.get(key) for key in changed}


@dataclass(frozen=True)
class TrailEntry:
    """An entry as the trail is shown: with its actor's name."""

    id: int
    at: datetime
    actor_id: str
    actor_name: str | None
    action: str
    object_type: str
    object_id: int | None
    clinic_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def entries_page(*, clinic_ids: Collection[int] | None, object_type: str | None = None,
                 object_id: int | None = None, page: int = 1, per_page: int = 20) -> Page[TrailEntry]:
    """The trail newest first: entries of these clinics (None: every clinic) and the shared ones (no clinic)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if clinic_ids is not None:
        query = query.where(or_(AuditEntry.clinic_id.in_(list(clinic_ids)), AuditEntry.clinic_id.is_(None)))
    if object_type is not None:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == object_id)
    entries = paginate(query, page=page, per_page=per_page)
    names = actor_names(entry.actor_id for entry in entries.items)
    return replace(entries, items=[
        TrailEntry(entry.id, entry.at, entry.actor_id, names.get(entry.actor_id), entry.action, entry.object_type,
                   entry.object_id, entry.clinic_id, entry.before, entry.after)
        for entry in entries.items
    ])


def actor_names(actor_ids: Iterable[str]) -> dict[str, str]:
    """How the trail's actors are shown: a staff member's name, a token's label; by id, two queries at most."""
    members: set[int] = set()
    tokens: set[int] = set()
    for actor_id in actor_ids:
        kind, _, number = actor_id.partition(":")
        if number.isdigit() and kind == "staff":
            members.add(int(number))
        elif number.isdigit() and kind == "staff-token":
            tokens.add(int(number))
    names: dict[str, str] = {}
    if members:
        for member_id, name in db.session.execute(
                select(StaffMember.id, StaffMember.name).where(StaffMember.id.in_(members))):
            names[f"staff:{member_id}"] = name or f"#{member_id}"
    if tokens:
        for token_id, name in db.session.execute(
                select(StaffToken.id, StaffToken.name).where(StaffToken.id.in_(tokens))):
            names[f"staff-token:{token_id}"] = name
    return names


def _json(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if values is None else {str(key): _json_value(value) for key, value in values.items()}


def _json_value(value: Any) -> Any:
    """JSON for what a row holds: Decimal prices and times as text (exact), sets as sorted lists."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(_json_value(item) for item in value)
    if isinstance(value, (list, tuple)):
        return [_json_value(item) for item in value]
    return value
