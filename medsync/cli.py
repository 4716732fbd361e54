"""`flask medsync ...` commands."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

medsync = AppGroup("medsync", help="MedSync operations.")


@medsync.command("create-db")
def create_db() -> None:
    """Create the PostgreSQL database named in DATABASE_URL if it does not exist yet."""
    from flask import current_app
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database})
        if exists:
            click.echo(f"database {url.database} exists")
        else:
            connection.execute(text(f'CREATE DATABASE "{url.database}"'))
            click.echo(f"created database {url.database}")
    engine.dispose()


@medsync.command("seed-demo")
@click.option("--catalog", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A catalog file in demo_catalog.toml's format (default: the shipped demo catalog).")
def seed_demo(catalog: Path | None) -> None:
    """Load the demo catalog (idempotent: running it again changes nothing)."""
    click.echo(_seed(catalog))


@medsync.command("seed-if-empty")
def seed_if_empty() -> None:
    """Load the demo catalog only when there are no clinics yet (used by `make run`)."""
    from medsync.extensions import db
    from medsync.models import Clinic

    if db.session.query(Clinic.id).first() is not None:
        click.echo("catalog present; not seeding")
        return
    click.echo("seeded demo catalog: " + _seed())


def _seed(catalog: Path | None = None) -> str:
    """Seed and commit; a mistake in the catalog file is an error naming the file and each entry, not a traceback."""
    from medsync.demo_catalog import CatalogError
    from medsync.extensions import db
    from medsync.services.seed import seed_demo_catalog

    try:
        counts = seed_demo_catalog(catalog)
    except CatalogError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    return ", ".join(f"{count} {name}" for name, count in counts.items())


@medsync.group("catalog")
def catalog() -> None:
    """The whole catalog as one file (demo_catalog.toml's format): export it, import one."""


@catalog.command("export")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (default: stdout).")
def export_catalog(output: Path | None) -> None:
    """Write the whole catalog (clinics, hours, closures, specialties, doctors, diagnostics) as TOML."""
    from medsync.extensions import db
    from medsync.services.catalog_export import export_catalog as exported

    text = exported()
    db.session.rollback()  # a read only
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


@catalog.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Say what would change, and change nothing.")
@click.option("--cancel-affected", is_flag=True,
              help="Cancel (by the clinic, each patient told) the booked visits the file's schedules leave out; "
                   "without it such a file is refused.")
def import_catalog(file: Path, dry_run: bool, cancel_affected: bool) -> None:
    """Apply a catalog file by key (slug): adds and changes entries, prints each change; idempotent. A file whose
    schedules take time from booked visits is refused, naming them, unless --cancel-affected."""
    from medsync.demo_catalog import CatalogError, load_demo_catalog
    from medsync.extensions import db
    from medsync.services.seed import import_catalog as imported

    affected = "list" if dry_run else "cancel" if cancel_affected else "refuse"
    try:
        changes = imported(load_demo_catalog(file), affected=affected)
    except CatalogError as exc:
        db.session.rollback()  # a refusal found while applying: what was written before it goes too
        raise click.ClickException(str(exc)) from None
    for line in changes.lines:
        click.echo(line)
    if dry_run:
        db.session.rollback()
        click.echo(f"dry run: {len(changes.lines)} changes, none written")
        return
    db.session.commit()
    click.echo(f"{len(changes.lines)} changes" if changes.lines else "nothing changed")


@medsync.command("webapp-url")
def webapp_url() -> None:
    """Print the Mini App's URL (WEBAPP_URL, by default this service's /app)."""
    from medsync.config import current_settings

    click.echo(current_settings().WEBAPP_URL)


# Commands defined next to what they operate; importing them registers them on the group.
from medsync import staff_account_commands as _staff_account_commands  # noqa: E402
from medsync import privacy_commands as _privacy_commands  # noqa: E402
from medsync import staff_commands as _staff_commands  # noqa: E402
from medsync.bot import commands as _bot_commands  # noqa: E402

_staff_commands.register(medsync)
_staff_account_commands.register(medsync)
_bot_commands.register(medsync)
_privacy_commands.register(medsync)
