"""`flask medsync create-staff-token | revoke-staff-token | remind`."""
from __future__ import annotations

import hashlib
from datetime import datetime, time

from sqlalchemy import select

from medsync import clock
from medsync.extensions import db
from medsync.models import MessageKind, OutboxMessage, StaffToken
from tests.workers.conftest import running_worker


def test_create_staff_token_prints_it_once_and_stores_only_its_hash(app, app_context, client):
    result = app.test_cli_runner().invoke(args=["medsync", "create-staff-token", "Front desk"])

    assert result.exit_code == 0
    token = result.stdout.strip().splitlines()[-1]  # stdout only: the notice goes to stderr
    assert result.stdout.strip() == token
    assert result.output.count(token) == 1
    row = db.session.scalar(select(StaffToken))
    assert row.name == "Front desk"
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_hash
    assert client.get("/api/v1/staff/bookings", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_revoke_staff_token_by_name_or_id_locks_the_token_out(app, app_context, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["medsync", "create-staff-token", "Lab"]).stdout.strip().splitlines()[-1]
    second = runner.invoke(args=["medsync", "create-staff-token", "Nurse"]).stdout.strip().splitlines()[-1]
    nurse_id = db.session.scalar(select(StaffToken.id).where(StaffToken.name == "Nurse"))

    by_name = runner.invoke(args=["medsync", "revoke-staff-token", "Lab"])
    by_id = runner.invoke(args=["medsync", "revoke-staff-token", str(nurse_id)])
    unknown = runner.invoke(args=["medsync", "revoke-staff-token", "Nobody"])

    assert by_name.exit_code == 0 and by_id.exit_code == 0
    assert unknown.exit_code != 0 and "No active staff token" in unknown.output
    for token in (first, second):
        assert client.get("/api/v1/staff/bookings", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_remind_queues_todays_reminders_and_follows_them_until_delivered(
    app, telegram_api, frozen_now, make_doctor, make_booking
):
    doctor = make_doctor()
    today_local = clock.now().astimezone(doctor.clinic.zone).date()
    booked = [make_booking(doctor=doctor, starts_at=datetime.combine(today_local, time(hour), doctor.clinic.zone))
              for hour in (10, 11)]

    with running_worker(app):
        result = app.test_cli_runner().invoke(args=["medsync", "remind", "--clinic", str(doctor.clinic_id), "--wait", "5"])

    assert result.exit_code == 0, result.output
    assert "queued 2 reminders" in result.output
    assert "2 sent" in result.output
    reminded = {call.chat_id for call in telegram_api.calls("sendMessage", failed=False)
                if "Reminder" in call.params["text"]}
    assert reminded == {str(booking.user_id) for booking in booked}
    db.session.expire_all()
    assert len(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == MessageKind.REMINDER.value, OutboxMessage.dedupe_key.like("%manual%"))).all()) == 2
