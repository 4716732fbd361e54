"""Erasing a patient without Telegram on their request (/api/v1/admin/patients, on the admin blueprint and behind its
gate: admins only, at their clinics). A patient with Telegram erases their own data (DELETE /api/v1/me, the bot's
/mydata); the front desk's patients have no chat to ask from, so they ask the clinic, and an admin does it for them
through the same eraser (medsync.services.erasure). First asked with `dry_run=true` (what it would do, nothing
written), as a schedule change is."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from medsync.api import access
from medsync.api.admin import ADMIN_AUTH, ADMIN_ROLE, ADMIN_SECURITY, blp
from medsync.api.refusals import refusals
from medsync.extensions import db
from medsync.models import StaffRole
from medsync.services import erasure, patients


class ErasureQuerySchema(Schema):
    dry_run = fields.Boolean(load_default=False, metadata={
        "description": "true: say what the erasure would do, and write nothing."})


class PatientErasureSchema(Schema):
    patient_id = fields.Integer()
    status = fields.String(metadata={"description": "`erased`; `would erase` in a dry run; `nothing left` when "
                                                    "the patient was erased before (a repeat changes nothing)."})
    cancelled = fields.List(fields.Integer(), attribute="cancelled_ids", metadata={
        "description": "Visits ahead cancelled by the clinic (or that would be), by id."})
    anonymised = fields.Integer(metadata={"description": "Bookings kept for the clinic's records, without personal "
                                                         "fields."})
    results_deleted = fields.Integer(metadata={"description": "Results deleted with their files."})


@blp.route("/patients/<int(max=2147483647):patient_id>")
class PatientErasure(MethodView):
    @blp.doc(security=ADMIN_SECURITY)
    @blp.arguments(ErasureQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, PatientErasureSchema)
    @refusals(blp, {
        401: ADMIN_AUTH, 403: ADMIN_ROLE,
        404: "No such patient among the caller's clinics (a patient of a clinic is one with a visit there).",
        409: "The patient has a Telegram account (they erase their data themselves: the bot's /mydata, the Mini App, "
             "`DELETE /api/v1/me`), or also has visits at clinics the caller does not administer.",
    })
    def delete(self, dry_run: bool, patient_id: int) -> dict[str, Any]:
        """Erase a patient without Telegram on their request: their visits ahead are cancelled by the clinic (with
        the reason "The patient's data was erased at their request"), their results deleted with their files,
        their name, phone, e-mail and the desk's notes removed from the patient and every booking (kept anonymised
        for the clinic's records), messages waiting for them dropped. Audited (`patient.erase`: who, when, the
        patient's id, counts; no names). Asking again changes nothing."""
        admin = access.require_role(StaffRole.ADMIN)
        patients.visible(patient_id, within=admin.clinic_ids)
        done = erasure.erase_desk_patient(patient_id, actor_id=admin.actor_id, within=admin.clinic_ids,
                                          dry_run=dry_run)
        db.session.commit()
        status = "nothing left" if not done.anything else "would erase" if dry_run else "erased"
        return {"patient_id": patient_id, "status": status, **vars(done)}
