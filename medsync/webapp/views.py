"""The Mini App's pages. Catalog pages are rendered here from the catalog snapshot (cacheable, no API round
trip before the first paint); the patient's pages are shells whose scripts call /api/v1 with initData."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import EXCLUDE, ValidationError

from medsync import clock
from medsync.api.schemas import DoctorFilterSchema
from medsync.config import current_settings
from medsync.errors import DomainError, InvalidRequest, NotFound, NotOffered
from medsync.i18n import LANGUAGES, current_language
from medsync.models import PATIENT_FIELD_LIMITS
from medsync.services import catalog, photo_uploads
from medsync.webapp import avatars, compression
from medsync.webapp.i18n import my_data_texts, script_texts, zone_cities

blueprint = Blueprint(
    "webapp", __name__, url_prefix="/app", template_folder="templates", static_folder="static",
)

# Catalog pages hold nothing personal: any cache may keep them for a minute, then revalidate by ETag.
CATALOG_CACHE = "public, max-age=60"
# Telegram's script (telegram.org) drives the Mini App; in web.telegram.org's frame it injects a <style>
# element, hence 'unsafe-inline' for styles only. Pictures may be hosted elsewhere (https:).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' https://telegram.org; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
)


LANGUAGE_COOKIE = "medsync_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

# The API's filter, so the page and /api/v1/doctors read a query string alike; anything else in it is ignored.
DOCTOR_FILTER = DoctorFilterSchema(unknown=EXCLUDE)


def _page_globals() -> dict[str, Any]:
    here = request.path + (f"?{request.query_string.decode('latin-1')}" if request.query_string else "")
    return {"locale": current_language(), "script_texts": script_texts(), "zone_cities": zone_cities(), "languages": LANGUAGES,
            "here": here}


def _security_headers(response: Response) -> Response:
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)  # a page may widen it
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _error_page(error: DomainError) -> tuple[str, int]:
    """A missing doctor or a bad filter: a page saying so, not a JSON body."""
    return render_template("error.html", message=error.message), error.http_status


def share_page_setup(pages: Blueprint) -> None:
    """What every blueprint of Mini App pages has (this one, the staff pages): the base template's values, the
    security headers, compression (pages, styles and scripts travel compressed when the browser asks; the API's JSON
    does not: see compression.py) and error pages."""
    pages.context_processor(_page_globals)
    pages.after_request(_security_headers)
    pages.after_request(compression.compressed)
    pages.errorhandler(DomainError)(_error_page)


share_page_setup(blueprint)


@blueprint.get("/", strict_slashes=False)
def home() -> Response:
    """See a doctor · Get tested · My bookings · My results."""
    return catalog_page("home.html")


@blueprint.get("/see_a_doctor")
def doctors() -> Response:
    """Doctors, filtered by specialty and clinic chips and a name search (a plain GET form)."""
    try:
        chosen = DOCTOR_FILTER.load(request.args)
    except ValidationError as exc:
        raise InvalidRequest(_("This filter is not valid."), errors=exc.normalized_messages()) from None
    language = current_language()
    snapshot = catalog.current_catalog(language)
    found = catalog.find_doctors(
        specialty_id=chosen.get("specialty_id"), clinic_id=chosen.get("clinic_id"), query=chosen.get("q"),
        language=language,
    )
    # What a specialty chip keeps of the current filter: only what is set, so its link names no empty filter.
    kept = {name: value for name, value in chosen.items() if name != "specialty_id" and value not in (None, "")}
    return catalog_page(
        "doctors.html", doctors=found, specialties=snapshot.specialties, clinics=list(snapshot.clinics.values()),
        chosen=chosen, kept=kept,
    )


@blueprint.get("/doctors/<int(max=2147483647):doctor_id>")
def doctor(doctor_id: int) -> Response:
    """A doctor's profile: photo, rating, price, experience, services, clinic and address."""
    return catalog_page("doctor.html", doctor=catalog.get_doctor(doctor_id, current_language()))


@blueprint.get("/get_tested")
def diagnostics() -> Response:
    """The tests one can book."""
    return catalog_page("diagnostics.html", diagnostics=list(catalog.current_catalog(current_language()).diagnostics.values()))


@blueprint.get("/diagnostics/<int(max=2147483647):diagnostic_id>")
def diagnostic(diagnostic_id: int) -> Response:
    """A test and the clinics offering it."""
    return catalog_page("diagnostic.html", diagnostic=catalog.get_diagnostic(diagnostic_id, current_language()))


