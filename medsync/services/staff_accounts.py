"""Staff accounts: a one-time invite (its code stored only hashed) that binds a Telegram account; listing, revoking."""
from __future__ import annotations

import hashlib
import logging
import re
import secrets
import uuid
from collections.abc import Collection
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from medsync import clock
from medsync.config import current_settings
from medsync.errors import Forbidden, InvalidRequest, NotFound
from medsync.extensions import db
from medsync.models import Clinic, Doctor, MessageKind, StaffMember, StaffRole
from medsync.services import outbox

INVITE_PREFIX = "staff-"
# Deep-link parameters are at most 64 characters of A-Z a-z 0-9 _ - (Telegram's rule).
_CODE = re.compile(r"[A-Za-z0-9_-]{16,58}")
_ACTOR = re.compile(r"staff:(\d{1,18})")

log = logging.getLogger(__name__)

# What the workers do for an account's chat when its access changes (outbox rows of kind "reply", delivered by
# medsync.bot.replies): bring the chat's command list in step; and that, then tell its owner their access ended.
SYNC_CHAT_COMMANDS = "syncStaffCommands"
ACCESS_ENDED = "staffAccessEnded"


class InviteInvalid(NotFound):
    default_message = _l("This invite link is invalid, already used or expired.")


class AlreadyStaff(InvalidRequest):
    default_message = _l("This Telegram account is already a staff member.")


class NotAllowed(Forbidden):
    """The member's role does not allow this (a doctor starting a reminder run, reception setting the group)."""


class StaffNotFound(NotFound):
    default_message = _l("No active staff member or open invite with this id.")


def invite(*, role: StaffRole, clinic_ids: Collection[int] = (), doctor_id: int | None = None,
           name: str | None = None, now: datetime | None = None) -> tuple[StaffMember, str]:
    """A staff member waiting for their Telegram account; returns the row and the invite code (shown once)."""
    clinics = _clinics_for(role, list(clinic_ids), doctor_id)
    code = secrets.token_urlsafe(24)
    member = StaffMember(
        name=(name or "").strip()[:120] or None, role=role.value, doctor_id=doctor_id,
        invite_hash=_hash(code), invite_expires_at=(now or clock.now()) + current_settings().STAFF_INVITE_TTL,
        clinics=clinics,
    )
    db.session.add(member)
    db.session.flush()
    return member, code


def _clinics_for(role: StaffRole, clinic_ids: list[int], doctor_id: int | None) -> list[Clinic]:
    """The clinics the member works at: those named, or a doctor's own clinic; refused when they do not add up."""
    if (role is StaffRole.DOCTOR) != (doctor_id is not None):
        raise InvalidRequest("A doctor's account names their doctor (--doctor); other roles name none.")
    if doctor_id is not None:
        doctor = db.session.get(Doctor, doctor_id)
        if doctor is None:
            raise InvalidRequest(f"There is no doctor {doctor_id}.")
        if set(clinic_ids) - {doctor.clinic_id}:
            raise InvalidRequest(f"Doctor {doctor_id} works at clinic {doctor.clinic_id} only.")
        clinic_ids = [doctor.clinic_id]
    return clinics_named(clinic_ids)


def clinics_named(clinic_ids: Collection[int]) -> list[Clinic]:
    """The clinics a member or a staff token is given (--clinic), by id; refused when none or an unknown one."""
    if not clinic_ids:
        raise InvalidRequest("Name at least one clinic (--clinic).")
    clinics = list(db.session.scalars(select(Clinic).where(Clinic.id.in_(list(clinic_ids))).order_by(Clinic.id)))
    missing = sorted(set(clinic_ids) - {clinic.id for clinic in clinics})
    if missing:
        raise InvalidRequest(f"There is no clinic {', '.join(map(str, missing))}.")
    return clinics


