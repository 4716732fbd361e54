"""Administration REST API (/api/v1/admin): the clinics' catalog and schedules, and the audit trail.

Callers act in a role (a staff member by initData or browser session, or a staff token issued with `--role`), at
their clinics only (medsync.api.access): any role reads, only admins write; another clinic's object is not found.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from medsync.api import access
from medsync.api.admin_schemas import (
    ClinicAdminSchema, ClinicChangeSchema, ClinicEditSchema, ClinicWriteSchema, DiagnosticAdminSchema,
    DiagnosticWriteSchema, DoctorAdminPageSchema, DoctorAdminSchema, DoctorPatchSchema, DoctorWriteSchema, IfMatchSchema,
    PhotoUploadSchema, SpecialtyAdminSchema, SpecialtyWriteSchema, patch_of,
)
from medsync.api.json_body import require_json_object
from medsync.api.pages import page_body
from medsync.api.refusals import JSON_BODY, refusals
from medsync.api.schemas import DB_INT, PageQuerySchema, PaginationSchema, Text
from medsync.errors import Forbidden, InvalidRequest
from medsync.extensions import db
from medsync.models import Clinic, StaffRole
from medsync.services import audit, catalog_editing, photo_uploads, schedules

blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin",
                description="Clinic administration: any staff role reads, admins write, each at their own clinics.")

ADMIN_SECURITY = [{"bearer": []}, {"tma": []}]
ADMIN_AUTH = ("No valid `Authorization: Bearer <staff token>` nor a staff member's `Authorization: tma <initData>` "
              "(missing, unknown, revoked, badly signed or expired).")
ADMIN_ROLE = ("A token issued without a role, initData of an account that is not active staff, or (for a write, and "
              "for the audit trail) a role other than admin.")
# Writes that send a file rather than a JSON object (endpoints), and what a multipart body adds around the file.
UPLOADS: set[str] = set()
UPLOAD_OVERHEAD = 64 * 1024


@blp.before_request
def _staff_in_a_role() -> None:
    """Every route: a caller in a role (401/403 before anything else is looked at); writes: an admin, JSON bodies."""
    if request.method == "OPTIONS":
        return
    access.require_staff_role()
    if request.method not in access.SAFE_METHODS:
        access.require_role(StaffRole.ADMIN)
        if request.endpoint in UPLOADS:
            request.max_content_length = photo_uploads.PHOTO_MAX_BYTES + UPLOAD_OVERHEAD
        else:
            require_json_object()


class AuditQuerySchema(PageQuerySchema):
    object_type = fields.String(load_default=None, validate=validate.Length(max=32),
                                metadata={"example": "doctor"})
    object_id = fields.Integer(load_default=None, validate=DB_INT)


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.DateTime(metadata={"description": "When, ISO 8601 in UTC."})
    actor_id = fields.String(metadata={"description": "`staff:<member id>` or `staff-token:<token id>`."})
    actor_name = fields.String(allow_none=True, metadata={"description": "The member's name or the token's label."})
    action = fields.String(metadata={"example": "doctor.update"})
    object_type = fields.String()
    object_id = fields.Integer(allow_none=True)
    clinic_id = fields.Integer(allow_none=True)
    before = fields.Dict(allow_none=True, metadata={"description": "The changed fields before (null: created)."})
    after = fields.Dict(allow_none=True, metadata={"description": "The changed fields after (null: deleted)."})


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


@blp.route("/audit")
class AuditTrail(MethodView):
    @blp.doc(security=ADMIN_SECURITY)
    @blp.arguments(AuditQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, AuditPageSchema)
    @refusals(blp, {401: ADMIN_AUTH, 403: ADMIN_ROLE})
    def get(self, object_type, object_id, page, per_page):
        """The audit trail of the caller's clinics (and of what they share, like specialties), newest first:
        who changed or read what, when, the changed fields before and after; admins only."""
        admin = access.require_role(StaffRole.ADMIN)
        entries = audit.entries_page(clinic_ids=admin.clinic_ids, object_type=object_type, object_id=object_id,
                                     page=page, per_page=per_page)
        return page_body(entries)


# --- the catalog ---------------------------------------------------------------------------------------------

WRITE_REFUSALS = {
    401: ADMIN_AUTH, 403: ADMIN_ROLE, **JSON_BODY,
    409: "Someone else's edit of the same row committed at the same moment (reload and edit again).",
    412: "`If-Match` names an older version than the row's: someone changed it since (reload and edit again). "
         "API.md's contract says 412 where the issue says 409 for this case; API.md is followed.",
    422: "A bad value, named in `errors` (unknown time zone or currency, price ≤ 0, hours that end before they "
         "start, a clinic or specialty that does not exist …); nothing is written.",
}


def expected_version(if_match: str | None) -> int | None:
    """The version named by If-Match ("3", "\\"3\\"" or W/"3"); None without one or for "*". Anything else names no
    version the row can have: stale (412)."""
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    return int(tag) if tag.isdigit() and len(tag) < 10 else 0


def versioned(row: Any, status: int = 200) -> tuple[Any, int, dict[str, str]]:
    """The row and its ETag (its version), for the next If-Match."""
    return row, status, {"ETag": f'"{row.version}"'}


def _clinic_in_reach(clinic_id: int, field: str = "clinic_id") -> None:
    """A clinic named in a body: one outside the caller's reach is refused like an unknown one (422), no leak."""
    if not access.current_principal().sees_clinic(clinic_id):
        raise InvalidRequest(errors={field: [_("There is no such clinic.")]})


