"""Administration REST API (/api/v1/admin): the clinics' catalog and schedules, and the audit trail.

Callers act in a role (a staff member by initData or browser session, or a staff token issued with `--role`), at
their clinics only (medsync.api.access): any role reads, only admins write; another clinic's object is not found.
"""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from medsync.api import access
from medsync.api.json_body import require_json_object
from medsync.api.pages import page_body
from medsync.api.refusals import refusals
from medsync.api.schemas import DB_INT, PageQuerySchema, PaginationSchema
from medsync.models import StaffRole
from medsync.services import audit

blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin",
                description="Clinic administration: any staff role reads, admins write, each at their own clinics.")

ADMIN_SECURITY = [{"bearer": []}, {"tma": []}]
ADMIN_AUTH = ("No valid `Authorization: Bearer <staff token>` nor a staff member's `Authorization: tma <initData>` "
              "(missing, unknown, revoked, badly signed or expired).")
ADMIN_ROLE = ("A token issued without a role, initData of an account that is not active staff, or (for a write, and "
              "for the audit trail) a role other than admin.")
# Writes that send a file rather than a JSON object.
UPLOADS: set[str] = set()


@blp.before_request
def _staff_in_a_role() -> None:
    """Every route: a caller in a role (401/403 before anything else is looked at); writes: an admin, JSON bodies."""
    if request.method == "OPTIONS":
        return
    access.require_staff_role()
    if request.method not in access.SAFE_METHODS:
        access.require_role(StaffRole.ADMIN)
        if request.endpoint not in UPLOADS:
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