def bind(code: str, *, telegram_id: int, display_name: str, now: datetime | None = None) -> StaffMember:
    """Open an invite: the first opening binds this account; a later, late or unknown one is refused (InviteInvalid)."""
    # One UPDATE decides: a concurrent opening waits for the row lock and then no longer matches.
    if not _CODE.fullmatch(code):
        log.info("a staff invite was refused: not a well-formed code")
        raise InviteInvalid()
    now = now or clock.now()
    try:
        with db.session.begin_nested():
            member_id = db.session.execute(
                update(StaffMember)
                .where(StaffMember.invite_hash == _hash(code), StaffMember.bound_at.is_(None),
                       StaffMember.revoked_at.is_(None), StaffMember.invite_expires_at > now)
                .values(telegram_id=telegram_id, bound_at=now,
                        name=db.func.coalesce(StaffMember.name, display_name.strip()[:120] or None))
                .returning(StaffMember.id)
            ).scalar_one_or_none()
    except IntegrityError:
        log.info("a staff invite was refused: the account is already an active staff member")
        raise AlreadyStaff() from None  # uq_staff_members_active_account: one active membership per account
    if member_id is None:
        log.info("a staff invite was refused: unknown, already used, revoked or expired")
        raise InviteInvalid()
    # The code itself never reaches the logs; the member's id is what an operator needs.
    log.info("staff member %s bound a Telegram account", member_id)
    _queue_for_chat(telegram_id, SYNC_CHAT_COMMANDS, outbox.dedupe_key("staff", member_id, "commands"))
    return db.session.get(StaffMember, member_id, populate_existing=True)


def active_member(telegram_id: int) -> StaffMember | None:
    """The staff member this Telegram account acts as now; None for patients and revoked staff."""
    return db.session.scalar(
        select(StaffMember).where(StaffMember.telegram_id == telegram_id, StaffMember.revoked_at.is_(None))
        .execution_options(populate_existing=True)
    )


def active_member_by_id(member_id: int) -> StaffMember | None:
    """The member with this id while they are active (bound, not revoked); None otherwise."""
    return db.session.scalar(
        select(StaffMember).where(StaffMember.id == member_id, StaffMember.telegram_id.is_not(None),
                                  StaffMember.revoked_at.is_(None))
        .execution_options(populate_existing=True)
    )


def member_signing(actor_id: str | None) -> StaffMember | None:
    """The active, bound member behind an audit signature "staff:<id>"; None for anyone else."""
    match = _ACTOR.fullmatch(actor_id or "")
    if match is None:
        return None
    member = db.session.get(StaffMember, int(match.group(1)))
    return member if member is not None and member.telegram_id is not None and member.revoked_at is None else None


def revoke(staff_id: int, *, now: datetime | None = None) -> StaffMember:
    """Revoke a member (or an unopened invite): their next update is treated as a patient's."""
    member = db.session.scalar(
        select(StaffMember).where(StaffMember.id == staff_id, StaffMember.revoked_at.is_(None)).with_for_update()
    )
    if member is None:
        raise StaffNotFound()
    member.revoked_at = now or clock.now()
    db.session.flush()
    if member.telegram_id is not None:
        _queue_for_chat(member.telegram_id, ACCESS_ENDED, outbox.dedupe_key("staff", member.id, "access-ended"))
    return member


def language_changed(telegram_id: int) -> None:
    """The account chose another language: an active member's chat gets its command list again, in that language."""
    member_id = db.session.scalar(
        select(StaffMember.id).where(StaffMember.telegram_id == telegram_id, StaffMember.revoked_at.is_(None))
    )
    if member_id is not None:
        _queue_for_chat(telegram_id, SYNC_CHAT_COMMANDS, outbox.dedupe_key("staff", member_id, "commands", uuid.uuid4().hex[:16]))


def active_accounts() -> list[int]:
    """The Telegram accounts of every active member (bound, not revoked)."""
    return list(db.session.scalars(
        select(StaffMember.telegram_id).where(StaffMember.telegram_id.is_not(None), StaffMember.revoked_at.is_(None))
        .order_by(StaffMember.id)
    ))


def _queue_for_chat(telegram_id: int, action: str, dedupe_key: str) -> None:
    """A row for the workers, written with the change itself: delivered after the commit, retried while Telegram is
    down, lost never."""
    outbox.queue_message(MessageKind.REPLY, booking_id=None, chat_id=telegram_id, dedupe_key=dedupe_key,
                         payload={"reply": {"method": action}})


def list_members() -> list[StaffMember]:
    """Every member and invite, oldest first, with their doctor and clinics."""
    return list(db.session.scalars(
        select(StaffMember).options(joinedload(StaffMember.doctor), joinedload(StaffMember.account))
        .order_by(StaffMember.id)
    ))


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