@blp.route("/clinics")
class Clinics(MethodView):
    @blp.doc(security=ADMIN_SECURITY)
    @blp.response(200, ClinicAdminSchema(many=True))
    @refusals(blp, {401: ADMIN_AUTH, 403: ADMIN_ROLE})
    def get(self):
        """The caller's clinics, as they are edited (with opening hours and versions)."""
        return catalog_editing.clinics(access.current_principal().clinic_ids)

    @blp.doc(security=ADMIN_SECURITY)
    @blp.arguments(ClinicWriteSchema)
    @blp.response(201, ClinicAdminSchema)
    @refusals(blp, WRITE_REFUSALS)
    def post(self, values):
        """Add a clinic; the admin (member or token) who adds it administers it."""
        clinic = catalog_editing.create_clinic(values, actor_id=access.actor_id())
        db.session.commit()
        return versioned(catalog_editing.get_clinic(clinic.id), 201)


@blp.route("/clinics/<int(max=2147483647):clinic_id>")
class ClinicEditing(MethodView):
    @blp.doc(security=ADMIN_SECURITY)
    @blp.response(200, ClinicAdminSchema)
    @refusals(blp, {401: ADMIN_AUTH, 403: ADMIN_ROLE, 404: "No such clinic among the caller's."})
    def get(self, clinic_id):
        """A clinic as it is edited."""
        access.require_clinic(clinic_id, not_found=catalog_editing.ClinicNotFound)
        return versioned(catalog_editing.get_clinic(clinic_id))

    @blp.doc(security=ADMIN_SECURITY)
    @blp.arguments(patch_of(ClinicEditSchema))
    @blp.arguments(IfMatchSchema, location="headers")
    @blp.response(200, ClinicChangeSchema)
    @refusals(blp, {**WRITE_REFUSALS, 404: "No such clinic among the caller's."})
    def patch(self, values, headers, clinic_id):
        """Change a clinic: name, address, time zone, currency, language, the week's opening hours (replaced
        whole). New hours are a schedule change, as a doctor's hours are: the visits from now on that they leave
        outside the clinic's hours are cancelled by the clinic in the same transaction (with `reason`), each
        patient messaged with other times to book (`affected`, `visits`). With `dry_run` nothing is written: the
        clinic as it is, and the visits the edit would cancel."""
        access.require_clinic(clinic_id, not_found=catalog_editing.ClinicNotFound)
        dry_run, reason = values.pop("dry_run"), values.pop("reason")
        affected = catalog_editing.update_clinic(
            clinic_id, values, expected_version=expected_version(headers["if_match"]), actor_id=access.actor_id(),
            dry_run=dry_run, reason=reason)
        db.session.commit()
        return versioned(ClinicChange(catalog_editing.get_clinic(clinic_id), affected, schedules.describe(affected)))


@dataclass
class ClinicChange:
    """A clinic as it is after an edit (as it was, after a dry run) and the visits its new hours cancelled (would)."""

    clinic: Clinic
    affected: list[int]
    visits: list[schedules.AffectedVisit]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.clinic, name)


