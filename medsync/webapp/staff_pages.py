"""The staff pages under /app/staff/: shells in the Mini App's style whose scripts call /api/v1/staff and
/api/v1/admin, and the browser sign-in (Telegram Login Widget) that opens a session for them.

Inside Telegram the pages are opened from the bot's /staff message (a web_app button) and their scripts sign each
call with the staff member's initData. In a desktop browser the member signs in with the Login Widget; the session
cookie (HttpOnly, SameSite=Lax, Secure over HTTPS) then stands for them, and every write also carries the session's
CSRF token. medsync.api.access decides what either may do.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from medsync import clock
from medsync.api import access
from medsync.auth.login_widget import LoginError, verify_login
from medsync.config import current_settings
from medsync.extensions import db
from medsync.services import staff_accounts, staff_sessions
from medsync.webapp.staff_texts import staff_texts
from medsync.webapp import views

STAFF_PREFIX = "/app/staff/"
# The Login Widget is an iframe of oauth.telegram.org, loaded by telegram.org's script.
LOGIN_CONTENT_SECURITY_POLICY = views.CONTENT_SECURITY_POLICY + "; frame-src https://oauth.telegram.org"


blueprint = Blueprint("staff_pages", __name__, url_prefix="/app/staff", template_folder="templates")
views.share_page_setup(blueprint)


@blueprint.get("/", strict_slashes=False)
def home() -> Response:
    """Who is signed in, their role and clinics; the navigation to every staff page."""
    return staff_page("staff/home.html")


@blueprint.get("/desk")
def desk() -> Response:
    """The front desk: a clinic day as a grid to book callers into, a visit's marks and note, finding a patient."""
    return staff_page("staff/desk.html")

@blueprint.get("/doctors")
def doctors() -> Response:
    """The clinics' doctors: search by name, active or inactive; admins add one."""
    return staff_page("staff/doctors.html")


@blueprint.get("/doctors/new")
def new_doctor() -> Response:
    """The form for a new doctor (admins)."""
    return staff_page("staff/doctor.html", doctor_id=None)


@blueprint.get("/doctors/<int(max=2147483647):doctor_id>")
def doctor(doctor_id: int) -> Response:
    """A doctor's details and photo; admins change them."""
    return staff_page("staff/doctor.html", doctor_id=doctor_id)


@blueprint.get("/clinics")
def clinics() -> Response:
    """The caller's clinics: address, time zone, currency, opening hours."""
    return staff_page("staff/clinics.html")


@blueprint.get("/diagnostics")
def diagnostics() -> Response:
    """The tests offered at the caller's clinics."""
    return staff_page("staff/diagnostics.html")


@blueprint.get("/audit")
def audit() -> Response:
    """The audit log of the caller's clinics (admins)."""
    return staff_page("staff/audit.html")


@blueprint.get("/login")
def login() -> Response:
    """The browser's way in: Telegram's Login Widget, which sends the member back to staff_login_telegram."""
    next_page = _staff_path(request.args.get("next"))
    if access.browser_session() is not None:
        return redirect(next_page, 303)
    return _login_page(next_page)


@blueprint.get("/login/telegram")
def login_telegram() -> Response:
    """Where the Login Widget sends a signed-in account: a staff member gets a session, anyone else a refusal."""
    next_page = _staff_path(request.args.get("next"))
    fields = {name: value for name, value in request.args.items() if name != "next"}  # `next` is ours, not Telegram's
    settings = current_settings()
    try:
        login = verify_login(fields, settings.BOT_TOKEN, max_age=settings.STAFF_LOGIN_MAX_AGE, now=clock.now())
    except LoginError as refused:
        message = _("This sign-in has expired. Please sign in again.") if refused.reason == "expired" else _(
            "This sign-in did not come from Telegram. Please sign in again.")
        return _login_page(next_page, refusal=message, status=401)
    member = staff_accounts.active_member(login.telegram_id)
    db.session.commit()
    if member is None:
        return _login_page(next_page, refusal=_("This Telegram account is not an active clinic staff member."),
                           status=403)
    token, _session = staff_sessions.open_session(member.id)
    response = redirect(next_page, 303)
    response.set_cookie(access.SESSION_COOKIE, token, max_age=int(settings.STAFF_SESSION_TTL.total_seconds()),
                        path="/", secure=request.is_secure, httponly=True, samesite="Lax")
    return response


@blueprint.post("/logout")
def logout() -> Response:
    """Sign out of this browser (a form with the session's CSRF token: no other site can sign a member out)."""
    if access.browser_session() is not None:
        access.current_principal()  # refuses a form without the session's CSRF token (403)
        staff_sessions.close_session(request.cookies.get(access.SESSION_COOKIE))
    response = redirect(url_for("staff_pages.login"), 303)
    response.delete_cookie(access.SESSION_COOKIE, path="/", secure=request.is_secure, httponly=True, samesite="Lax")
    return response


def staff_page(template: str, **context: Any) -> Response:
    """A staff page: the same for every member (their data comes from the API), with the browser session's CSRF
    token when there is one; never cached (it may carry that token)."""
    signed_in = access.browser_session()
    response = make_response(render_template(
        template, csrf_token=signed_in[1] if signed_in else None, staff_texts=staff_texts(), **context,
    ))
    response.headers["Cache-Control"] = "no-store"
    return response


def _login_page(next_page: str, *, refusal: str | None = None, status: int = 200) -> Response:
    auth_url = url_for("staff_pages.login_telegram", next=next_page, _external=True)
    response = make_response(render_template(
        "staff/login.html", bot_username=current_settings().BOT_USERNAME, auth_url=auth_url, next=next_page,
        refusal=refusal,
    ), status)
    response.headers["Content-Security-Policy"] = LOGIN_CONTENT_SECURITY_POLICY
    response.headers["Cache-Control"] = "no-store"
    return response


def _staff_path(path: str | None) -> str:
    """A staff page of ours to go to after signing in; never a way off the site."""
    if path and path.startswith(STAFF_PREFIX) and not path.startswith(STAFF_PREFIX + "login") and "\\" not in path:
        return path
    return STAFF_PREFIX
