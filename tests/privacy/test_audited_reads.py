"""Every staff read of a result (download, re-send) and of a list of patients' details writes an audit row (who,
what, when; ids only), which the clinic's admins read in GET /api/v1/admin/audit."""
from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import select, update

from medsync import clock
from medsync.extensions import db
from medsync.models import AuditEntry, OutboxMessage
from medsync.services import results
from tests.admin.conftest import member_headers  # noqa: F401 - a fixture
from tests.bot.conftest import buttons, callback_update, message_update
from tests.conftest import PDF, next_local_slot
from tests.support.desk import book_by_phone


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


def _reads() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "patients.read")
                                   .order_by(AuditEntry.id)))


def test_a_patient_search_through_the_staff_api_is_audited_with_the_patients_found_never_the_query(
    client, make_staff, member_headers, make_doctor, frozen_now
):
    doctor = make_doctor()
    booking = book_by_phone(doctor, next_local_slot(doctor.clinic))
    desk = make_staff("reception", clinics=[doctor.clinic])

    response = client.get("/api/v1/staff/patients?q=kobyl", headers=member_headers(desk))

    assert response.status_code == 200 and [item["id"] for item in response.json["items"]] == [booking.patient_id]
    [entry] = _reads()
    assert (entry.actor_id, entry.clinic_id, entry.object_type) == (desk.actor_id, doctor.clinic_id, "patients")
    assert entry.after == {"list": "search", "patient_ids": [booking.patient_id]}


def test_a_search_that_finds_nobody_reads_nobodys_details(client, make_staff, member_headers, make_doctor):
    desk = make_staff("reception", clinics=[make_doctor().clinic])

    assert client.get("/api/v1/staff/patients?q=nobody", headers=member_headers(desk)).json["items"] == []
    assert _reads() == []


def test_a_search_by_a_member_of_two_clinics_is_audited_for_the_clinic_each_patient_is_of(
    client, make_staff, member_headers, make_doctor, make_clinic, frozen_now
):
    doctor, other = make_doctor(), make_clinic()
    booking = book_by_phone(doctor, next_local_slot(doctor.clinic))
    desk = make_staff("reception", clinics=[doctor.clinic, other])

    client.get("/api/v1/staff/patients?q=kobyl", headers=member_headers(desk))

    assert [(entry.clinic_id, entry.after["patient_ids"]) for entry in _reads()] == [
        (doctor.clinic_id, [booking.patient_id])]


def test_reading_the_failed_deliveries_is_audited_with_their_bookings(client, make_staff, member_headers, make_doctor,
                                                                     make_booking):
    doctor = make_doctor()
    blocked = make_booking(doctor=doctor)
    db.session.execute(update(OutboxMessage).where(OutboxMessage.booking_id == blocked.id)
                       .values(status="failed", attempts=1, last_error="403: Forbidden"))
    db.session.commit()
    desk = make_staff("reception", clinics=[doctor.clinic])

    assert client.get("/api/v1/staff/deliveries/failed", headers=member_headers(desk)).status_code == 200

    [entry] = _reads()
    assert (entry.actor_id, entry.clinic_id) == (desk.actor_id, doctor.clinic_id)
    assert entry.after == {"list": "failed deliveries", "day": None, "booking_ids": [blocked.id]}


def test_the_bots_today_and_a_visits_card_are_audited_as_reads_of_the_member(
    post_update, telegram_api, make_staff, make_clinic, make_doctor, make_booking, frozen_now
):
    doctor = make_doctor()
    visit = make_booking(doctor=doctor, starts_at=_today_at(doctor.clinic, 15))
    member = make_staff(clinics=[doctor.clinic])

    post_update(message_update(member.telegram_id, "/today"))
    listed = telegram_api.last("sendMessage")
    [opens] = [item["callback_data"] for item in buttons(listed) if item["callback_data"].startswith("sv:")]
    post_update(callback_update(member.telegram_id, opens))

    assert "Taras Shevchenko" in listed.params["text"]
    day, card = _reads()
    assert (day.actor_id, day.clinic_id, day.after) == (
        member.actor_id, doctor.clinic_id,
        {"list": "day", "day": visit.starts_at.astimezone(doctor.clinic.zone).date().isoformat(),
         "booking_ids": [visit.id]})
    assert (card.actor_id, card.after["list"], card.after["booking_ids"]) == (member.actor_id, "visit", [visit.id])


def test_the_bots_find_is_audited_with_the_patients_it_showed(post_update, telegram_api, make_staff, make_doctor,
                                                             frozen_now):
    doctor = make_doctor()
    booking = book_by_phone(doctor, next_local_slot(doctor.clinic))
    member = make_staff(clinics=[doctor.clinic])

    post_update(message_update(member.telegram_id, "/find 567"))

    assert "Olha Kobylianska" in telegram_api.last("sendMessage").params["text"]
    [entry] = _reads()
    assert (entry.actor_id, entry.clinic_id, entry.after) == (
        member.actor_id, doctor.clinic_id, {"list": "search", "patient_ids": [booking.patient_id]})


def _today_at(clinic, hour: int) -> datetime:
    return datetime.combine(clock.now().astimezone(clinic.zone).date(), time(hour), clinic.zone)
