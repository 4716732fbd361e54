"""/api/v1/me: the signed-in patient's own data — a copy to download (export) and its erasure."""
from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import Response, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from medsync.api.auth import current_patient_id, current_patient_profile, verified_init_data
from medsync.api.refusals import PATIENT_AUTH, refusals
from medsync.api.schemas import DataExportSchema, ErasureSchema
from medsync.extensions import db
from medsync.models import DataExport
from medsync.services import data_export, erasure

blp = Blueprint(
    "my_data", __name__, url_prefix="/api/v1",
    description="The patient's own data: a copy of it (a ZIP built by a worker, sent to their chat and downloadable "
                "here) and its erasure. Needs `Authorization: tma <initData>`; only ever the caller's own data.",
)

TMA = [{"tma": []}]
ZIP = {"type": "string", "format": "binary"}
TOO_SOON = ("An export was asked for less than an hour ago (one an hour per patient); `Retry-After` says when to "
            "ask again.")


@blp.before_request
def require_patient() -> None:
    """Every route here needs a verified patient: refuse (401) before anything else."""
    if request.method != "OPTIONS":  # CORS preflights carry no credentials
        verified_init_data()


@blp.route("/me/export")
class MyExport(MethodView):
    @blp.response(202, DataExportSchema)
    @refusals(blp, {401: PATIENT_AUTH, 429: TOO_SOON})
    @blp.doc(security=TMA)
    def post(self) -> DataExport:
        """Ask for a copy of my data: a worker builds a ZIP (JSON of my profile, bookings with their history,
        messages and results, plus the result PDFs) and sends it to my Telegram chat."""
        export = data_export.request_export(current_patient_profile())
        db.session.commit()
        return export

    @blp.response(200, DataExportSchema)
    @refusals(blp, {401: PATIENT_AUTH, 404: "This patient never asked for an export (or it was deleted)."})
    @blp.doc(security=TMA)
    def get(self) -> DataExport:
        """My latest export and how far it got."""
        export = data_export.latest_export(current_patient_id())
        if export is None:
            raise data_export.ExportNotFound()
        return export


@blp.route("/me/export/file")
class MyExportFile(MethodView):
    @blp.response(200, ZIP, content_type="application/zip", description="My latest ready export, as an attachment.")
    @refusals(blp, {401: PATIENT_AUTH, 404: "No ready export of this patient.",
                    500: "The stored export failed its integrity check: nothing is served."})
    @blp.doc(security=TMA)
    def get(self) -> Response:
        """Download my latest ready export (stored encrypted, decrypted in memory)."""
        export = data_export.ready_export(current_patient_id())
        response = send_file(BytesIO(data_export.export_content(export)), mimetype="application/zip",
                             as_attachment=True, download_name=data_export.file_name(export))
        response.headers["Cache-Control"] = "private, no-store"
        return response


@blp.route("/me")
class Me(MethodView):
    @blp.response(202, ErasureSchema)
    @refusals(blp, {401: PATIENT_AUTH})
    @blp.doc(security=TMA)
    def delete(self) -> dict[str, Any]:
        """Erase my data: upcoming visits cancelled, results deleted, my name, phone, e-mail and Telegram profile
        removed everywhere (past bookings kept anonymised for the clinics' records). Asking again changes nothing."""
        done = erasure.erase_patient(current_patient_id())
        db.session.commit()
        return {"status": "erased", "cancelled": done.cancelled, "anonymised": done.anonymised,
                "results_deleted": done.results_deleted, "message": erasure.notice(done)}
