"""The audit trail: one function records an entry with the change; admins read their clinics' trail."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import func, select

from medsync.extensions import db
from medsync.models import AuditEntry
from medsync.services import audit


def test_an_entry_is_written_with_the_change_and_gone_with_its_rollback(app_context, make_clinic):
    clinic = make_clinic()

    audit.record("clinic.update", actor_id="staff:1", object_type="clinic", object_id=clinic.id, clinic_id=clinic.id,
                 before={"name": "Old"}, after={"name": "New"})
    db.session.rollback()
    kept = audit.record("clinic.update", actor_id="staff:1", object_type="clinic", object_id=clinic.id,
                        clinic_id=clinic.id, before={"name": "Old"}, after={"name": "New"})
    db.session.commit()

    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 1
    stored = db.session.get(AuditEntry, kept.id)
    assert (stored.actor_id, stored.action, stored.before, stored.after) == (
        "staff:1", "clinic.update", {"name": "Old"}, {"name": "New"})


def test_before_and_after_keep_only_the_changed_fields_as_json(app_context):
    before = {"price": Decimal("650.00"), "full_name": "Dr. Koval", "day": date(2026, 12, 1)}
    after = {"price": Decimal("700.00"), "full_name": "Dr. Koval", "day": date(2026, 12, 2)}

    changed = audit.changes(before, after)

    assert changed == ({"price": "650.00", "day": "2026-12-01"}, {"price": "700.00", "day": "2026-12-02"})


def test_a_snapshot_reads_the_named_fields_of_a_row(app_context, make_doctor):
    doctor = make_doctor(price=Decimal("650.00"))

    assert audit.snapshot(doctor, ["full_name", "price"]) == {"full_name": doctor.full_name, "price": "650.00"}


def test_an_admin_reads_their_clinics_trail_and_the_shared_entries_newest_first(
    client, make_clinic, make_staff, member_headers
):
    ours, theirs = make_clinic(), make_clinic()
    admin = make_staff("admin", clinics=[ours], name="Oksana Admin")
    at = datetime(2026, 12, 1, 8, tzinfo=timezone.utc)
    first = audit.record("clinic.update", actor_id=admin.actor_id, object_type="clinic", object_id=ours.id,
                         clinic_id=ours.id, after={"name": "Ours"}, now=at)
    audit.record("clinic.update", actor_id="staff-token:9", object_type="clinic", object_id=theirs.id,
                 clinic_id=theirs.id, after={"name": "Theirs"}, now=at)
    shared = audit.record("specialty.create", actor_id=admin.actor_id, object_type="specialty", object_id=3,
                          after={"name": "Neurologist"}, now=at)
    db.session.commit()

    response = client.get("/api/v1/admin/audit", headers=member_headers(admin))

    assert response.status_code == 200
    assert [entry["id"] for entry in response.json["items"]] == [shared.id, first.id]
    assert response.json["items"][1] == {
        "id": first.id, "at": "2026-12-01T08:00:00+00:00", "actor_id": admin.actor_id, "actor_name": "Oksana Admin",
        "action": "clinic.update", "object_type": "clinic", "object_id": ours.id, "clinic_id": ours.id,
        "before": None, "after": {"name": "Ours"},
    }
    assert response.json["pagination"]["total"] == 2


def test_the_trail_of_one_object(client, make_clinic, token_headers):
    clinic = make_clinic()
    for object_id in (1, 2, 1):
        audit.record("doctor.update", actor_id="cli", object_type="doctor", object_id=object_id, clinic_id=clinic.id)
    db.session.commit()

    response = client.get("/api/v1/admin/audit?object_type=doctor&object_id=1",
                          headers=token_headers("admin", clinic, name="HR system"))

    assert [entry["object_id"] for entry in response.json["items"]] == [1, 1]
    assert {entry["actor_name"] for entry in response.json["items"]} == {None}
