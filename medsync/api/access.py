"""Who a staff caller is and what they may do: the one place deciding it for every staff surface.

The staff API (`/api/v1/staff`), the admin API (`/api/v1/admin`) and the staff pages (`/app/staff/`) all ask here.
Every way in gives one `Principal`:

- a staff member's Telegram initData, `Authorization: tma …` (the staff pages inside Telegram);
- a staff API token, `Authorization: Bearer …` (integrations; issued by `flask medsync create-staff-token`);
- a browser session after a Telegram Login Widget sign-in (the staff pages in a desktop browser): the session
  cookie, and for every write the session's CSRF token.

Objects of a clinic outside the caller's reach do not exist for them (404, as a patient's foreign booking); an
object in reach that the caller's role may not change is refused with 403 and a message saying who may.
"""
from __future__ import annotations

import hmac
from collections.abc import Collection
from dataclasses import dataclass

from flask import request
from flask_babel import lazy_gettext as _l

from medsync.api.auth import verified_init_data
from medsync.errors import BookingNotFound, Forbidden, NotFound, Unauthorized
from medsync.extensions import db
from medsync.models import Booking, StaffMember, StaffRole, StaffToken
from medsync.services import staff_accounts, staff_sessions, staff_tokens

# The rights each role holds: an admin does what reception does, and reception what a doctor does (for every visit
# of their clinics rather than their own). A token issued without a role holds reception's rights everywhere.
_HOLDS: dict[StaffRole | None, frozenset[StaffRole]] = {
    StaffRole.ADMIN: frozenset(StaffRole),
    StaffRole.RECEPTION: frozenset({StaffRole.RECEPTION, StaffRole.DOCTOR}),
    StaffRole.DOCTOR: frozenset({StaffRole.DOCTOR}),
    None: frozenset({StaffRole.RECEPTION, StaffRole.DOCTOR}),
}
# Who may, as the refusal says it (the weakest role that may).
_ONLY = {
    StaffRole.ADMIN: _l("Only a clinic admin may do this."),
    StaffRole.RECEPTION: _l("Only reception or a clinic admin may do this."),
    StaffRole.DOCTOR: _l("Only clinic staff may do this."),
}
_NO_ROLE = _l("This staff token has no role, so it may not administer: issue one with --role and --clinic.")
_NOT_STAFF = _l("This Telegram account is not an active clinic staff member.")
_SIGN_IN = _l("Sign in as clinic staff: Authorization: Bearer <staff token>, or tma <initData> of a staff member.")
_CSRF = _l("This page's session check is missing or out of date. Reload the page and try again.")
_PRINCIPAL = "medsync.staff_principal"
SESSION_COOKIE = "medsync_staff"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Principal:
    """A staff caller: how they sign the audit trail, their role, and the clinics they act for."""

    actor_id: str  # "staff:<member id>" or "staff-token:<token id>"
    role: StaffRole | None  # None: a token issued without a role (staff endpoints everywhere, no administration)
    clinic_ids: frozenset[int] | None  # None: every clinic
    doctor_id: int | None = None  # a doctor's own doctor row
    name: str | None = None

    def holds(self, role: StaffRole) -> bool:
        """Whether the caller has this role's rights (an admin holds reception's, reception a doctor's)."""
        return role in _HOLDS[self.role]

    def sees_clinic(self, clinic_id: int | None) -> bool:
        return clinic_id is not None and (self.clinic_ids is None or clinic_id in self.clinic_ids)

    def sees_booking(self, booking: Booking) -> bool:
        """A doctor sees their own visits; everyone else their clinics' visits."""
        if self.role is StaffRole.DOCTOR:
            return booking.doctor_id == self.doctor_id
        return self.sees_clinic(booking.clinic_id)

    @classmethod
    def of_member(cls, member: StaffMember) -> Principal:
        return cls(actor_id=member.actor_id, role=StaffRole(member.role), clinic_ids=frozenset(member.clinic_ids),
                   doctor_id=member.doctor_id, name=member.name)

    @classmethod
    def of_token(cls, token: StaffToken) -> Principal:
        clinic_ids = token.clinic_ids
        return cls(actor_id=token.actor_id, role=StaffRole(token.role) if token.role else None,
                   clinic_ids=None if clinic_ids is None else frozenset(clinic_ids), name=token.name)