@blp.route("/specialties")
class Specialties(MethodView):
    @blp.doc(security=ADMIN_SECURITY)
    @blp.response(200, SpecialtyAdminSchema(many=True))
    @refusals(blp, {401: ADMIN_AUTH, 403: ADMIN_ROLE})
    def get(self):
        """Every specialty (shared by all clinics), with its translations."""
        return catalog_editing.specialties()

    @blp.doc(security=ADMIN_SECURITY)
    @blp.arguments(SpecialtyWriteSchema)
    @blp.response(201, SpecialtyAdminSchema)
    @refusals(blp, WRITE_REFUSALS)
    def post(self, values):
        """Add a specialty (every clinic shares it)."""
        specialty = catalog_editing.create_specialty(values, actor_id=access.actor_id())
        db.session.commit()
        return versioned(specialty, 201)


@blp.route("/specialties/<int(max=2147483647):specialty_id>")
class SpecialtyEditing(MethodView):
    @blp.doc(security=ADMIN_SECURITY)
    @blp.arguments(patch_of(SpecialtyWriteSchema))
    @blp.arguments(IfMatchSchema, location="headers")
    @blp.response(200, SpecialtyAdminSchema)
    @refusals(blp, {**WRITE_REFUSALS, 404: "No such specialty."})
    def patch(self, values, headers, specialty_id):
        """Rename a specialty or change its translations."""
        specialty = catalog_editing.update_specialty(
            specialty_id, values, expected_version=expected_version(headers["if_match"]), actor_id=access.actor_id())
        db.session.commit()
        return versioned(specialty)


class DoctorQuerySchema(PageQuerySchema):
    q = Text(load_default=None, max_length=100, metadata={"description": "A part of the doctor's name."})
    clinic_id = fields.Integer(load_default=None, validate=DB_INT)
    active = fields.Boolean(load_default=None, metadata={"description": "Only active (true) or inactive (false)."})


@blp.route("/doctors")
class Doctors(MethodView):
    @blp.doc(security=ADMIN_SECURITY)
    @blp.arguments(DoctorQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, DoctorAdminPageSchema)
    @refusals(blp, {401: ADMIN_AUTH, 403: ADMIN_ROLE})
    def get(self, q, clinic_id, active, page, per_page):
        """The caller's clinics' doctors, active and inactive, by name; paginated."""
        return page_body(catalog_editing.doctors_page(
            clinic_ids=access.current_principal().clinic_ids, clinic_id=clinic_id, query=q, active=active, page=page,
            per_page=per_page))

    @blp.doc(security=ADMIN_SECURITY)
    @blp.arguments(DoctorWriteSchema)
    @blp.response(201, DoctorAdminSchema)
    @refusals(blp, WRITE_REFUSALS)
    def post(self, values):
        """Add a doctor at one of the caller's clinics; patients can book them at once (on the clinic's hours
        until they have their own)."""
        _clinic_in_reach(values["clinic_id"])
        doctor = catalog_editing.create_doctor(values, actor_id=access.actor_id())
        db.session.commit()
        return versioned(doctor, 201)


def _doctor_in_reach(doctor_id: int) -> None:
    doctor = catalog_editing.get_doctor(doctor_id)
    access.require_clinic(doctor.clinic_id, not_found=catalog_editing.DoctorNotFound)


@blp.route("/doctors/<int(max=2147483647):doctor_id>")
class DoctorEditing(MethodView):
    @blp.doc(security=ADMIN_SECURITY)
    @blp.response(200, DoctorAdminSchema)
    @refusals(blp, {401: ADMIN_AUTH, 403: ADMIN_ROLE, 404: "No such doctor at the caller's clinics."})
    def get(self, doctor_id):
        """A doctor as they are edited (English texts beside their translations)."""
        _doctor_in_reach(doctor_id)
        return versioned(catalog_editing.get_doctor(doctor_id))

    @blp.doc(security=ADMIN_SECURITY)
    @blp.arguments(patch_of(DoctorPatchSchema))
    @blp.arguments(IfMatchSchema, location="headers")
    @blp.response(200, DoctorAdminSchema)
    @refusals(blp, {**WRITE_REFUSALS, 404: "No such doctor at the caller's clinics."})
    def patch(self, values, headers, doctor_id):
        """Change a doctor; `active: false` deactivates them (a doctor with bookings is never deleted)."""
        _doctor_in_reach(doctor_id)
        if "clinic_id" in values:
            _clinic_in_reach(values["clinic_id"])
        doctor = catalog_editing.update_doctor(doctor_id, values, expected_version=expected_version(
            headers["if_match"]), actor_id=access.actor_id())
        db.session.commit()
        return versioned(doctor)


