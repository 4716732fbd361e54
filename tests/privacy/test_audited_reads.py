"""Every staff read of a result (download, re-send) and of a list of patients' details writes an audit row (who,
what, when; ids only), which the clinic's admins read in GET /api/v1/admin/audit."""
from __future__ import annotations

from sqlalchemy import select

from medsync.extensions import db
from medsync.models import AuditEntry, OutboxMessage
from medsync.services import results
from tests.admin.conftest import member_headers  # noqa: F401 - a fixture
from tests.conftest import PDF


def test_a_staff_download_and_resend_of_a_result_are_audited_and_admins_see_them(
    client, make_staff, member_headers, make_doctor, make_visit
):
    doctor = make_doctor()
    visit = make_visit(doctor=doctor)
    result = results.store_result(visit.id, content=PDF, file_name="blood.pdf", now=visit.starts_at)
    db.session.commit()
    desk = make_staff("reception", clinics=[doctor.clinic], name="Iryna Desk")
    admin = make_staff("admin", clinics=[doctor.clinic], name="Oksana Admin")

    downloaded = client.get(f"/api/v1/staff/results/{result.id}/file", headers=member_headers(desk))
    resent = client.post(f"/api/v1/staff/results/{result.id}/send", headers=member_headers(desk))

    assert downloaded.status_code == 200 and downloaded.data == PDF
    assert resent.status_code == 202
    assert len(db.session.scalars(select(OutboxMessage).where(OutboxMessage.result_id == result.id)).all()) == 2
    trail = client.get("/api/v1/admin/audit?object_type=result", headers=member_headers(admin)).get_json()["items"]
    assert [(entry["action"], entry["actor_id"], entry["object_id"], entry["actor_name"]) for entry in trail] == [
        ("result.resend", desk.actor_id, result.id, "Iryna Desk"), ("result.read", desk.actor_id, result.id,
                                                                    "Iryna Desk")]
    assert "%PDF" not in str(trail)


def test_another_clinics_result_does_not_exist_for_staff_and_leaves_no_read(client, make_staff, member_headers,
                                                                            make_doctor, make_visit, make_clinic):
    visit = make_visit(doctor=make_doctor())
    result = results.store_result(visit.id, content=PDF, file_name="blood.pdf", now=visit.starts_at)
    db.session.commit()
    stranger = make_staff("reception", clinics=[make_clinic()])

    assert client.get(f"/api/v1/staff/results/{result.id}/file", headers=member_headers(stranger)).status_code == 404
    assert db.session.scalars(select(AuditEntry)).all() == []


def test_reading_the_days_list_of_patients_is_audited_with_the_bookings_it_showed(
    client, make_staff, member_headers, make_doctor, make_booking, frozen_now
):
    doctor = make_doctor()
    booking = make_booking(doctor=doctor)
    desk = make_staff("reception", clinics=[doctor.clinic])

    response = client.get(f"/api/v1/staff/bookings?date={booking.starts_at.date().isoformat()}",
                          headers=member_headers(desk))

    assert response.status_code == 200 and [item["id"] for item in response.get_json()["items"]] == [booking.id]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "patients.read"))
    assert (entry.actor_id, entry.clinic_id, entry.after["booking_ids"]) == (desk.actor_id, doctor.clinic_id,
                                                                              [booking.id])
    assert "Shevchenko" not in str(entry.after)
