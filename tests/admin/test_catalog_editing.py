"""The admin API's catalog: clinics, specialties, doctors, diagnostics — created and changed by a clinic's admin,
each bad value a 422 naming its field with nothing written, versions checked, every write audited, and the patients'
catalog changed at once."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import func, select, update

from medsync.extensions import db
from medsync.models import AuditEntry, Clinic, DiagnosticType, Doctor, Specialty
from medsync.services import catalog_editing
from tests.conftest import PATIENT, next_local_slot


@pytest.fixture
def admin_of(make_staff, member_headers):
    """Headers of an admin of these clinics (initData)."""

    def headers(*clinics) -> dict[str, str]:
        return member_headers(make_staff("admin", clinics=list(clinics), name="Oksana Admin"))

    return headers


def doctor_body(clinic, specialty_id: int, **overrides) -> dict:
    return {"clinic_id": clinic.id, "specialty_id": specialty_id, "full_name": "Dr. Maria Lysenko", "price": 720,
            "appointment_minutes": 30, "bio": "Cardiologist with 12 years of practice.", **overrides}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def picture(kind: str = "PNG", size: tuple[int, int] = (400, 300)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(output, kind)
    return output.getvalue()


# --- doctors -------------------------------------------------------------------------------------------------


def test_an_admin_adds_a_doctor_whom_patients_find_at_once(client, make_doctor, admin_of):
    existing = make_doctor()  # the catalog snapshot is loaded before the write
    clinic = existing.clinic
    headers = admin_of(clinic)
    assert client.get(f"/api/v1/doctors?clinic_id={clinic.id}").json["pagination"]["total"] == 1

    response = client.post("/api/v1/admin/doctors", json=doctor_body(clinic, existing.specialty_id), headers=headers)

    assert response.status_code == 201
    doctor = response.json
    assert (doctor["full_name"], doctor["price"], doctor["active"], doctor["version"]) == (
        "Dr. Maria Lysenko", 720.0, True, 1)
    assert response.headers["ETag"] == '"1"'
    assert doctor["slug"] == "dr-maria-lysenko"
    listed = client.get(f"/api/v1/doctors?clinic_id={clinic.id}").json["items"]
    assert doctor["id"] in [item["id"] for item in listed]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "doctor.create"))
    assert (entry.object_id, entry.clinic_id, entry.before) == (doctor["id"], clinic.id, None)
    assert entry.after["price"] == "720.00" and entry.actor_id.startswith("staff:")


@pytest.mark.parametrize(("change", "field"), [
    ({"price": 0}, "price"),
    ({"price": -5}, "price"),
    ({"appointment_minutes": 0}, "appointment_minutes"),
    ({"full_name": "   "}, "full_name"),
    ({"specialty_id": 999}, "specialty_id"),
    ({"bio_translations": {"de": "Kardiologe"}}, "bio_translations"),
])
def test_a_bad_doctor_is_refused_naming_the_field_and_nothing_is_written(client, make_doctor, admin_of, change,
                                                                         field):
    existing = make_doctor()
    headers = admin_of(existing.clinic)

    body = {**doctor_body(existing.clinic, existing.specialty_id), **change}

    response = client.post("/api/v1/admin/doctors", json=body, headers=headers)

    assert response.status_code == 422
    assert field in response.json["errors"]
    assert count(Doctor) == 1 and count(AuditEntry) == 0


def test_a_doctor_at_a_clinic_the_admin_does_not_administer_is_refused(client, make_doctor, make_clinic, admin_of):
    existing = make_doctor()
    other = make_clinic()

    response = client.post("/api/v1/admin/doctors", json=doctor_body(other, existing.specialty_id),
                           headers=admin_of(existing.clinic))

    assert response.status_code == 422
    assert response.json["errors"] == {"clinic_id": ["There is no such clinic."]}
    assert count(Doctor) == 1


def test_another_clinics_doctor_does_not_exist_for_an_admin(client, make_doctor, make_clinic, admin_of):
    theirs = make_doctor()
    headers = admin_of(make_clinic())

    seen = client.get(f"/api/v1/admin/doctors/{theirs.id}", headers=headers)
    changed = client.patch(f"/api/v1/admin/doctors/{theirs.id}", json={"price": 1}, headers=headers)

    assert (seen.status_code, changed.status_code) == (404, 404)


def test_reception_sees_the_catalog_but_may_not_change_it(client, make_doctor, make_staff, member_headers):
    doctor = make_doctor()
    reception = member_headers(make_staff("reception", clinics=[doctor.clinic]))

    seen = client.get(f"/api/v1/admin/doctors/{doctor.id}", headers=reception)
    changed = client.patch(f"/api/v1/admin/doctors/{doctor.id}", json={"price": 1}, headers=reception)

    assert seen.status_code == 200
    assert changed.status_code == 403
    assert changed.json["message"] == "Only a clinic admin may do this."


def test_an_edit_of_an_older_version_is_refused_with_412(client, make_doctor, admin_of):
    doctor = make_doctor(price=Decimal("650.00"))
    headers = admin_of(doctor.clinic)

    first = client.patch(f"/api/v1/admin/doctors/{doctor.id}", json={"price": 700},
                         headers={**headers, "If-Match": '"1"'})
    second = client.patch(f"/api/v1/admin/doctors/{doctor.id}", json={"price": 800},
                          headers={**headers, "If-Match": '"1"'})

    assert first.status_code == 200 and first.headers["ETag"] == '"2"' and first.json["version"] == 2
    assert second.status_code == 412
    db.session.expire_all()
    assert db.session.get(Doctor, doctor.id).price == Decimal("700.00")


def test_two_edits_racing_past_the_version_check_are_refused_by_the_update_itself(app_context, make_doctor):
    doctor = make_doctor()
    loaded = catalog_editing.get_doctor(doctor.id)
    with db.engine.begin() as other_admin:
        other_admin.execute(update(Doctor).where(Doctor.id == doctor.id).values(version=Doctor.version + 1))

    with pytest.raises(catalog_editing.EditedMeanwhile):
        catalog_editing.update_doctor(loaded.id, {"price": Decimal("1.00")}, expected_version=None, actor_id="cli")


def test_a_doctor_with_bookings_is_deactivated_never_deleted(client, tma_headers, make_doctor, make_booking,
                                                              admin_of):
    doctor = make_doctor()
    booking = make_booking(doctor=doctor)
    headers = admin_of(doctor.clinic)

    response = client.patch(f"/api/v1/admin/doctors/{doctor.id}", json={"active": False}, headers=headers)

    assert response.status_code == 200 and response.json["active"] is False
    assert client.get(f"/api/v1/doctors/{doctor.id}").status_code == 404
    assert client.get("/api/v1/doctors").json["pagination"]["total"] == 0
    kept = client.get(f"/api/v1/bookings/{booking.id}", headers=tma_headers(booking.user_id))
    assert kept.status_code == 200 and kept.json["status"] == "booked"
    refused = client.post("/api/v1/bookings", headers=tma_headers(booking.user_id), json={
        "doctor_id": doctor.id, "clinic_id": doctor.clinic_id,
        "starts_at": next_local_slot(doctor.clinic, days_ahead=3).isoformat(),
        "patient": {"first_name": PATIENT.first_name, "last_name": PATIENT.last_name, "phone": PATIENT.phone}})
    assert refused.status_code == 404
    inactive = client.get("/api/v1/admin/doctors?active=false", headers=headers).json["items"]
    assert [item["id"] for item in inactive] == [doctor.id]


def test_translations_change_one_language_at_a_time(client, make_doctor, admin_of):
    doctor = make_doctor(bio="A cardiologist.")
    headers = admin_of(doctor.clinic)

    client.patch(f"/api/v1/admin/doctors/{doctor.id}", json={"bio_translations": {"pl": "Kardiolog."}},
                 headers=headers)
    both = client.patch(f"/api/v1/admin/doctors/{doctor.id}", json={"bio_translations": {"uk": "Кардіолог."}},
                        headers=headers)
    removed = client.patch(f"/api/v1/admin/doctors/{doctor.id}", json={"bio_translations": {"pl": None}},
                           headers=headers)

    assert both.json["bio_translations"] == {"pl": "Kardiolog.", "uk": "Кардіолог."}
    assert removed.json["bio_translations"] == {"uk": "Кардіолог."}
    polish = client.get(f"/api/v1/doctors/{doctor.id}", headers={"Accept-Language": "uk"}).json
    assert polish["bio"] == "Кардіолог."


def test_every_change_is_audited_before_and_after(client, make_doctor, admin_of):
    doctor = make_doctor(price=Decimal("650.00"))
    headers = admin_of(doctor.clinic)

    client.patch(f"/api/v1/admin/doctors/{doctor.id}", json={"price": 700, "full_name": doctor.full_name},
                 headers=headers)
    client.patch(f"/api/v1/admin/doctors/{doctor.id}", json={"price": 700}, headers=headers)  # no change: no entry

    trail = client.get(f"/api/v1/admin/audit?object_type=doctor&object_id={doctor.id}", headers=headers).json
    assert [(entry["action"], entry["before"], entry["after"], entry["actor_name"]) for entry in trail["items"]] == [
        ("doctor.update", {"price": "650.00"}, {"price": "700.00"}, "Oksana Admin")]


# --- photos --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "WEBP"])
def test_a_photo_is_checked_by_content_resized_and_served_from_here(client, make_doctor, admin_of, kind):
    doctor = make_doctor()

    response = client.put(f"/api/v1/admin/doctors/{doctor.id}/photo", headers=admin_of(doctor.clinic),
                          data={"file": (io.BytesIO(picture(kind)), "portrait.bin")},
                          content_type="multipart/form-data")

    assert response.status_code == 200
    url = response.json["photo_url"]
    assert url.startswith("https://api.medsync.test/app/photos/uploads/") and url.endswith("-192.webp")
    path = url.removeprefix("https://api.medsync.test")
    for size in (192, 112):
        served = client.get(path.replace("-192.webp", f"-{size}.webp"))
        assert served.status_code == 200 and served.mimetype == "image/webp"
        assert Image.open(io.BytesIO(served.data)).size == (size, size)
    assert client.get(f"/api/v1/doctors/{doctor.id}").json["photo_url"] == url


@pytest.mark.parametrize(("content", "name"), [
    (b"%PDF-1.4 not a picture", "photo.jpg"),
    (picture("GIF"), "photo.png"),
    (picture("PNG")[:60], "photo.png"),
])
def test_a_file_that_is_not_a_photo_is_refused(client, make_doctor, admin_of, content, name):
    doctor = make_doctor()

    response = client.put(f"/api/v1/admin/doctors/{doctor.id}/photo", headers=admin_of(doctor.clinic),
                          data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")

    assert response.status_code == 422
    assert "file" in response.json["errors"]
    db.session.expire_all()
    assert db.session.get(Doctor, doctor.id).photo_url == doctor.photo_url


def test_a_photo_over_5_mb_is_refused(client, make_doctor, admin_of):
    doctor = make_doctor()
    huge = picture("PNG") + b"\0" * (5 * 1024 * 1024)

    response = client.put(f"/api/v1/admin/doctors/{doctor.id}/photo", headers=admin_of(doctor.clinic),
                          data={"file": (io.BytesIO(huge), "huge.png")}, content_type="multipart/form-data")

    assert response.status_code == 422
    assert "file" in response.json["errors"]


# --- clinics -------------------------------------------------------------------------------------------------


def test_an_admin_changes_their_clinics_hours_and_patients_see_them(client, make_clinic, admin_of):
    clinic = make_clinic(weekdays=(1, 2, 3, 4, 5))
    headers = admin_of(clinic)
    client.get(f"/api/v1/clinics/{clinic.id}")  # the snapshot is loaded before the write

    response = client.patch(f"/api/v1/admin/clinics/{clinic.id}", headers=headers, json={
        "hours": [{"weekday": 1, "opens": "10:00", "closes": "16:00", "breaks": [{"starts": "12:00", "ends": "12:30"}]},
                  {"weekday": 6, "opens": "09:00", "closes": "13:00"}]})

    assert response.status_code == 200 and response.json["version"] == 2
    public = client.get(f"/api/v1/clinics/{clinic.id}").json
    assert [(day["weekday"], day["opens_at"], day["closes_at"]) for day in public["hours"]] == [
        (1, "10:00", "16:00"), (6, "09:00", "13:00")]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "clinic.update"))
    assert entry.after == {"hours": ["1 10:00-16:00 (12:00-12:30)", "6 09:00-13:00"]}


@pytest.mark.parametrize(("change", "field"), [
    ({"timezone": "Europe/Atlantis"}, "timezone"),
    ({"currency": "XYZ"}, "currency"),
    ({"currency": "uah"}, "currency"),
    ({"hours": [{"weekday": 8, "opens": "09:00", "closes": "18:00"}]}, "hours"),
    ({"hours": [{"weekday": 1, "opens": "18:00", "closes": "09:00"}]}, "hours"),
    ({"hours": [{"weekday": 1, "opens": "9:00", "closes": "18:00"}]}, "hours"),
    ({"hours": [{"weekday": 1, "opens": "09:00", "closes": "18:00"}, {"weekday": 1, "opens": "10:00",
                                                                       "closes": "12:00"}]}, "hours"),
    ({"hours": [{"weekday": 1, "opens": "09:00", "closes": "18:00",
                 "breaks": [{"starts": "17:00", "ends": "19:00"}]}]}, "hours"),
])
def test_a_bad_clinic_value_is_refused_naming_the_field(client, make_clinic, admin_of, change, field):
    clinic = make_clinic()

    response = client.patch(f"/api/v1/admin/clinics/{clinic.id}", json=change, headers=admin_of(clinic))

    assert response.status_code == 422
    assert field in response.json["errors"]
    db.session.expire_all()
    assert db.session.get(Clinic, clinic.id).version == 1 and count(AuditEntry) == 0


def test_an_admin_adds_a_clinic_and_administers_it(client, make_clinic, admin_of):
    headers = admin_of(make_clinic())

    created = client.post("/api/v1/admin/clinics", headers=headers, json={
        "name": "MedSync Lviv", "address": "1 Rynok Sq, Lviv", "timezone": "Europe/Kyiv", "currency": "UAH",
        "hours": [{"weekday": 1, "opens": "08:00", "closes": "20:00"}]})

    assert created.status_code == 201
    assert client.get(f"/api/v1/admin/clinics/{created.json['id']}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/clinics/{created.json['id']}").json["name"] == "MedSync Lviv"


# --- specialties and diagnostics -----------------------------------------------------------------------------


def test_a_specialty_name_is_unique(client, make_doctor, admin_of):
    doctor = make_doctor(specialty_name="Cardiologist")
    headers = admin_of(doctor.clinic)

    taken = client.post("/api/v1/admin/specialties", json={"name": "cardiologist"}, headers=headers)
    added = client.post("/api/v1/admin/specialties", json={"name": "Neurologist",
                                                            "name_translations": {"uk": "Невролог"}}, headers=headers)

    assert taken.status_code == 422 and "name" in taken.json["errors"]
    assert added.status_code == 201 and added.json["slug"] == "neurologist"
    assert count(Specialty) == 2


def test_an_admin_adds_a_diagnostic_at_their_clinic(client, make_clinic, admin_of):
    clinic = make_clinic()

    response = client.post("/api/v1/admin/diagnostics", headers=admin_of(clinic), json={
        "name": "Ultrasound", "price": 900, "duration_minutes": 30, "clinic_ids": [clinic.id]})

    assert response.status_code == 201 and response.json["clinic_ids"] == [clinic.id]
    offered = client.get(f"/api/v1/diagnostics/{response.json['id']}/clinics").json
    assert [item["id"] for item in offered] == [clinic.id]


def test_a_diagnostic_shared_with_another_clinic_is_changed_only_by_an_admin_of_both(client, make_clinic,
                                                                                    make_diagnostic, admin_of):
    ours, theirs = make_clinic(), make_clinic()
    shared = make_diagnostic(clinics=[ours, theirs])

    response = client.patch(f"/api/v1/admin/diagnostics/{shared.id}", json={"price": 1}, headers=admin_of(ours))
    both = client.patch(f"/api/v1/admin/diagnostics/{shared.id}", json={"price": 1}, headers=admin_of(ours, theirs))

    assert response.status_code == 403
    assert both.status_code == 200
    db.session.expire_all()
    assert db.session.get(DiagnosticType, shared.id).price == Decimal("1.00")
