"""`flask medsync` commands for staff accounts in Telegram: invite-staff, list-staff, revoke-staff."""
from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from medsync import clock
from medsync.bot import get_bot
from medsync.config import current_settings
from medsync.errors import InvalidRequest
from medsync.extensions import db
from medsync.models import StaffMember, StaffRole
from medsync.services import staff_accounts


@click.command("invite-staff")
@click.option("--role", type=click.Choice([role.value for role in StaffRole]), required=True)
@click.option("--clinic", "clinic_ids", type=int, multiple=True, help="A clinic the member works at (repeatable).")
@click.option("--doctor", "doctor_id", type=int, default=None, help="For --role doctor: which doctor they are.")
@click.option("--name", default=None, help="How the member is listed (default: their Telegram name).")
@with_appcontext
def invite_staff(role: str, clinic_ids: tuple[int, ...], doctor_id: int | None, name: str | None) -> None:
    """Print a one-time invite link; opening it in Telegram makes that account a staff member."""
    username = _bot_username()
    try:
        member, code = staff_accounts.invite(role=StaffRole(role), clinic_ids=clinic_ids, doctor_id=doctor_id,
                                             name=name)
    except InvalidRequest as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    expires = member.invite_expires_at.strftime("%Y-%m-%d %H:%M %Z")
    click.echo(f"Invite #{member.id}: {_describe(member)}. It works once, until {expires}; send it only to "
               "the person it is for:", err=True)
    click.echo(f"https://t.me/{username}?start={staff_accounts.INVITE_PREFIX}{code}")


@click.command("list-staff")
@with_appcontext
def list_staff() -> None:
    """Every staff member and invite: id, state, role, clinics, Telegram account."""
    now = clock.now()
    members = staff_accounts.list_members()
    if not members:
        click.echo("no staff members")
    for member in members:
        account = "-"
        if member.account is not None:
            account = f"@{member.account.username} ({member.telegram_id})" if member.account.username else str(
                member.telegram_id)
        click.echo(f"#{member.id}\t{member.state(now)}\t{_describe(member)}\t{account}")


@click.command("revoke-staff")
@click.argument("staff_id", type=int)
@with_appcontext
def revoke_staff(staff_id: int) -> None:
    """Revoke a staff member (or an unopened invite): from their next message on they are a patient to the bot; the
    workers take the staff commands out of their chat and tell them their access ended."""
    try:
        member = staff_accounts.revoke(staff_id)
    except staff_accounts.StaffNotFound as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"revoked staff member #{member.id} ({_describe(member)})")


def _describe(member: StaffMember) -> str:
    """'Olena Koval, doctor (Dr. Olena Koval) at Clinic 1'."""
    role = member.role if member.doctor is None else f"{member.role} ({member.doctor.full_name})"
    clinics = ", ".join(clinic.name for clinic in member.clinics)
    return f"{member.name + ', ' if member.name else ''}{role} at {clinics}"


def _bot_username() -> str:
    """BOT_USERNAME, or the bot's own answer to getMe."""
    username = current_settings().BOT_USERNAME
    if username:
        return username
    bot = get_bot()
    if bot is None:
        raise click.ClickException("Set BOT_USERNAME (or BOT_TOKEN, to ask Telegram) to make invite links.")
    return bot.get_me().username


def register(group: AppGroup) -> None:
    """Add the staff account commands to `flask medsync`."""
    for command in (invite_staff, list_staff, revoke_staff):
        group.add_command(command)