@blueprint.get("/doctors/<int(max=2147483647):doctor_id>/book")
def book_doctor(doctor_id: int) -> Response:
    """The slot picker and the form for a doctor's visit."""
    doctor = catalog.get_doctor(doctor_id, current_language())
    return booking_page(
        kind="doctor", service_id=doctor.id, clinic=doctor.clinic, service=doctor.full_name,
        subtitle=doctor.specialty.name, price_text=doctor.price_text, back=f"/app/doctors/{doctor.id}",
    )


@blueprint.get("/diagnostics/<int(max=2147483647):diagnostic_id>/clinics/<int(max=2147483647):clinic_id>/book")
def book_diagnostic(diagnostic_id: int, clinic_id: int) -> Response:
    """The slot picker and the form for a test at the chosen clinic."""
    diagnostic = catalog.get_diagnostic(diagnostic_id, current_language())
    try:
        offer = catalog.offer_at(clinic_id, diagnostic_id=diagnostic.id, language=current_language())
    except NotOffered:  # the clinic is in the URL: a page that does not exist (see catalog.offer_at)
        raise NotFound(_("This clinic does not offer this test.")) from None
    return booking_page(
        kind="diagnostic", service_id=diagnostic.id, clinic=offer.clinic, service=diagnostic.name,
        subtitle=None, price_text=offer.price_text, back=f"/app/diagnostics/{diagnostic.id}",
    )


@blueprint.get("/reschedule/<int(max=2147483647):booking_id>")
def reschedule(booking_id: int) -> Response:
    """The bot's Reschedule deep link: the same slot picker, for one of the patient's bookings."""
    return booking_page(kind="reschedule", booking_id=booking_id, back="/app/bookings")


@blueprint.get("/bookings")
def my_bookings() -> Response:
    """Upcoming and past bookings, with cancel and reschedule (loaded by the page's script)."""
    return catalog_page("bookings.html", page_texts=my_data_texts())


@blueprint.get("/results")
def my_results() -> Response:
    """Test results: open the PDF or have the bot send it to the chat (loaded by the page's script)."""
    return catalog_page("results.html")


@blueprint.get("/language")
def choose_language() -> Response:
    """The language selector: this browser's pages in the language chosen (a cookie; for a patient signed in by
    Telegram the page's script stores the choice through the API first), then back to the page it was made on."""
    chosen = request.args.get("language")
    back = request.args.get("next", "")
    if not back.startswith(blueprint.url_prefix + "/"):  # a path of ours only: never a way off the site
        back = url_for("webapp.home")
    response = redirect(back, 303)
    if chosen in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=LANGUAGE_COOKIE_AGE, path=blueprint.url_prefix,
                            secure=request.is_secure, httponly=True, samesite="Lax")
    return response


def cookie_language() -> str | None:
    """The language the selector chose for this browser, if any (the pages' language source, medsync.i18n)."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    return chosen if chosen in LANGUAGES else None


@blueprint.get("/photos/<any(doctors, diagnostics):kind>/<slug>.svg")
def photo(kind: str, slug: str) -> Response:
    """Never a broken image: a drawn avatar for a doctor or a test without a photo (cached for a day)."""
    return avatars.svg_response(kind, slug)


@blueprint.get("/photos/uploads/<string(length=64):digest>-<int:size>.webp")
def uploaded_photo(digest: str, size: int) -> Response:
    """A photo an admin uploaded, at one of its sizes; its name is its content's hash, so it never changes."""
    photo = photo_uploads.uploaded(digest, size)
    if photo is None:
        raise NotFound()
    response = make_response(photo.content)
    response.mimetype = photo.content_type
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def catalog_page(template: str, **context: Any) -> Response:
    """A page the same for everyone: ETag and a short public cache; 304 when unchanged."""
    response = make_response(render_template(template, **context))
    response.headers["Cache-Control"] = CATALOG_CACHE
    response.vary.update(("Accept-Language", "Cookie"))  # the page's language follows them (cookie_language)
    response.add_etag()
    return response.make_conditional(request)


def booking_page(*, kind: str, back: str, clinic: catalog.ClinicInfo | None = None, **context: Any) -> Response:
    """The slot picker: the server's now and horizon go into the page, so the days shown follow the server."""
    settings = current_settings()
    response = make_response(render_template(
        "book.html", kind=kind, clinic=clinic, back=back, now=clock.now().isoformat(),
        horizon_days=settings.BOOKING_HORIZON_DAYS, limits=PATIENT_FIELD_LIMITS, **context,
    ))
    response.headers["Cache-Control"] = "no-cache"
    return response
