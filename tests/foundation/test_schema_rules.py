"""The rules the database enforces are the ones the code defines: each is written once in Python and the
migrated schema is checked against it here."""
from __future__ import annotations

import itertools
import re

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from medsync.extensions import db
from medsync.languages import LANGUAGES, TRANSLATED
from medsync.models import (
    ACTIVE_STATUSES, ALLOWED_TRANSITIONS, PATIENT_FIELD_LIMITS, Actor, Booking, BookingStatus, GroupEventKind,
    MessageKind, MessageStatus, StaffRole,
)
from medsync.models.booking import UNDO_TRANSITIONS
from medsync.models.outbox import BOOKING_KINDS, PATIENT_KINDS
from medsync.api.schemas import CompatDoctorBookingSchema, PatientSchema

VALUE_LISTS = {
    "ck_bookings_status_known": BookingStatus,
    "ck_bookings_cancelled_by_known": Actor,
    "ck_booking_events_actor_known": Actor,
    "ck_outbox_messages_kind_known": MessageKind,
    "ck_outbox_messages_status_known": MessageStatus,
    "ck_outbox_messages_booking_kind_has_booking": BOOKING_KINDS,
    "ck_staff_members_role_known": StaffRole,
    "ck_staff_group_events_kind_known": GroupEventKind,
}
# The conditions of migration 0003's triggers: which rows are news for a clinic's staff group.
TRIGGER_LISTS = {
    # A message to a patient given up on (not a staff notice, nor a digest the group itself could not take).
    ("staff_group_event_from_failed_delivery", "new.kind"): PATIENT_KINDS,
    # A booking's audit events that are group events of the same name.
    ("staff_group_event_from_booking_event", "new.action"): (GroupEventKind.BOOKED, GroupEventKind.CANCELLED),
}


def constraint_values(name: str) -> set[str]:
    definition = db.session.scalar(
        text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = :name"), {"name": name}
    )
    assert definition is not None, f"{name} is not in the migrated schema"
    return set(re.findall(r"'([a-z_]+)'", definition))


@pytest.mark.parametrize("constraint", sorted(VALUE_LISTS))
def test_check_constraints_list_exactly_the_enum_values(app_context, constraint):
    assert constraint_values(constraint) == {member.value for member in VALUE_LISTS[constraint]}


def trigger_values(name: str, column: str) -> set[str]:
    definition = db.session.scalar(text("SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = :name"),
                                   {"name": name})
    assert definition is not None, f"{name} is not in the migrated schema"
    condition = re.search(rf"\({re.escape(column)}\)::text = ANY \(\(ARRAY\[([^]]*)\]", definition)
    assert condition is not None, f"{name} does not test {column} against a list: {definition}"
    return set(re.findall(r"'([a-z_]+)'", condition.group(1)))


@pytest.mark.parametrize(("trigger", "column"), sorted(TRIGGER_LISTS))
def test_the_staff_group_triggers_list_exactly_the_kinds_the_code_names(app_context, trigger, column):
    assert trigger_values(trigger, column) == {member.value for member in TRIGGER_LISTS[(trigger, column)]}


@pytest.mark.parametrize("constraint", ["ex_bookings_doctor_overlap", "ex_bookings_diagnostic_overlap",
                                        "ex_bookings_patient_overlap"])
def test_the_exclusion_constraints_hold_exactly_the_active_statuses(app_context, constraint):
    assert constraint_values(constraint) == {status.value for status in ACTIVE_STATUSES}


@pytest.mark.parametrize(("index", "service"), [
    ("ex_bookings_doctor_overlap", "doctor_id"), ("ix_bookings_doctor_starts", "doctor_id"),
    ("ex_bookings_diagnostic_overlap", "diagnostic_id"), ("ix_bookings_diagnostic_clinic_starts", "diagnostic_id"),
])
def test_a_booking_is_indexed_only_on_its_own_services_side(app_context, index, service):
    predicate = db.session.scalar(text(
        "SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = CAST(:index AS regclass)"
    ), {"index": index})
    assert f"{service} IS NOT NULL" in (predicate or "")


