"""A reminder run staff start: every chosen visit's reminder written at once."""
from __future__ import annotations

from medsync.services import reminders
from tests.conftest import next_local_slot
from tests.support.statements import statements_sent


def test_a_reminder_run_writes_its_reminders_in_one_insert(frozen_now, make_doctor, make_booking):
    doctor = make_doctor()
    tomorrow = next_local_slot(doctor.clinic, days_ahead=1)
    chosen = [make_booking(doctor=doctor, starts_at=tomorrow.replace(hour=hour)) for hour in (9, 10, 11, 12)]

    with statements_sent() as statements:
        queued = reminders.queue_manual_reminders(day=tomorrow.date(), clinic_id=doctor.clinic_id)

    assert len(queued) == len(chosen)
    assert [statement.split()[0] for statement, _ in statements if "outbox_messages" in statement] == ["INSERT"]
