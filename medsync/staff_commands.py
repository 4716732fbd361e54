"""`flask medsync` commands for staff: tokens and reminder runs."""
from __future__ import annotations

import time
from datetime import datetime

import click
from flask.cli import AppGroup, with_appcontext

from medsync.errors import InvalidRequest
from medsync.extensions import db
from medsync.models import MessageStatus, StaffRole
from medsync.models.staff import TOKEN_ROLES
from medsync.services import delivery, reminders, staff_tokens

_SETTLED = (MessageStatus.SENT.value, MessageStatus.SKIPPED.value, MessageStatus.FAILED.value)


@click.command("create-staff-token")
@click.argument("name")
@click.option("--role", type=click.Choice([role.value for role in TOKEN_ROLES]), default=None,
              help="What the token may do, at its clinics only (default: the staff endpoints at every clinic, no "
                   "administration).")
@click.option("--clinic", "clinic_ids", type=int, multiple=True, help="A clinic the token acts for (repeatable; with "
              "--role).")
@with_appcontext
def create_staff_token(name: str, role: str | None, clinic_ids: tuple[int, ...]) -> None:
    """Issue a staff API token for NAME; it is printed once, alone on the last line, and stored only hashed."""
    try:
        row, token = staff_tokens.issue(name, role=StaffRole(role) if role else None, clinic_ids=clinic_ids)
    except InvalidRequest as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    scope = "staff endpoints at every clinic"
    if row.role is not None:
        scope = f"{row.role} at {', '.join(clinic.name for clinic in row.clinics)}"
    click.echo(f"Staff token #{row.id} for {row.name!r} ({scope}). Store it now: it is not shown again.", err=True)
    click.echo(token)


@click.command("revoke-staff-token")
@click.argument("name_or_id", metavar="NAME|ID")
@with_appcontext
def revoke_staff_token(name_or_id: str) -> None:
    """Revoke the staff token with this id, or every active token with this name."""
    try:
        rows = staff_tokens.revoke(name_or_id)
    except staff_tokens.StaffTokenNotFound as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    for row in rows:
        click.echo(f"revoked staff token #{row.id} ({row.name})")


@click.command("remind")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Clinic-local date of the visits (default: each clinic's today).")
@click.option("--clinic", "clinic_id", type=int, default=None, help="Only this clinic's bookings.")
@click.option("--wait", "wait_seconds", type=int, default=600, show_default=True,
              help="Seconds to follow the delivery before giving up.")
@with_appcontext
def remind(day: datetime | None, clinic_id: int | None, wait_seconds: int) -> None:
    """Send the day's reminders now (as POST /api/v1/staff/reminders/run) and follow them until delivered."""
    queued = reminders.queue_manual_reminders(day=day.date() if day else None, clinic_id=clinic_id)
    db.session.commit()
    click.echo(f"queued {len(queued)} reminders")
    if queued:
        _follow(queued, wait_seconds)


def _follow(message_ids: list[int], wait_seconds: int) -> None:
    """A progress bar over the queued messages until each is sent, skipped or failed (or the wait is over)."""
    deadline = time.monotonic() + wait_seconds
    settled = 0
    with click.progressbar(length=len(message_ids), label="delivering") as bar:
        while settled < len(message_ids) and time.monotonic() < deadline:
            time.sleep(0.5)
            counts = delivery.statuses(message_ids)
            db.session.commit()
            now_settled = sum(counts.get(status, 0) for status in _SETTLED)
            bar.update(now_settled - settled)
            settled = now_settled
    counts = delivery.statuses(message_ids)
    click.echo(", ".join(f"{count} {status}" for status, count in sorted(counts.items())))
    if settled < len(message_ids):
        raise click.ClickException("not every reminder was delivered in time; is a worker running?")


def register(group: AppGroup) -> None:
    """Add the staff commands to `flask medsync`."""
    for command in (create_staff_token, revoke_staff_token, remind):
        group.add_command(command)
