"""Every hot query reads what it needs through an index, however many years of bookings lie behind it.

Each test calls the service function the app calls and undoes what it wrote; just before each statement it sends
(SQLAlchemy's `before_cursor_execute`), PostgreSQL EXPLAIN ANALYZEs it with its own parameters and undoes that too,
on a clinic with a long past: thousands of visits of the same doctor, test, patient and clinic, and months ahead
booked around the clock, with their messages, audit events and staff group events. Sequential scans are switched
off (`enable_seqscan = off`), so one left in a plan means no index can serve the query. A full index scan, or an
index that narrows only part of the way, passes that check and still reads the whole history; so no scan of a big
table may read more than READ_BUDGET rows either. Prepared statements are planned generically, as a long-lived
connection may come to plan them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, update

from medsync import clock
from medsync.bot.staff import texts
from medsync.extensions import db
from medsync.models import (
    Clinic, DiagnosticType, Doctor, MessageStatus, OutboxMessage, Patient, StaffMember, StaffRole, User,
)
from medsync.services import (
    availability, bookings, clinic_day, delivery, maintenance, patient_search, reminders, staff_accounts, staff_agenda,
    staff_groups,
)
from tests.conftest import next_local_slot
from tests.support.statements import each_statement

BIG_TABLES = {"bookings", "outbox_messages", "booking_events", "staff_group_events", "patients"}
HISTORY = 1500  # hourly visits of the doctor, of the test and of another doctor, each with two messages and events
READ_BUDGET = 300  # rows one scan of a big table may read: the day's and the patient's own, not the history
STAFF_GROUP_CHAT = -1001234567890


@dataclass(frozen=True)
class Network:
    """A clinic with a long past and months booked ahead, another clinic, and the live rows of these days."""

    clinic: Clinic
    doctor: Doctor
    diagnostic: DiagnosticType
    patient: User  # a few bookings of their own
    regular: User  # a patient of years: every one of the test's past visits is theirs
    desk: StaffMember  # the clinic's admin, who made a group chat its staff group

    @property
    def today(self) -> date:
        return clock.now().astimezone(self.clinic.zone).date()


@dataclass(frozen=True)
class Scan:
    statement: str
    node: dict[str, Any]

    @property
    def rows_read(self) -> float:
        per_loop = (self.node["Actual Rows"] + self.node.get("Rows Removed by Filter", 0)
                    + self.node.get("Rows Removed by Index Recheck", 0))
        return per_loop * self.node["Actual Loops"]

    def __str__(self) -> str:
        index = f" using {self.node['Index Name']}" if "Index Name" in self.node else ""
        return (f"{self.node['Node Type']} on {self.node['Relation Name']}{index} read {self.rows_read:.0f} rows "
                f"in: {' '.join(self.statement.split())[:300]}")


@pytest.fixture
def years_of_bookings(frozen_now, make_clinic, make_doctor, make_diagnostic, make_user, make_booking) -> Network:
    clinic, elsewhere = make_clinic(), make_clinic(timezone_name="Asia/Almaty")
    doctor, colleague = make_doctor(clinic=clinic), make_doctor(clinic=clinic)
    diagnostic = make_diagnostic(clinics=[clinic])
    patient, regular, desk = make_user(), make_user(), _staff_member(make_user(), clinic)
    for days_ahead, hour, user in ((0, 10, None), (0, 11, None), (1, 10, patient), (3, 15, patient), (2, 12, regular)):
        make_booking(user=user, doctor=doctor, starts_at=next_local_slot(clinic, days_ahead=days_ahead, hour=hour))
    make_booking(doctor=make_doctor(clinic=elsewhere), starts_at=next_local_slot(elsewhere, days_ahead=0, hour=15))
    now = clock.now()
    _insert_visits(clinic.id, now - timedelta(days=30), doctor_id=doctor.id)
    _insert_visits(clinic.id, now - timedelta(days=30, minutes=30), diagnostic_id=diagnostic.id,
                   user_id=regular.telegram_id)
    # The months ahead are booked too: a colleague's, around the clock.
    _insert_visits(clinic.id, now + timedelta(days=60), doctor_id=colleague.id)
    # Never committed: the test's rollback takes the history away at once (deleting it would take seconds).
    # ANALYZE counts the transaction's own rows.
    db.session.execute(text(f"ANALYZE {', '.join(sorted(BIG_TABLES))}"))
    return Network(clinic, doctor, diagnostic, patient, regular, desk)


def _insert_visits(clinic_id: int, last_ends: datetime, *, doctor_id: int | None = None,
                   diagnostic_id: int | None = None, user_id: int | None = None) -> None:
    """HISTORY hourly visits, the last ending at `last_ends`, the patient's or each its own patient's, with what a
    visit leaves behind (set-based): those over are fulfilled, missed or cancelled, the others booked."""
    values = {"clinic_id": clinic_id, "doctor_id": doctor_id, "diagnostic_id": diagnostic_id, "last_ends": last_ends,
              "count": HISTORY, "now": clock.now(), "user_id": user_id,
              "first_user": 900_000_000 + (doctor_id or 0) * 10_000 + (diagnostic_id or 0) * 1_000_000}
    db.session.execute(text(
        "INSERT INTO users (telegram_id, first_name) SELECT :first_user + n, 'Past' FROM generate_series(1, :count) n"
    ), values)
    db.session.execute(text("""
        INSERT INTO patients (user_id, first_name, last_name, phone)
        SELECT coalesce(CAST(:user_id AS bigint), :first_user + n), 'Past', 'Patient', '+38050' || lpad(n::text, 7, '0')
        FROM generate_series(1, :count) n
        ON CONFLICT (user_id) DO NOTHING
    """), values)
    db.session.execute(text("""
        INSERT INTO bookings (patient_id, user_id, clinic_id, doctor_id, diagnostic_id, starts_at, ends_at, status,
                              cancelled_by, patient_first_name, patient_last_name, patient_phone, ical_uid)
        SELECT (SELECT id FROM patients WHERE user_id = coalesce(CAST(:user_id AS bigint), :first_user + n)),
               coalesce(CAST(:user_id AS bigint), :first_user + n), :clinic_id, :doctor_id, :diagnostic_id,
               ends - interval '1 hour', ends,
               CASE WHEN ends > :now THEN 'booked' WHEN n % 10 = 0 THEN 'cancelled' WHEN n % 10 = 1 THEN 'noshow'
                    ELSE 'fulfilled' END,
               CASE WHEN ends <= :now AND n % 10 = 0 THEN 'patient' END, 'Past', 'Patient', '+380500000000',
               'visit-' || :first_user || '-' || n
        FROM generate_series(1, :count) n,
             LATERAL (SELECT CAST(:last_ends AS timestamptz) - (n - 1) * interval '1 hour') AS visit (ends)
    """), values)
    visits = ("SELECT id, user_id, clinic_id, starts_at, status FROM bookings "
              "WHERE ical_uid LIKE 'visit-' || :first_user || '-%'")
    db.session.execute(text(f"""
        INSERT INTO outbox_messages (kind, dedupe_key, booking_id, chat_id, due_at, status, sent_at)
        SELECT kind, 'booking:' || id || ':' || kind, id, user_id, due_at,
               CASE WHEN due_at <= :now THEN 'sent' ELSE 'pending' END, CASE WHEN due_at <= :now THEN due_at END
        FROM ({visits}) visit,
             unnest(ARRAY['confirmation', 'reminder'],
                    ARRAY[starts_at - interval '30 days', starts_at - interval '1 day']) AS message (kind, due_at)
    """), values)
    db.session.execute(text(f"""
        INSERT INTO booking_events (booking_id, actor, action)
        SELECT id, 'patient', action FROM ({visits}) visit, unnest(ARRAY['booked', status]) action
    """), values)
    # The clinic's staff group heard of each of them long ago.
    db.session.execute(text(f"""
        UPDATE staff_group_events SET digested_at = visit.starts_at FROM ({visits}) visit
        WHERE staff_group_events.booking_id = visit.id
    """), values)


def _staff_member(account: User, clinic: Clinic) -> StaffMember:
    """The clinic's admin, who made a group chat its staff group: the clinic's news become events to digest."""
    member, code = staff_accounts.invite(role=StaffRole.ADMIN, clinic_ids=[clinic.id], name="Desk")
    staff_accounts.bind(code, telegram_id=account.telegram_id, display_name="Desk")
    staff_groups.set_group(member, STAFF_GROUP_CHAT)
    db.session.commit()
    return member


def scans_of(call: Callable[[], object]) -> list[Scan]:
    """Call a service function and undo what it wrote; the scans of big tables in the plans of its statements, each
    run (and undone) with EXPLAIN ANALYZE just before it is sent, in the state it is sent in."""
    connection = db.session.connection()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
    scans: list[Scan] = []

    def explain(dbapi_connection: Any, statement: str, parameters: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SAVEPOINT plan_check")
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters)
            [plan] = cursor.fetchone()[0]
            cursor.execute("ROLLBACK TO SAVEPOINT plan_check")
        scans.extend(Scan(statement, node) for node in _nodes(plan["Plan"])
                     if node.get("Relation Name") in BIG_TABLES)

    with each_statement(explain):
        undo = db.session.begin_nested()
        call()
        undo.rollback()
    return scans


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", ()):
        yield from _nodes(child)


def assert_read_through_indexes(scans: list[Scan]) -> None:
    assert scans, "the call read none of the big tables: nothing was checked"
    sequential = [str(scan) for scan in scans if scan.node["Node Type"] == "Seq Scan"]
    assert not sequential, "no index serves:\n" + "\n".join(sequential)
    wasteful = [str(scan) for scan in scans if scan.rows_read > READ_BUDGET]
    assert not wasteful, "reads the history:\n" + "\n".join(wasteful)


# --- the front desk's day ----------------------------------------------------------------------------


def test_the_day_list_of_every_clinic_reads_only_that_day(years_of_bookings):
    network = years_of_bookings

    assert_read_through_indexes(scans_of(lambda: clinic_day.bookings_page(network.today)))


def test_the_day_list_of_each_clinics_today_reads_only_that_day(years_of_bookings):
    assert_read_through_indexes(scans_of(lambda: clinic_day.bookings_page()))


def test_the_day_list_of_one_clinic_reads_only_that_day(years_of_bookings):
    network = years_of_bookings

    assert_read_through_indexes(scans_of(
        lambda: clinic_day.bookings_page(network.today, clinic_id=network.clinic.id)
    ))


def test_the_bots_agenda_page_reads_only_that_day(years_of_bookings):
    network = years_of_bookings

    assert_read_through_indexes(scans_of(
        lambda: staff_agenda.day_page(network.desk, network.clinic.id, network.today)
    ))


def test_a_reminder_run_for_one_clinics_day_reads_only_that_day(years_of_bookings):
    network = years_of_bookings

    assert_read_through_indexes(scans_of(lambda: reminders.queue_manual_reminders(
        day=network.today + timedelta(days=1), clinic_id=network.clinic.id
    )))


def test_a_reminder_run_for_each_clinics_today_reads_only_that_day(years_of_bookings):
    assert_read_through_indexes(scans_of(lambda: reminders.queue_manual_reminders()))


# --- free slots --------------------------------------------------------------------------------------


def _month_of_free_slots(schedule: availability.Schedule, network: Network, patient: User | None = None) -> None:
    availability.free_spans(schedule, network.today, network.today + timedelta(days=availability.MAX_RANGE_DAYS - 1),
                            now=clock.now(), patient_id=patient.telegram_id if patient else None)


def test_a_doctors_free_slots_read_only_the_bookings_of_those_days(years_of_bookings):
    network = years_of_bookings

    assert_read_through_indexes(scans_of(
        lambda: _month_of_free_slots(availability.doctor_schedule(network.doctor.id), network)
    ))


def test_a_tests_free_slots_read_only_the_bookings_of_those_days(years_of_bookings):
    network = years_of_bookings

    assert_read_through_indexes(scans_of(lambda: _month_of_free_slots(
        availability.diagnostic_schedule(network.diagnostic.id, network.clinic.id), network
    )))


def test_a_signed_in_patients_free_slots_read_only_their_bookings_of_those_days(years_of_bookings):
    network = years_of_bookings

    assert_read_through_indexes(scans_of(lambda: _month_of_free_slots(
        availability.doctor_schedule(network.doctor.id), network, network.regular
    )))


# --- my bookings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("list_bookings", [bookings.list_for_user, bookings.list_lines_for_user],
                         ids=["mini app", "bot page"])
def test_a_regulars_upcoming_bookings_are_read_without_their_past(years_of_bookings, list_bookings):
    network = years_of_bookings

    assert_read_through_indexes(scans_of(lambda: list_bookings(network.regular.telegram_id, when="upcoming")))


@pytest.mark.parametrize("list_bookings", [bookings.list_for_user, bookings.list_lines_for_user],
                         ids=["mini app", "bot page"])
@pytest.mark.parametrize("when", ["upcoming", "past", "all"])
def test_a_patients_bookings_are_read_through_their_own(years_of_bookings, list_bookings, when):
    network = years_of_bookings

    assert_read_through_indexes(scans_of(lambda: list_bookings(network.patient.telegram_id, when=when)))


# --- nightly -------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("years_of_bookings")
def test_marking_the_nights_missed_visits_reads_only_them(frozen_now):
    frozen_now(clock.now() + timedelta(days=2))  # the visits of today and tomorrow are over, nobody came

    assert_read_through_indexes(scans_of(lambda: maintenance.mark_noshows()))


# --- the outbox ----------------------------------------------------------------------------------------


def test_the_sweep_reads_only_the_rows_due_and_the_claims_run_out(years_of_bookings):
    lost = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.status == MessageStatus.PENDING.value,
                                                             OutboxMessage.due_at <= clock.now()).limit(1))
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == lost).values(
        status=MessageStatus.SENDING.value, claim_token="dead-worker", lease_expires_at=clock.now()))

    assert_read_through_indexes(scans_of(lambda: (delivery.return_lost(), delivery.due_for_delivery())))


def test_the_failed_deliveries_page_reads_only_the_failed(years_of_bookings):
    db.session.execute(update(OutboxMessage).where(OutboxMessage.status == MessageStatus.PENDING.value,
                                                   OutboxMessage.due_at <= clock.now())
                       .values(status=MessageStatus.FAILED.value, last_error="the user has blocked the bot"))

    assert_read_through_indexes(scans_of(lambda: delivery.failed_deliveries()))


# --- the staff group ---------------------------------------------------------------------------------


def test_the_staff_groups_digests_read_only_the_news(years_of_bookings):
    assert_read_through_indexes(scans_of(lambda: staff_groups.queue_digests(lambda _chat_id, events: texts.digest(events))))


# --- the front desk's patient search -------------------------------------------------------------------


def test_finding_a_patient_by_part_of_their_name_reads_only_the_matches(years_of_bookings):
    """Through the pg_trgm index, however many patients the network has; their visits through their own index."""
    network = years_of_bookings
    caller = Patient(first_name="Olha", last_name="Kobylianska", phone="+380671234567")
    db.session.add(caller)
    db.session.flush()  # not committed: the history stays the test's alone (see years_of_bookings)
    bookings.book(user_id=None, patient_id=caller.id, clinic_id=network.clinic.id, doctor_id=network.doctor.id,
                  starts_at=next_local_slot(network.clinic, days_ahead=4),
                  patient=bookings.PatientDetails("Olha", "Kobylianska", caller.phone))

    assert_read_through_indexes(scans_of(lambda: patient_search.search("kobyl", within={network.clinic.id})))


def test_finding_a_patient_by_three_digits_of_their_phone_reads_only_the_matches(years_of_bookings):
    assert_read_through_indexes(scans_of(lambda: patient_search.search("149", within=None)))
