"""`flask medsync ...` commands."""
from __future__ import annotations

import click
from flask.cli import AppGroup

medsync = AppGroup("medsync", help="MedSync operations.")


@medsync.command("seed-demo")
def seed_demo() -> None:
    """Load the demo catalog (idempotent: running it again changes nothing)."""
    from medsync.extensions import db
    from medsync.services.seed import seed_demo_catalog

    counts = seed_demo_catalog()
    db.session.commit()
    click.echo(", ".join(f"{count} {name}" for name, count in counts.items()))


@medsync.command("seed-if-empty")
def seed_if_empty() -> None:
    """Load the demo catalog only when there are no clinics yet (used by `make run`)."""
    from medsync.extensions import db
    from medsync.models import Clinic
    from medsync.services.seed import seed_demo_catalog

    if db.session.query(Clinic.id).first() is not None:
        click.echo("catalog present; not seeding")
        return
    counts = seed_demo_catalog()
    db.session.commit()
    click.echo("seeded demo catalog: " + ", ".join(f"{count} {name}" for name, count in counts.items()))


# Commands defined next to what they operate; importing them registers them on the group.
from medsync import staff_commands as _staff_commands  # noqa: E402,F401
from medsync.bot import commands as _bot_commands  # noqa: E402,F401

_staff_commands.register(medsync)
