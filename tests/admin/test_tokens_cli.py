"""`flask medsync create-staff-token NAME --role admin --clinic 1 [--clinic 2]`: a token scoped to a role and clinics."""
from __future__ import annotations

from sqlalchemy import select

from medsync.extensions import db
from medsync.models import StaffToken


def test_a_token_issued_with_a_role_and_clinics_acts_as_that_role_there(app, client, make_clinic):
    first, second = make_clinic(), make_clinic()
    make_clinic()  # one the token is not given

    result = app.test_cli_runner().invoke(args=["medsync", "create-staff-token", "HR system", "--role", "admin",
                                                "--clinic", str(first.id), "--clinic", str(second.id)])

    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    row = db.session.scalar(select(StaffToken))
    assert (row.role, row.clinic_ids) == ("admin", {first.id, second.id})
    assert f"admin at {first.name}, {second.name}" in result.stderr
    assert client.get("/api/v1/admin/audit", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_token_without_a_role_keeps_acting_for_every_clinic(app, app_context):
    result = app.test_cli_runner().invoke(args=["medsync", "create-staff-token", "Front desk"])

    assert result.exit_code == 0
    row = db.session.scalar(select(StaffToken))
    assert row.role is None and row.clinic_ids is None


def test_a_role_needs_known_clinics_and_clinics_need_a_role(app, app_context, make_clinic):
    clinic = make_clinic()
    runner = app.test_cli_runner()

    no_clinic = runner.invoke(args=["medsync", "create-staff-token", "A", "--role", "reception"])
    unknown = runner.invoke(args=["medsync", "create-staff-token", "B", "--role", "reception", "--clinic", "999"])
    no_role = runner.invoke(args=["medsync", "create-staff-token", "C", "--clinic", str(clinic.id)])
    doctor = runner.invoke(args=["medsync", "create-staff-token", "D", "--role", "doctor", "--clinic", str(clinic.id)])

    assert [result.exit_code for result in (no_clinic, unknown, no_role, doctor)] == [1, 1, 1, 2]
    assert "Name at least one clinic" in no_clinic.output
    assert "There is no clinic 999" in unknown.output
    assert "--role" in no_role.output
    assert db.session.scalar(select(StaffToken)) is None