@pytest.mark.parametrize("undoing", [False, True], ids=["forward", "stamping undone_at"])
def test_the_database_allows_exactly_the_status_moves_the_code_allows(app_context, make_booking, undoing):
    """Forward moves always; a mark taken back only by an UPDATE that stamps `undone_at` (as the undo does)."""
    booking_id = make_booking().id
    allowed_by_database = set()
    for old, new in itertools.permutations(BookingStatus, 2):
        with db.session.begin_nested():
            # Put the booking in `old` behind the trigger's back (as a superuser may), then try the move.
            db.session.execute(text("SET LOCAL session_replication_role = replica"))
            _set_status(booking_id, old)
            db.session.execute(text("SET LOCAL session_replication_role = origin"))
            try:
                with db.session.begin_nested():
                    _set_status(booking_id, new, undoing=undoing)
                allowed_by_database.add((old, new))
            except IntegrityError as exc:
                assert "booking_status_forward_only" in str(exc.orig)
    db.session.rollback()

    moves = {**ALLOWED_TRANSITIONS}
    if undoing:
        moves = {status: moves[status] | UNDO_TRANSITIONS.get(status, frozenset()) for status in moves}
    allowed_by_code = {(old, new) for old, targets in moves.items() for new in targets}
    assert allowed_by_database == allowed_by_code


def _set_status(booking_id: int, status: BookingStatus, *, undoing: bool = False) -> None:
    cancelled_by = Actor.STAFF.value if status is BookingStatus.CANCELLED else None
    undone = ", undone_at = clock_timestamp()" if undoing else ""
    db.session.execute(
        text(f"UPDATE bookings SET status = :status, cancelled_by = :by{undone} WHERE id = :id"),
        {"status": status.value, "by": cancelled_by, "id": booking_id},
    )


@pytest.mark.parametrize(("field", "column"), [
    ("first_name", "patient_first_name"), ("last_name", "patient_last_name"), ("phone", "patient_phone"),
    ("email", "patient_email"),
])
def test_patient_field_limits_are_the_columns_sizes(field, column):
    assert Booking.__table__.c[column].type.length == PATIENT_FIELD_LIMITS[field]


@pytest.mark.parametrize(("schema", "field", "limit"), [
    (PatientSchema, "first_name", "first_name"), (PatientSchema, "last_name", "last_name"),
    (PatientSchema, "message", "message"), (CompatDoctorBookingSchema, "user_name", "first_name"),
    (CompatDoctorBookingSchema, "user_surname", "last_name"), (CompatDoctorBookingSchema, "user_message", "message"),
])
def test_every_booking_schema_refuses_one_character_over_the_limit(schema, field, limit):
    too_long = "a" * (PATIENT_FIELD_LIMITS[limit] + 1)
    errors = schema().validate({field: too_long}, partial=True)
    assert field in errors
    assert field not in schema().validate({field: too_long[:-1]}, partial=True)


def test_a_clinics_default_language_is_one_of_the_catalog_languages(app_context):
    assert constraint_values("ck_clinics_default_language_known") == set(LANGUAGES)


@pytest.mark.parametrize("constraint", [
    "ck_specialties_name_translations_valid", "ck_diagnostic_types_name_translations_valid",
    "ck_diagnostic_types_description_translations_valid", "ck_doctors_bio_translations_valid",
    "ck_doctors_experience_translations_valid", "ck_doctors_services_translations_valid",
])
def test_translations_are_kept_under_exactly_the_translated_languages(app_context, constraint):
    definition = db.session.scalar(
        text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = :name"), {"name": constraint}
    )
    languages = re.search(r"ARRAY\[([^]]*)\]", definition)
    assert languages is not None, definition
    assert set(re.findall(r"'([a-z]+)'", languages.group(1))) == set(TRANSLATED)