def current_principal() -> Principal:
    """The request's staff caller, authenticated once per request: 401 without valid credentials, 403 for a
    Telegram account that is not (or no longer) staff."""
    principal = request.environ.get(_PRINCIPAL)
    if principal is None:
        principal = _authenticate()
        request.environ[_PRINCIPAL] = principal  # per request (g may outlive one, e.g. in tests)
    return principal


def _authenticate() -> Principal:
    scheme, _space, credentials = request.headers.get("Authorization", "").partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    if scheme == "bearer" and credentials:
        token = staff_tokens.authenticate(credentials)
        principal = Principal.of_token(token)  # read before a commit expires the row
        if staff_tokens.note_used(token):
            # last_used_at is bookkeeping of its own: it must not wait for (or depend on) the request's commit.
            db.session.commit()
        return principal
    if scheme == "tma":
        member = staff_accounts.active_member(verified_init_data().user.id)
        if member is None:
            raise Forbidden(_NOT_STAFF)
        return Principal.of_member(member)
    signed_in = browser_session()
    if signed_in is None:
        raise Unauthorized(_SIGN_IN)
    principal, csrf_token = signed_in
    if request.method not in SAFE_METHODS and not _same_token(csrf_token):
        raise Forbidden(_CSRF)
    return principal


def browser_session() -> tuple[Principal, str] | None:
    """The staff member signed in to this browser (the session cookie) and their session's CSRF token; None without a
    live session of an active member. The staff pages render the token for their scripts and forms."""
    session = staff_sessions.session_of(request.cookies.get(SESSION_COOKIE))
    member = staff_accounts.active_member_by_id(session.member_id) if session is not None else None
    if member is None:
        return None
    return Principal.of_member(member), session.csrf_token


def _same_token(csrf_token: str) -> bool:
    """A write made with the session cookie must prove it comes from our page: the session's CSRF token, sent as
    the X-CSRF-Token header (scripts) or the csrf_token form field (forms). SameSite=Lax alone leaves same-site
    pages and old browsers."""
    sent = request.headers.get(CSRF_HEADER) or (request.form.get("csrf_token") if request.mimetype in _FORMS else None)
    return bool(sent) and hmac.compare_digest(sent.encode(), csrf_token.encode())


def require_role(*roles: StaffRole) -> Principal:
    """The caller, if they hold one of these roles' rights; 403 naming who may otherwise."""
    principal = current_principal()
    if not any(principal.holds(role) for role in roles):
        weakest = min(roles, key=lambda role: len(_HOLDS[role]))
        raise Forbidden(_ONLY[weakest])
    return principal


def require_staff_role() -> Principal:
    """The caller, if they act in a role (a member, or a token issued with one): the admin API's first gate."""
    principal = current_principal()
    if principal.role is None:
        raise Forbidden(_NO_ROLE)
    return principal


def require_clinic(clinic_ids: int | Collection[int] | None, *, to_change: StaffRole | None = None,
                   not_found: type[NotFound] = NotFound) -> Principal:
    """The caller, if the object of these clinics (one of them suffices) is within their reach — else it does not
    exist for them (404) — and, with `to_change`, if their role may change it (403 otherwise)."""
    principal = current_principal()
    ids = [clinic_ids] if isinstance(clinic_ids, int) or clinic_ids is None else list(clinic_ids)
    if not any(principal.sees_clinic(clinic_id) for clinic_id in ids):
        raise not_found()
    if to_change is not None:
        require_role(to_change)
    return principal


def require_booking(booking: Booking) -> Principal:
    """The caller, if the booking is one they see (a doctor: their own visits); else it does not exist (404)."""
    principal = current_principal()
    if not principal.sees_booking(booking):
        raise BookingNotFound()
    return principal


def actor_id() -> str:
    """How the request's staff caller signs the audit trail and the bookings' events."""
    return current_principal().actor_id