@blp.route("/doctors/<int(max=2147483647):doctor_id>/photo")
class DoctorPhoto(MethodView):
    @blp.doc(security=ADMIN_SECURITY)
    @blp.arguments(PhotoUploadSchema, location="files")
    @blp.response(200, DoctorAdminSchema)
    @refusals(blp, {
        **{status: WRITE_REFUSALS[status] for status in (401, 403, 409)},
        404: "No such doctor at the caller's clinics.", 413: "The upload is larger than the server takes.",
        422: "No `file`, a file that is not a JPEG, PNG or WebP picture by its content, or one over 5 MB.",
    })
    def put(self, upload, doctor_id):
        """The doctor's photo: checked by its content, resized to the sizes the Mini App shows."""
        _doctor_in_reach(doctor_id)
        content = upload["file"].stream.read(photo_uploads.PHOTO_MAX_BYTES + 1)
        doctor = catalog_editing.set_doctor_photo(doctor_id, content, actor_id=access.actor_id())
        db.session.commit()
        return versioned(doctor)


UPLOADS.add(f"{blp.name}.DoctorPhoto")


@blp.route("/diagnostics")
class Diagnostics(MethodView):
    @blp.doc(security=ADMIN_SECURITY)
    @blp.response(200, DiagnosticAdminSchema(many=True))
    @refusals(blp, {401: ADMIN_AUTH, 403: ADMIN_ROLE})
    def get(self):
        """The diagnostics offered at the caller's clinics."""
        return catalog_editing.diagnostics(access.current_principal().clinic_ids)

    @blp.doc(security=ADMIN_SECURITY)
    @blp.arguments(DiagnosticWriteSchema)
    @blp.response(201, DiagnosticAdminSchema)
    @refusals(blp, WRITE_REFUSALS)
    def post(self, values):
        """Add a diagnostic offered at some of the caller's clinics."""
        for clinic_id in values["clinic_ids"]:
            _clinic_in_reach(clinic_id, "clinic_ids")
        diagnostic = catalog_editing.create_diagnostic(values, actor_id=access.actor_id())
        db.session.commit()
        return versioned(catalog_editing.get_diagnostic(diagnostic.id), 201)


@blp.route("/diagnostics/<int(max=2147483647):diagnostic_id>")
class DiagnosticEditing(MethodView):
    @blp.doc(security=ADMIN_SECURITY)
    @blp.response(200, DiagnosticAdminSchema)
    @refusals(blp, {401: ADMIN_AUTH, 403: ADMIN_ROLE, 404: "No such diagnostic at the caller's clinics."})
    def get(self, diagnostic_id):
        """A diagnostic as it is edited."""
        return versioned(_diagnostic_in_reach(diagnostic_id))

    @blp.doc(security=ADMIN_SECURITY)
    @blp.arguments(patch_of(DiagnosticWriteSchema))
    @blp.arguments(IfMatchSchema, location="headers")
    @blp.response(200, DiagnosticAdminSchema)
    @refusals(blp, {**WRITE_REFUSALS, 404: "No such diagnostic at the caller's clinics."})
    def patch(self, values, headers, diagnostic_id):
        """Change a diagnostic; it is shared by the clinics offering it, so its admin must administer all of
        them (403 otherwise)."""
        diagnostic = _diagnostic_in_reach(diagnostic_id)
        if not all(access.current_principal().sees_clinic(clinic.id) for clinic in diagnostic.clinics):
            raise Forbidden(_("This diagnostic is offered at clinics you do not administer: their admins share it."))
        for clinic_id in values.get("clinic_ids", ()):
            _clinic_in_reach(clinic_id, "clinic_ids")
        catalog_editing.update_diagnostic(diagnostic_id, values, expected_version=expected_version(
            headers["if_match"]), actor_id=access.actor_id())
        db.session.commit()
        return versioned(catalog_editing.get_diagnostic(diagnostic_id))


def _diagnostic_in_reach(diagnostic_id: int) -> Any:
    diagnostic = catalog_editing.get_diagnostic(diagnostic_id)
    if diagnostic.clinics:
        access.require_clinic([clinic.id for clinic in diagnostic.clinics],
                              not_found=catalog_editing.DiagnosticNotFound)
    return diagnostic
