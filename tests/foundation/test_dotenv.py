""".env configures everything `make run` starts: the database steps (`flask` commands), gunicorn and Celery.

Each test lays out a checkout of its own (the project's files linked into a temporary directory) holding a
.env that names a throwaway database, and runs the real commands there with none of the settings in the
environment, as a newcomer's shell would.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path

import psycopg2
import pytest
from alembic.script import ScriptDirectory

from medsync.config import Settings, load_dotenv
from tests.conftest import RESULTS_KEY, _test_db_name, _test_redis_url
from tests.support.database import database_url, drop_database

ROOT = Path(__file__).resolve().parents[2]
_SETTINGS = {field.name for field in fields(Settings)}


@pytest.fixture
def dotenv_database() -> Iterator[str]:
    """A database name no other test uses, dropped before and after."""
    name = f"{_test_db_name()}_dotenv"
    drop_database(name)
    yield name
    drop_database(name)


@pytest.fixture
def checkout(tmp_path: Path, dotenv_database: str) -> Path:
    """The project (Makefile, entry points, virtualenv) with a .env naming `dotenv_database`."""
    for entry in ("Makefile", "wsgi.py", "celery_app.py", ".venv"):
        (tmp_path / entry).symlink_to(ROOT / entry)
    (tmp_path / ".env").write_text(
        f"DATABASE_URL={database_url(dotenv_database)}\nREDIS_URL={_test_redis_url()}\nLOG_LEVEL=WARNING\n"
        f"RESULTS_KEY={RESULTS_KEY}\n"
    )
    return tmp_path


def _shell_environment() -> dict[str, str]:
    """This process's environment less every setting, the suite's FLASK_SKIP_DOTENV and the outer make's flags."""
    unset = _SETTINGS | {"FLASK_SKIP_DOTENV", "MAKEFLAGS", "MAKELEVEL", "MFLAGS"}
    return {name: value for name, value in os.environ.items() if name not in unset}


def test_make_db_creates_migrates_and_seeds_the_database_dotenv_names(checkout, dotenv_database):
    # A newcomer's .env, copied from .env.example: RESULTS_KEY left empty.
    dotenv = checkout / ".env"
    dotenv.write_text(dotenv.read_text().replace(f"RESULTS_KEY={RESULTS_KEY}", "RESULTS_KEY="))
    # The database steps only: `setup` and `services` (the virtualenv, PostgreSQL, Redis) are there already.
    run = subprocess.run(["make", "-o", "setup", "-o", "services", "db"], cwd=checkout, env=_shell_environment(),
                         capture_output=True, text=True, timeout=300)

    assert run.returncode == 0, run.stdout + run.stderr
    assert "created a development key in .env" in run.stdout
    keys = re.findall(r"^RESULTS_KEY=(.+)$", dotenv.read_text(), flags=re.MULTILINE)
    assert len(keys) == 1 and keys[0] != RESULTS_KEY
    assert "DATABASE_URL=" in dotenv.read_text()  # the rest of .env as it was
    assert re.findall(r"database (\S+)", run.stdout) == [dotenv_database]  # create-db names the one it used
    assert "seeded demo catalog" in run.stdout
    assert ".env" not in run.stderr  # no "Tip: There are .env files present. Install python-dotenv"
    with psycopg2.connect(database_url(dotenv_database)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT version_num FROM alembic_version")
        assert cursor.fetchall() == [(ScriptDirectory(str(ROOT / "migrations")).get_current_head(),)]
        cursor.execute("SELECT count(*) FROM clinics")
        assert cursor.fetchone()[0] > 0
    connection.close()


@pytest.mark.parametrize(("entry_point", "flask_app"), [("wsgi", "app"), ("celery_app", "flask_app")])
def test_gunicorn_and_celery_entry_points_read_the_same_dotenv(checkout, dotenv_database, entry_point, flask_app):
    script = f"import {entry_point}; print({entry_point}.{flask_app}.config['SETTINGS'].DATABASE_URL)"

    run = subprocess.run([sys.executable, "-c", script], cwd=checkout, env=_shell_environment(),
                         capture_output=True, text=True, timeout=120)

    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == database_url(dotenv_database)


@pytest.fixture
def environ_restored() -> Iterator[None]:
    """os.environ as it was before the test, whatever load_dotenv() added."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_a_variable_already_set_wins_over_dotenv_and_flask_skip_dotenv_turns_it_off(
    checkout, dotenv_database, monkeypatch, environ_restored
):
    monkeypatch.chdir(checkout)
    for name in _SETTINGS:
        os.environ.pop(name, None)
    os.environ["REDIS_URL"] = exported = "redis://127.0.0.1:6379/15"
    assert os.environ["FLASK_SKIP_DOTENV"] == "1"  # as the suite runs (tests/conftest.py)

    load_dotenv()
    assert "DATABASE_URL" not in os.environ  # a developer's .env never reaches a test
    del os.environ["FLASK_SKIP_DOTENV"]
    load_dotenv()

    assert os.environ["DATABASE_URL"] == database_url(dotenv_database)
    assert os.environ["REDIS_URL"] == exported
