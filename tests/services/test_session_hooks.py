"""The session hooks that note writes and hand them over after the commit are installed by create_app, each once
however many apps a process creates, on the app's sessions only; importing a module installs nothing."""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.orm.events import SessionEvents

import medsync
import workers
from medsync import create_app, prepared
from medsync.extensions import db
from tests.conftest import settings_for_tests

HOOKED_MODULES = {"medsync.services.after_commit", "medsync.services.changes", "medsync.services.catalog",
                  "medsync.services.outbox", "medsync.services.reminder_runs",
                  "medsync.services.data_export", "medsync.services.erasure", "medsync.services.result_files"}


@pytest.fixture
def create_another_app(app: Flask, tmp_path_factory, telegram_server) -> Iterator[Callable[[], Flask]]:
    """Create a second app on the test's settings when the test says so (the first is the session's `app`)."""
    created: list[Flask] = []

    def create() -> Flask:
        created.append(create_app(settings_for_tests(tmp_path_factory, TELEGRAM_API_URL=telegram_server.url)))
        app.extensions["celery"].set_default()  # create_app made the other app's Celery the default
        app.extensions["celery"].set_current()
        return created[-1]

    yield create
    for other in created:
        with other.app_context():
            db.engine.dispose()


def installed(session: Session) -> dict[str, list]:
    """Every listener of each session event this session answers, in the order they run."""
    names = [name for name in dir(SessionEvents) if not name.startswith("_") and hasattr(session.dispatch, name)]
    return {name: list(getattr(session.dispatch, name)) for name in names if len(getattr(session.dispatch, name))}


def lost_statement_listeners() -> int:
    return list(db.engine.dialect.dispatch.handle_error).count(prepared._missing_is_a_lost_connection)


def test_create_app_installs_every_modules_hooks_once(app):
    with app.app_context():
        hooks = installed(db.session())
        assert lost_statement_listeners() == 1
    listeners = [listener for each_event in hooks.values() for listener in each_event]
    assert {listener.__module__ for listener in listeners} == HOOKED_MODULES
    assert len(set(listeners)) == len(listeners)
    assert set(hooks) == {"after_flush", "do_orm_execute", "after_commit", "after_soft_rollback",
                          "after_transaction_end"}


def test_a_second_app_adds_no_hook_to_the_first_and_has_the_same(app, create_another_app):
    with app.app_context():
        before = installed(db.session())
    second_app = create_another_app()
    for each_app in (app, second_app):
        with each_app.app_context():
            assert installed(db.session()) == before
            assert lost_statement_listeners() == 1


def test_importing_every_module_installs_no_hook_on_other_sessions_or_engines():
    for package in (medsync, workers):
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
            importlib.import_module(module.name)
    assert installed(Session()) == {}
    assert list(create_engine("postgresql+psycopg2://").dialect.dispatch.handle_error) == []
